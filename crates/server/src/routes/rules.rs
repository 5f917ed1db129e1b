//! Company rules (F15, F16): what a company masks and blocks beyond beside's own detection,
//! by CSS selector on the pages a URL pattern covers. Administrators manage their own
//! company's rules only; a change reaches the company's live sessions at once. A selector is
//! checked twice before it is kept: by `policy` (shape and safety) and by Chromium (syntax).

use crate::auth::{AdminAuth, ApiJson};
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use model::{RuleId, RuleKind};
use policy::rules::CompanyRule;
use serde::Deserialize;
use store::{NewRule, StoreError};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/rules", get(list).post(create)).route("/rules/{id}", delete(remove))
}

async fn list(
    State(state): State<AppState>,
    auth: AdminAuth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let rules = state.0.store.rules(&auth.agent.company).await?;
    Ok(Json(serde_json::json!({ "rules": rules })))
}

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
) -> Result<impl IntoResponse, ApiError> {
    let pattern = body.url_pattern.as_deref().unwrap_or("*");
    let rule = CompanyRule::new(body.kind, body.selector.trim(), pattern)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?;
    // The guard applies the selector with Chromium's parser, which skips one it cannot parse:
    // refuse it now rather than let it mask nothing.
    match state.0.registry.check_selector(&rule.selector).await {
        Ok(None) => {}
        Ok(Some(reason)) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("the browser cannot apply this selector: {reason}"),
            ))
        }
        Err(error) => {
            tracing::warn!(%error, "Could not have a rule's selector checked.");
            return Err(ApiError::new(
                ErrorCode::NotReady,
                "the cloud browser, which checks the selector, is not available; try again in a \
                 moment",
            ));
        }
    }
    let company = auth.agent.company.clone();
    let stored = state
        .0
        .store
        .create_rule(NewRule {
            company: company.clone(),
            kind: rule.kind,
            selector: rule.selector,
            url_pattern: rule.url_pattern.as_str().to_owned(),
            created_by: Some(auth.agent.id.clone()),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            StoreError::Invalid(message) => ApiError::new(ErrorCode::InvalidRequest, message),
            other => ApiError::from(other),
        })?;
    state
        .0
        .registry
        .rules_changed(&company, Some(&auth.agent.id), "rule_created", &stored.id)
        .await;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, "the company has no such rule");
    let id = RuleId::parse(&id).map_err(|_| not_found())?;
    let company = auth.agent.company.clone();
    state.0.store.delete_rule(&company, &id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        other => ApiError::from(other),
    })?;
    state.0.registry.rules_changed(&company, Some(&auth.agent.id), "rule_deleted", &id).await;
    Ok(StatusCode::NO_CONTENT)
}
