//! Sessions: start (customer), join by PIN (agent), connection tickets, end, look up.

use crate::auth::{AgentAuth, ApiJson, Bearer};
use crate::client::Client;
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use model::{Role, SessionId};
use protocol::EndReason;
use serde::Deserialize;
use session::{JoinError, SessionError, TicketError};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(create))
        .route("/sessions/join", post(join))
        .route("/sessions/{id}", get(show))
        .route("/sessions/{id}/tickets", post(ticket))
        .route("/sessions/{id}/end", post(end))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    company: String,
    start_url: Option<String>,
    /// The customer's language (`navigator.language`); `languages` wins when both are given.
    locale: Option<String>,
    /// The customer's languages, most preferred first (`navigator.languages`).
    languages: Option<Vec<String>>,
    /// The customer's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
    time_zone: Option<String>,
}

fn parse_session_id(id: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(id).map_err(|_| ApiError::new(ErrorCode::NotFound, "there is no such session"))
}

async fn create(
    State(state): State<AppState>,
    client: Client,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let company = state.0.store.company_by_slug(&body.company).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownCompany, "there is no company with this name")
    })?;
    let languages = body.languages.or_else(|| body.locale.map(|tag| vec![tag])).unwrap_or_default();
    let locale = policy::locale::parse(&languages, body.time_zone.as_deref())
        .map_err(|refusal| ApiError::new(ErrorCode::InvalidRequest, refusal.to_string()))?;
    let start_url = match body.start_url.as_deref().or(company.start_url.as_deref()) {
        Some(url) => policy::navigation::check_url(url)
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("start_url: {e}")))?,
        None => state.0.settings.demo_url.clone(),
    };
    if !state.0.sessions_by_ip.hit(&client.key()) {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many sessions started from this address; try again soon",
        ));
    }
    let created = state.0.registry.create_session(&company, start_url, locale).await.map_err(
        |e| match e {
            SessionError::AtCapacity => ApiError::new(
                ErrorCode::AtCapacity,
                "all co-browsing places are taken right now; please try again in a few minutes",
            ),
            other => ApiError::internal(&other),
        },
    )?;
    let expires_at = created
        .expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::internal(&e))?;
    let body = serde_json::json!({
        "session_id": created.session_id,
        "pin": created.pin.digits(),
        "customer_token": created.customer_token.expose(),
        "expires_at": expires_at,
    });
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    pin: String,
}

async fn join(
    State(state): State<AppState>,
    auth: AgentAuth,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if body.pin.len() > 32 {
        return Err(ApiError::new(ErrorCode::InvalidPin, "this PIN is not valid"));
    }
    match state.0.registry.redeem_pin(&auth.agent, &body.pin).await {
        Ok(joined) => Ok(Json(serde_json::json!({
            "session_id": joined.session_id,
            "agent_token": joined.agent_token.expose(),
        }))),
        Err(JoinError::RateLimited) => Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many wrong PINs; wait a minute and try again",
        )),
        // Unknown, used, expired, malformed, or another company's: one answer (F1).
        Err(JoinError::Rejected(_)) => {
            Err(ApiError::new(ErrorCode::InvalidPin, "this PIN is not valid"))
        }
        Err(JoinError::Store(e)) => Err(ApiError::internal(&e)),
    }
}

fn ticket_error(e: TicketError) -> ApiError {
    match e {
        TicketError::SessionEnded => {
            ApiError::new(ErrorCode::SessionEnded, "this session has ended")
        }
        TicketError::InvalidToken | TicketError::InvalidTicket => {
            ApiError::new(ErrorCode::InvalidToken, "this token does not open this session")
        }
    }
}

async fn ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_session_id(&id)?;
    let holder = state.0.registry.token_holder(&id, &token).map_err(ticket_error)?;
    let (ticket, expires_at) = state.0.registry.issue_ticket(&holder);
    let expires_at = expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(serde_json::json!({ "ticket": ticket.expose(), "expires_at": expires_at })))
}

async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<StatusCode, ApiError> {
    let id = parse_session_id(&id)?;
    let holder = state.0.registry.token_holder(&id, &token).map_err(ticket_error)?;
    let handle =
        state.0.registry.session(&id).ok_or_else(|| ticket_error(TicketError::SessionEnded))?;
    let reason = match holder.role {
        Role::Customer => EndReason::CustomerEnded,
        Role::Agent => EndReason::AgentEnded,
    };
    handle.end(reason).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: AgentAuth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_session_id(&id)?;
    let not_found = || ApiError::new(ErrorCode::NotFound, "there is no such session");
    let record = state.0.store.session(&id).await?.ok_or_else(not_found)?;
    if record.company != auth.agent.company {
        return Err(not_found());
    }
    let rfc3339 =
        |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).ok();
    let live = match state.0.registry.session(&id) {
        Some(handle) => handle.snapshot().await,
        None => None,
    };
    let state_name = match (&live, record.ended_at) {
        (Some(snap), _) => serde_json::to_value(snap.state).map_err(|e| ApiError::internal(&e))?,
        (None, _) => serde_json::json!("ended"),
    };
    Ok(Json(serde_json::json!({
        "session_id": record.id,
        "state": state_name,
        "participants": live.as_ref().map(|s| s.participants.clone()).unwrap_or_default(),
        "page": live.as_ref().map(|s| s.page.clone()),
        "agent_id": record.agent,
        "created_at": rfc3339(record.created_at),
        "joined_at": record.joined_at.and_then(rfc3339),
        "ended_at": record.ended_at.and_then(rfc3339),
        "end_reason": record.end_reason,
    })))
}
