//! A company's API tokens (F23): administrators make them with scopes (the token is answered
//! once), list them (name, scopes, maker, times; never the token) and revoke them. A token acts
//! for its company within its scopes, on behalf of the administrator who made it
//! (`auth::AgentAuth::from_api_token`); making and revoking are audited.

use crate::auth::{AdminAuth, ApiJson, API_TOKEN_PREFIX};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use model::{AgentId, ApiScope, AuditKind, TokenId};
use serde::{Deserialize, Serialize};
use store::{AuditEvent, NewApiToken, StoreError};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

/// Who made a token, as the list shows them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiTokenMaker)]
struct Maker {
    id: AgentId,
    name: String,
    email: String,
}

/// A token as the admin console shows it: never the token.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiToken)]
struct TokenView {
    id: TokenId,
    name: String,
    scopes: Vec<ApiScope>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: Option<Maker>,
    /// To within `store::LAST_USED_PRECISION`; `null` if never used.
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
}

impl TokenView {
    fn of(token: store::ApiToken, agents: &[store::Agent]) -> TokenView {
        let created_by = agents.iter().find(|a| a.id == token.created_by).map(|a| Maker {
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
        });
        TokenView {
            id: token.id,
            name: token.name,
            scopes: token.scopes,
            created_at: token.created_at,
            created_by,
            last_used_at: token.last_used_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiTokenList)]
struct TokenList {
    tokens: Vec<TokenView>,
}

/// List the company's API tokens: names, scopes, who made them and when they were last used.
#[utoipa::path(
    get,
    path = "/tokens",
    responses(
        (status = 200, description = "The company's API tokens (never the tokens themselves).", body = TokenList),
    )
)]
async fn list(State(state): State<AppState>, auth: AdminAuth) -> Result<Json<TokenList>, ApiError> {
    let company = &auth.agent.company;
    let tokens = state.0.store.api_tokens(company).await?;
    let agents = state.0.store.agents(company).await?;
    Ok(Json(TokenList { tokens: tokens.into_iter().map(|t| TokenView::of(t, &agents)).collect() }))
}

/// `POST /tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApiToken)]
struct CreateBody {
    name: String,
    scopes: Vec<String>,
}

/// The new token: the one time it is shown.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiTokenCreated)]
struct Created {
    #[serde(flatten)]
    view: TokenView,
    token: String,
}

fn checked_scopes(raw: &[String]) -> Result<Vec<ApiScope>, ApiError> {
    let refused = |m: String| ApiError::new(ErrorCode::UnknownScope, m).field("scopes");
    if raw.is_empty() {
        return Err(refused("choose at least one scope".to_owned()));
    }
    if raw.len() > 2 * ApiScope::ALL.len() {
        return Err(refused("too many scopes".to_owned()));
    }
    raw.iter().map(|s| s.parse().map_err(refused)).collect()
}

/// Make an API token with scopes; the token is answered this once and kept only as a digest.
#[utoipa::path(
    post,
    path = "/tokens",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The token (`bst_…`), shown this once.", body = Created),
        (status = 400, description = "`unknown_scope`, `invalid_name`, `invalid_request`", body = ErrorBody),
        (status = 409, description = "`too_many_tokens`", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let scopes = checked_scopes(&body.scopes)?;
    let token = format!("{API_TOKEN_PREFIX}{}", model::random_token());
    let new = NewApiToken {
        company: auth.agent.company.clone(),
        name: body.name,
        scopes,
        token_hash: crate::auth::token_hash(&token),
        created_by: auth.agent.id.clone(),
    };
    let made = state.0.store.create_api_token(new).await.map_err(|e| match e {
        StoreError::Conflict(m) => ApiError::new(ErrorCode::TooManyTokens, m),
        StoreError::Invalid(m) => ApiError::new(ErrorCode::InvalidName, m).field("name"),
        other => other.into(),
    })?;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(made.company.clone()),
        agent: Some(auth.agent.id.clone()),
        session: None,
        kind: AuditKind::ApiTokenCreated.to_string(),
        detail: serde_json::json!({ "token_id": made.id, "name": made.name, "scopes": made.scopes }),
    };
    state.0.store.record_audit(&event).await?;
    let view = TokenView::of(made, std::slice::from_ref(&auth.agent));
    let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, headers, Json(Created { view, token })).into_response())
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "there is no such API token")
}

/// Revoke an API token: it answers 401 from now on.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    params(("id" = TokenId, Path, description = "The token's id.")),
    responses(
        (status = 204, description = "Revoked: the token's next call answers 401."),
        (status = 404, description = "`not_found`: no such token of the company", body = ErrorBody),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = id.parse().map_err(|_| not_found())?;
    let gone =
        state.0.store.delete_api_token(&auth.agent.company, &id).await.map_err(|e| match e {
            StoreError::NotFound(_) => not_found(),
            other => other.into(),
        })?;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(gone.company.clone()),
        agent: Some(auth.agent.id.clone()),
        session: None,
        kind: AuditKind::ApiTokenRevoked.to_string(),
        detail: serde_json::json!({ "token_id": gone.id, "name": gone.name }),
    };
    state.0.store.record_audit(&event).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_by_name() {
        let ok = checked_scopes(&["rules".into(), "sessions:join".into()]).unwrap();
        assert_eq!(ok, [ApiScope::Rules, ApiScope::SessionsJoin]);
        assert!(checked_scopes(&[]).is_err());
        assert!(checked_scopes(&["rules".into(), "root".into()]).is_err());
    }
}
