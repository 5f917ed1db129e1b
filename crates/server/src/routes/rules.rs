//! Company rules (F15, F16, F20): what a company masks and blocks beyond beside's own
//! detection, by CSS selector on the pages a URL pattern covers. Administrators manage their
//! own company's rules only; a change reaches the company's live sessions at once. Rules made
//! by pointing (`/rules/drafts`) are drafts until published (`/rules/publish`); a changed rule
//! can be rolled back (`/rules/{id}/rollback`). The use cases are `session::RuleBook`'s, the
//! same as the command line's.

use crate::auth::{AdminAuth, ApiJson};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use model::{DraftId, RuleId, RuleKind};
use serde::{Deserialize, Serialize};
use session::{Changer, RuleError};
use store::{StoredDraft, StoredRule};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
        .routes(routes!(drafts, draft))
        .routes(routes!(discard))
        .routes(routes!(publish))
        .routes(routes!(rollback))
}

/// `GET /rules`: the company's rules.
#[derive(Serialize, utoipa::ToSchema)]
struct RuleList {
    rules: Vec<StoredRule>,
}

/// The company's live rules.
#[utoipa::path(
    get,
    path = "/rules",
    responses(
        (status = 200, description = "The company's live rules.", body = RuleList),
    )
)]
async fn list(State(state): State<AppState>, auth: AdminAuth) -> Result<Json<RuleList>, ApiError> {
    let rules = state.0.store.rules(&auth.agent.company).await?;
    Ok(Json(RuleList { rules }))
}

/// `POST /rules`: a new rule; answered with the rule as stored (`201`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewRule)]
struct CreateBody {
    kind: RuleKind,
    selector: String,
    /// Every page of every site when absent.
    url_pattern: Option<String>,
}

/// Makes a live rule at once (no draft).
#[utoipa::path(
    post,
    path = "/rules",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The rule as stored; the company's live sessions apply it at once.", body = StoredRule),
        (status = 400, description = "`invalid_selector`, `invalid_url_pattern`, `invalid_request`", body = ErrorBody),
    )
)]
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
        .map_err(|error| match error {
            // As this route has always answered.
            RuleError::Refused(_) | RuleError::Unparsable(_) => {
                ApiError::new(ErrorCode::InvalidRequest, error.to_string())
            }
            other => rule_error(other),
        })?;
    Ok((StatusCode::CREATED, Json(created.value)))
}

/// Removes a live rule.
#[utoipa::path(
    delete,
    path = "/rules/{id}",
    params(("id" = RuleId, Path, description = "The rule's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "`not_found`: no such rule of the company", body = ErrorBody),
    )
)]
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

/// `GET /rules/drafts`: the company's drafts, in the order they will be published.
#[derive(Serialize, utoipa::ToSchema)]
struct DraftList {
    drafts: Vec<StoredDraft>,
}

/// The company's drafts.
#[utoipa::path(
    get,
    path = "/rules/drafts",
    responses(
        (status = 200, description = "The drafts, in the order they will be published.", body = DraftList),
    )
)]
async fn drafts(
    State(state): State<AppState>,
    auth: AdminAuth,
) -> Result<Json<DraftList>, ApiError> {
    let drafts = state.0.store.drafts(&auth.agent.company).await?;
    Ok(Json(DraftList { drafts }))
}

/// `POST /rules/drafts`: a draft of a new rule, or of a change of the live rule `rule_id`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewDraft)]
struct DraftBody {
    kind: RuleKind,
    selector: String,
    /// Every page of every site when absent.
    url_pattern: Option<String>,
    rule_id: Option<String>,
}

/// Drafts a new rule, or a change of the live rule `rule_id`.
#[utoipa::path(
    post,
    path = "/rules/drafts",
    request_body = DraftBody,
    responses(
        (status = 201, description = "The draft as stored.", body = StoredDraft),
        (status = 400, description = "`invalid_selector`, `invalid_url_pattern`, `invalid_request`", body = ErrorBody),
        (status = 404, description = "`not_found`: `rule_id` is no rule of the company", body = ErrorBody),
        (status = 409, description = "`conflict`", body = ErrorBody),
    )
)]
async fn draft(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<(StatusCode, Json<StoredDraft>), ApiError> {
    let replaces = match body.rule_id.as_deref() {
        Some(id) => Some(RuleId::parse(id).map_err(|_| rule_error(RuleError::NotFound))?),
        None => None,
    };
    let pattern = body.url_pattern.as_deref().unwrap_or("*");
    let by = Changer::Agent(&auth.agent.id);
    let made = state
        .0
        .registry
        .rules()
        .draft(&auth.agent.company, by, body.kind, &body.selector, pattern, replaces)
        .await
        .map_err(rule_error)?;
    Ok((StatusCode::CREATED, Json(made.value)))
}

/// Discards a draft.
#[utoipa::path(
    delete,
    path = "/rules/drafts/{id}",
    params(("id" = DraftId, Path, description = "The draft's id.")),
    responses(
        (status = 204, description = "Discarded."),
        (status = 404, description = "`not_found`: no such draft of the company", body = ErrorBody),
    )
)]
async fn discard(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = DraftId::parse(&id).map_err(|_| rule_error(RuleError::NotFound))?;
    let by = Changer::Agent(&auth.agent.id);
    state.0.registry.rules().discard(&auth.agent.company, by, &id).await.map_err(rule_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /rules/publish`: every draft goes live; answered with the rules made or changed.
#[utoipa::path(
    post,
    path = "/rules/publish",
    responses(
        (status = 200, description = "Every draft is live: the rules made or changed.", body = RuleList),
        (status = 409, description = "`no_drafts`; `conflict`", body = ErrorBody),
    )
)]
async fn publish(
    State(state): State<AppState>,
    auth: AdminAuth,
) -> Result<Json<RuleList>, ApiError> {
    let by = Changer::Agent(&auth.agent.id);
    let published =
        state.0.registry.rules().publish(&auth.agent.company, by).await.map_err(rule_error)?;
    Ok(Json(RuleList { rules: published.value }))
}

/// `POST /rules/{id}/rollback`: the rule as it was before its last published change.
#[utoipa::path(
    post,
    path = "/rules/{id}/rollback",
    params(("id" = RuleId, Path, description = "The rule's id.")),
    responses(
        (status = 200, description = "The rule as it was before its last published change.", body = StoredRule),
        (status = 404, description = "`not_found`: no such rule of the company", body = ErrorBody),
        (status = 409, description = "`no_history`: it was never changed", body = ErrorBody),
    )
)]
async fn rollback(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<Json<StoredRule>, ApiError> {
    let id = RuleId::parse(&id).map_err(|_| rule_error(RuleError::NotFound))?;
    let by = Changer::Agent(&auth.agent.id);
    let rule = state
        .0
        .registry
        .rules()
        .rollback(&auth.agent.company, by, &id)
        .await
        .map_err(rule_error)?;
    Ok(Json(rule.value))
}

pub(crate) fn rule_error(error: RuleError) -> ApiError {
    match error {
        RuleError::Invalid(_) => ApiError::new(ErrorCode::InvalidRequest, error.to_string()),
        RuleError::Refused(e) if e.code().starts_with("selector") => {
            ApiError::new(ErrorCode::InvalidSelector, e.to_string())
        }
        RuleError::Refused(e) => ApiError::new(ErrorCode::InvalidUrlPattern, e.to_string()),
        RuleError::Unparsable(_) => ApiError::new(ErrorCode::InvalidSelector, error.to_string()),
        RuleError::NoDrafts => ApiError::new(ErrorCode::NoDrafts, error.to_string()),
        RuleError::NoHistory => ApiError::new(ErrorCode::NoHistory, error.to_string()),
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
