//! Company rules (F15, F16): what a company masks and blocks beyond beside's own detection,
//! by CSS selector on the pages a URL pattern covers. Administrators manage their own
//! company's rules only; a change reaches the company's live sessions at once. The use cases
//! are `session::RuleBook`'s, the same as the command line's.

use crate::auth::{AdminAuth, ApiJson};
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use model::{RuleId, RuleKind};
use serde::{Deserialize, Serialize};
use session::{Changer, RuleError};
use store::StoredRule;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/rules", get(list).post(create)).route("/rules/{id}", delete(remove))
}

/// `GET /rules`: the company's rules.
#[derive(Serialize)]
struct RuleList {
    rules: Vec<StoredRule>,
}

async fn list(State(state): State<AppState>, auth: AdminAuth) -> Result<Json<RuleList>, ApiError> {
    let rules = state.0.store.rules(&auth.agent.company).await?;
    Ok(Json(RuleList { rules }))
}

/// `POST /rules`: a new rule; answered with the rule as stored (`201`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    kind: RuleKind,
    selector: String,
    /// Every page of every site when absent.
    url_pattern: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<StoredRule>), ApiError> {
    let pattern = body.url_pattern.as_deref().unwrap_or("*");
    let company = &auth.agent.company;
    let by = Changer::Agent(&auth.agent.id);
    let created = state
        .0
        .registry
        .rules()
        .create(company, by, body.kind, &body.selector, pattern)
        .await
        .map_err(rule_error)?;
    Ok((StatusCode::CREATED, Json(created.value)))
}

async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = RuleId::parse(&id).map_err(|_| rule_error(RuleError::NotFound))?;
    let by = Changer::Agent(&auth.agent.id);
    state.0.registry.rules().delete(&auth.agent.company, by, &id).await.map_err(rule_error)?;
    Ok(StatusCode::NO_CONTENT)
}

fn rule_error(error: RuleError) -> ApiError {
    match error {
        RuleError::Invalid(_) | RuleError::Unparsable(_) => {
            ApiError::new(ErrorCode::InvalidRequest, error.to_string())
        }
        RuleError::CheckUnavailable(error) => {
            tracing::warn!(%error, "Could not have a rule's selector checked.");
            ApiError::new(
                ErrorCode::NotReady,
                "the cloud browser, which checks the selector, is not available; try again in a \
                 moment",
            )
        }
        RuleError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
        RuleError::NotFound => ApiError::new(ErrorCode::NotFound, "the company has no such rule"),
        RuleError::Store(error) => ApiError::from(error),
    }
}
