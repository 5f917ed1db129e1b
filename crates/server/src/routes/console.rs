//! The agent console inside a CRM (F23). The CRM's server asks for a console link for one of
//! its agents (`POST /console-links`, with an API token of scope `sessions:join` or an
//! administrator's login) and puts it in its frame; the console trades the link's hand-off
//! token for a login of its own (`POST /auth/handoff`), which it keeps in the frame's
//! sessionStorage and sends as `Authorization: Bearer bsl_…`: no cookie is needed, so it works
//! where the browser blocks third-party cookies.

use crate::auth::{token_hash, AgentAuth, ApiJson, LOGIN_TOKEN_PREFIX};
use crate::error::{ApiError, ErrorBody};
use crate::handoff::{Handoff, HANDOFF_TTL};
use crate::{AppState, ErrorCode};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{AgentId, AuditKind};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use store::AuditEvent;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(redeem))
}

/// `POST /console-links`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewConsoleLink)]
struct LinkBody {
    /// The agent's id (`agt_…`) or email.
    agent: String,
}

/// A console link: open `url` in the frame within `expires_at`, once.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ConsoleLink)]
struct Link {
    url: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

fn no_agent() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "there is no such agent in your company").field("agent")
}

/// Make a single-use link (60 s) that opens the agent console signed in as an agent, for a CRM's frame.
#[utoipa::path(
    post,
    path = "/console-links",
    request_body = LinkBody,
    responses(
        (status = 201, description = "A single-use link (`/agent?handoff=bsh_…`) that signs the agent in, valid for 60 seconds.", body = Link),
        (status = 400, description = "`invalid_request`: no agent named", body = ErrorBody),
        (status = 404, description = "`not_found`: no enabled agent of the company by that id or email", body = ErrorBody),
        (status = 503, description = "`busy`: too many links are open", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    auth: AgentAuth,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<Response, ApiError> {
    let wanted = body.agent.trim();
    if wanted.is_empty() || wanted.len() > 254 {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "name the agent by id or email")
            .field("agent"));
    }
    let company = &auth.agent.company;
    let agents = state.0.store.agents(company).await?;
    let agent = match wanted.parse::<AgentId>() {
        Ok(id) => agents.into_iter().find(|a| a.id == id),
        Err(_) => agents.into_iter().find(|a| a.email.eq_ignore_ascii_case(wanted)),
    };
    let agent = agent.filter(|a| !a.disabled).ok_or_else(no_agent)?;
    let who = Handoff { agent: agent.id.clone(), company: company.clone() };
    let token = state.0.handoffs.issue(who, Instant::now()).map_err(|_| {
        ApiError::new(ErrorCode::Busy, "too many console links are open; try again in a minute")
    })?;
    let expires_at = OffsetDateTime::now_utc() + HANDOFF_TTL;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(company.clone()),
        agent: Some(auth.agent.id.clone()),
        session: None,
        kind: AuditKind::ConsoleLinkCreated.to_string(),
        detail: serde_json::json!({ "for_agent": agent.id, "api_token": auth.token }),
    };
    state.0.store.record_audit(&event).await?;
    let url = format!("{}/agent?handoff={token}", state.0.settings.public_origin);
    let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, headers, Json(Link { url, expires_at })).into_response())
}

/// `POST /auth/handoff`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Handoff)]
struct HandoffBody {
    handoff: String,
}

/// The console's login: sent as `Authorization: Bearer` with every call from the frame.
#[derive(Serialize, utoipa::ToSchema)]
struct FrameLogin {
    login_token: String,
    me: super::auth::Me,
}

/// Trade a console link's hand-off for a login of the agent console in a CRM frame.
///
/// The hand-off is single-use and lives 60 s; the login is sent as `Authorization: Bearer`,
/// so the framed console needs no third-party cookie.
#[utoipa::path(
    post,
    path = "/auth/handoff",
    request_body = HandoffBody,
    responses(
        (status = 200, description = "Signed in: a login (`bsl_…`) to send as `Authorization: Bearer`, and the account.", body = FrameLogin),
        (status = 404, description = "`invalid_link`: the hand-off is unknown, used or expired", body = ErrorBody),
    )
)]
async fn redeem(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HandoffBody>,
) -> Result<Response, ApiError> {
    let refused = || {
        metrics::counter!("beside_requests_refused_total", "reason" => "handoff").increment(1);
        ApiError::new(
            ErrorCode::InvalidLink,
            "this console link is unknown, used or expired; open the console from your CRM again",
        )
    };
    let who = state.0.handoffs.redeem(body.handoff.trim(), Instant::now()).ok_or_else(refused)?;
    let agent = state.0.store.agent(&who.agent).await?;
    let agent = agent.filter(|a| a.company == who.company && !a.disabled).ok_or_else(refused)?;
    let login_token = format!("{LOGIN_TOKEN_PREFIX}{}", model::random_token());
    let expires = OffsetDateTime::now_utc() + state.0.settings.login_ttl;
    state.0.store.create_login(&token_hash(&login_token), &agent.id, expires).await?;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(agent.company.clone()),
        agent: Some(agent.id.clone()),
        session: None,
        kind: AuditKind::LoginSucceeded.to_string(),
        detail: serde_json::json!({ "via": "console_link" }),
    };
    state.0.store.record_audit(&event).await?;
    let me = super::auth::me_of(&state, &agent).await?;
    let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((headers, Json(FrameLogin { login_token, me })).into_response())
}
