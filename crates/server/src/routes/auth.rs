//! Agent login and logout (an HttpOnly, SameSite=Strict cookie).

use crate::auth::{token_hash, AgentAuth, ApiJson, COOKIE};
use crate::client::Client;
use crate::error::{ApiError, ErrorBody};
use crate::{password, AppState, ErrorCode};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{AgentId, AgentRole, AuditKind, Permissions, Secret};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::Instant;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

/// `POST /auth/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login)]
struct LoginBody {
    email: String,
    #[schema(value_type = String, format = Password, write_only)]
    password: Secret<String>,
}

/// A hash to verify against when the email is unknown, so both cases take as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        password::hash("not a real password, only for timing").expect("a fixed password hashes")
    })
}

/// The agent who is logged in, as `POST /auth/login` and `GET /auth/me` answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    id: AgentId,
    name: String,
    email: String,
    role: AgentRole,
    /// What this agent may do (their role's permissions): the pages show only that.
    permissions: Permissions,
    /// `None` only when the company was removed meanwhile.
    company: Option<CompanyName>,
}

/// The company an agent works for.
#[derive(Serialize, utoipa::ToSchema)]
struct CompanyName {
    slug: String,
    name: String,
}

pub(crate) async fn me_of(state: &AppState, agent: &store::Agent) -> Result<Me, ApiError> {
    let company = state.0.store.company(&agent.company).await?;
    Ok(Me {
        id: agent.id.clone(),
        name: agent.name.clone(),
        email: agent.email.clone(),
        role: agent.role,
        permissions: agent.permissions(),
        company: company.map(|c| CompanyName { slug: c.slug, name: c.name }),
    })
}

/// Signs a staff account in with its email and password.
#[utoipa::path(
    post,
    path = "/auth/login",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in: the login cookie is set (`Set-Cookie`), and the account is answered.", body = Me, headers(("Set-Cookie" = String, description = "The HttpOnly login cookie."))),
        (status = 400, description = "`invalid_request`: no email", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: the email or password is not right", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong passwords from this address; `Retry-After` says when to try again", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn login(
    State(state): State<AppState>,
    client: Client,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let email = body.email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "an email address is required"));
    }
    // Every attempt counts as a failure until the password proves right, so attempts sent at
    // the same moment cannot all slip through.
    let now = Instant::now();
    let account_key = (email.clone(), client.key());
    let limited = match state.0.login_failures.attempt(&account_key, now) {
        Err(wait) => Some(("account_address", wait)),
        Ok(()) => match state.0.login_failures_by_address.attempt(&client.key(), now) {
            Err(wait) => {
                state.0.login_failures.forgive(&account_key);
                Some(("address", wait))
            }
            Ok(()) => None,
        },
    };
    if let Some((scope, wait)) = limited {
        metrics::counter!("beside_login_failures_total", "reason" => "rate_limited").increment(1);
        let agent = state.0.store.agent_credentials(&email).await?.map(|(agent, _)| agent);
        audit_login(
            &state,
            agent.as_ref(),
            AuditKind::LoginRateLimited,
            serde_json::json!({
                "known_email": agent.is_some(),
                "scope": scope,
                "retry_after_secs": wait.as_secs_f64().ceil(),
            }),
        )
        .await?;
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many wrong passwords from here; wait a little and try again",
        )
        .retry_after(wait));
    }
    let found = state.0.store.agent_credentials(&email).await?;
    let password = body.password;
    let (agent, ok) = tokio::task::spawn_blocking(move || match found {
        Some((agent, hash)) => {
            let ok = password::verify(password.expose(), &hash);
            (Some(agent), ok)
        }
        None => {
            password::verify(password.expose(), dummy_hash());
            (None, false)
        }
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let agent = match (agent, ok) {
        (Some(agent), true) => agent,
        (agent, _) => {
            metrics::counter!("beside_login_failures_total", "reason" => "invalid_credentials")
                .increment(1);
            audit_login(
                &state,
                agent.as_ref(),
                AuditKind::LoginFailed,
                serde_json::json!({ "known_email": agent.is_some() }),
            )
            .await?;
            return Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "the email or password is not right",
            ));
        }
    };
    state.0.login_failures.succeeded(&account_key);
    state.0.login_failures_by_address.forgive(&client.key());
    let token = model::random_token();
    let ttl = state.0.settings.login_ttl;
    state
        .0
        .store
        .create_login(&token_hash(&token), &agent.id, OffsetDateTime::now_utc() + ttl)
        .await?;
    audit_login(&state, Some(&agent), AuditKind::LoginSucceeded, serde_json::json!({})).await?;
    let secure = if state.0.settings.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        ttl.as_secs()
    );
    let body = me_of(&state, &agent).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(&e))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, Json(body)).into_response())
}

/// Audits a login attempt; `agent` is the account the email names, if any.
async fn audit_login(
    state: &AppState,
    agent: Option<&store::Agent>,
    kind: AuditKind,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let ev = store::AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: agent.map(|a| a.company.clone()),
        agent: agent.map(|a| a.id.clone()),
        session: None,
        kind: kind.to_string(),
        detail,
    };
    state.0.store.record_audit(&ev).await?;
    Ok(())
}

/// Signs out: the login ends.
#[utoipa::path(
    post,
    path = "/auth/logout",
    responses(
        (status = 204, description = "Signed out: the login ends and the cookie is cleared."),
    )
)]
async fn logout(State(state): State<AppState>, auth: AgentAuth) -> Result<Response, ApiError> {
    state.0.store.delete_login(&auth.login_hash).await?;
    let secure = if state.0.settings.secure { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(&e))?,
    );
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// The signed-in staff account.
#[utoipa::path(
    get,
    path = "/auth/me",
    responses(
        (status = 200, description = "The signed-in account and its company.", body = Me),
    )
)]
async fn me(State(state): State<AppState>, auth: AgentAuth) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&state, &auth.agent).await?))
}
