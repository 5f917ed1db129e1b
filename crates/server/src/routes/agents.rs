//! A company's agents (F18): administrators list, create (with a one-time set-password link:
//! beside sends no mail), change, disable, remove and reset the staff accounts of their own
//! company. Another company's agent is `404` as if it did not exist; a change names the
//! version it started from, and a stale one is `409 version_conflict`.

use crate::accounts::{self, AccountError, Accounts, NewPassword};
use crate::auth::{AdminAuth, ApiJson};
use crate::error::{ApiError, ErrorBody};
use crate::{password, AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use model::{AgentId, AgentRole, Permissions, Secret};
use serde::{Deserialize, Serialize};
use session::Changer;
use store::{AgentChanges, StoreError};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, remove))
        .routes(routes!(reset_password))
        .routes(routes!(set_password))
}

/// An agent as the admin console shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Agent)]
struct AgentView {
    id: AgentId,
    email: String,
    name: String,
    role: AgentRole,
    permissions: Permissions,
    disabled: bool,
    /// Sent back with a change, so a change made meanwhile by someone else is noticed.
    version: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<store::Agent> for AgentView {
    fn from(a: store::Agent) -> Self {
        AgentView {
            permissions: a.permissions(),
            id: a.id,
            email: a.email,
            name: a.name,
            role: a.role,
            disabled: a.disabled,
            version: a.version,
            created_at: a.created_at,
        }
    }
}

/// `GET /agents`.
#[derive(Serialize, utoipa::ToSchema)]
struct AgentList {
    agents: Vec<AgentView>,
}

/// The company's staff accounts.
#[utoipa::path(
    get,
    path = "/agents",
    responses(
        (status = 200, description = "The company's agents.", body = AgentList),
    )
)]
async fn list(State(state): State<AppState>, auth: AdminAuth) -> Result<Json<AgentList>, ApiError> {
    let agents = state.0.store.agents(&auth.agent.company).await?;
    Ok(Json(AgentList { agents: agents.into_iter().map(AgentView::from).collect() }))
}

/// A one-time link to set a password, shown to the administrator once.
#[derive(Serialize, utoipa::ToSchema)]
struct PasswordLink {
    /// `/set-password#<token>`: the token stays in the fragment, out of logs and referrers.
    set_password_path: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

impl From<accounts::PasswordLink> for PasswordLink {
    fn from(link: accounts::PasswordLink) -> Self {
        PasswordLink { set_password_path: link.path(), expires_at: link.expires_at }
    }
}

/// `POST /agents`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAgent)]
struct CreateBody {
    email: String,
    name: String,
    /// `agent` when absent.
    role: Option<AgentRole>,
    /// Another way to name the role: exactly a role's permissions.
    permissions: Option<Permissions>,
    /// Without one, the answer carries a set-password link for the new agent.
    #[schema(value_type = Option<String>, format = Password, write_only)]
    password: Option<Secret<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AgentCreated)]
struct Created {
    agent: AgentView,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<PasswordLink>,
}

fn field_error(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

fn checked_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_owned();
    store::validate_email(&email)
        .map_err(|e| field_error(ErrorCode::InvalidEmail, e.to_string()))?;
    Ok(email)
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim().to_owned();
    store::validate_name("an agent", &name)
        .map_err(|e| field_error(ErrorCode::InvalidName, e.to_string()))?;
    Ok(name)
}

/// The role a body names, by `role` or by `permissions` (which must be a role's).
fn checked_role(
    role: Option<AgentRole>,
    permissions: Option<Permissions>,
) -> Result<Option<AgentRole>, ApiError> {
    let Some(permissions) = permissions else { return Ok(role) };
    let by_permissions = [AgentRole::Agent, AgentRole::Admin]
        .into_iter()
        .find(|r| r.permissions() == permissions)
        .ok_or_else(|| {
            field_error(
                ErrorCode::InvalidRole,
                "these permissions are no role's; the roles are agent and admin",
            )
        })?;
    if role.is_some_and(|r| r != by_permissions) {
        return Err(field_error(ErrorCode::InvalidRole, "the role and the permissions disagree"));
    }
    Ok(Some(by_permissions))
}

fn agent_error(e: AccountError) -> ApiError {
    match e {
        AccountError::Password(e @ password::PasswordError::Hash(_)) => ApiError::internal(&e),
        AccountError::Password(e) => field_error(ErrorCode::PasswordTooShort, e.to_string()),
        AccountError::Store(StoreError::Conflict(m)) => ApiError::new(ErrorCode::EmailTaken, m),
        AccountError::Store(StoreError::Stale(m)) => ApiError::new(ErrorCode::VersionConflict, m),
        AccountError::Store(StoreError::NotFound(_)) => {
            ApiError::new(ErrorCode::NotFound, "there is no such agent")
        }
        AccountError::Store(StoreError::Invalid(m)) => ApiError::new(ErrorCode::InvalidRequest, m),
        AccountError::Store(other) => other.into(),
    }
}

fn accounts(state: &AppState) -> Accounts {
    Accounts::new(state.0.store.clone())
}

/// Adds a staff account to the company.
#[utoipa::path(
    post,
    path = "/agents",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created; without a password, with a set-password link.", body = Created),
        (status = 400, description = "`invalid_email`, `invalid_name`, `invalid_role`, `password_too_short`, `invalid_request`", body = ErrorBody),
        (status = 409, description = "`email_taken`", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let email = checked_email(&body.email)?;
    let name = checked_name(&body.name)?;
    let role = checked_role(body.role, body.permissions)?.unwrap_or(AgentRole::Agent);
    let password = match body.password {
        Some(password) => {
            NewPassword::Hashed(accounts::hash(password).await.map_err(|e| agent_error(e.into()))?)
        }
        None => NewPassword::Link,
    };
    let by = Changer::Agent(&auth.agent.id);
    let (agent, link) = accounts(&state)
        .create(by, &auth.agent.company, email, name, role, password)
        .await
        .map_err(agent_error)?
        .value;
    Ok((StatusCode::CREATED, Json(Created { agent: agent.into(), link: link.map(Into::into) })))
}

/// `PATCH /agents/{id}`: the fields to change, and the version they were read at.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgentChange)]
struct UpdateBody {
    version: i64,
    email: Option<String>,
    name: Option<String>,
    role: Option<AgentRole>,
    permissions: Option<Permissions>,
    disabled: Option<bool>,
}

fn agent_id(raw: &str) -> Result<AgentId, ApiError> {
    raw.parse().map_err(|_| ApiError::new(ErrorCode::NotFound, "there is no such agent"))
}

/// Changes a staff account: email, name, role, or whether it is disabled.
#[utoipa::path(
    patch,
    path = "/agents/{id}",
    params(("id" = AgentId, Path, description = "The agent's id.")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The agent as changed.", body = AgentView),
        (status = 400, description = "`invalid_email`, `invalid_name`, `invalid_role`, `invalid_request`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such agent of the company", body = ErrorBody),
        (status = 409, description = "`version_conflict`: changed meanwhile; `email_taken`; `cannot_change_self`: disabling yourself or giving up your own admin permission", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<AgentView>, ApiError> {
    let id = agent_id(&id)?;
    let changes = AgentChanges {
        email: body.email.as_deref().map(checked_email).transpose()?,
        name: body.name.as_deref().map(checked_name).transpose()?,
        role: checked_role(body.role, body.permissions)?,
        disabled: body.disabled,
    };
    let loses_admin =
        changes.role.is_some_and(|r| !r.permissions().contains(model::Permission::Admin));
    if id == auth.agent.id && (changes.disabled == Some(true) || loses_admin) {
        return Err(ApiError::new(
            ErrorCode::CannotChangeSelf,
            "you cannot disable yourself or give up your own admin permission",
        ));
    }
    let agent = accounts(&state)
        .update(Changer::Agent(&auth.agent.id), &auth.agent.company, &id, body.version, changes)
        .await
        .map_err(agent_error)?
        .value;
    Ok(Json(agent.into()))
}

/// Removes a staff account; its logins end.
#[utoipa::path(
    delete,
    path = "/agents/{id}",
    params(("id" = AgentId, Path, description = "The agent's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "`not_found`: no such agent of the company", body = ErrorBody),
        (status = 409, description = "`cannot_change_self`: removing yourself", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = agent_id(&id)?;
    if id == auth.agent.id {
        return Err(ApiError::new(ErrorCode::CannotChangeSelf, "you cannot remove yourself"));
    }
    accounts(&state)
        .delete(Changer::Agent(&auth.agent.id), &auth.agent.company, &id)
        .await
        .map_err(agent_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /agents/{id}/reset-password`: the old password and the agent's logins stop working,
/// and a new set-password link is answered.
#[utoipa::path(
    post,
    path = "/agents/{id}/reset-password",
    params(("id" = AgentId, Path, description = "The agent's id.")),
    responses(
        (status = 200, description = "A new set-password link; the old password and logins stop working.", body = PasswordLink),
        (status = 404, description = "`not_found`: no such agent of the company", body = ErrorBody),
    )
)]
async fn reset_password(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<Json<PasswordLink>, ApiError> {
    let id = agent_id(&id)?;
    let link = accounts(&state)
        .reset_password(Changer::Agent(&auth.agent.id), &auth.agent.company, &id)
        .await
        .map_err(agent_error)?
        .value;
    Ok(Json(link.into()))
}

/// `POST /auth/set-password`: the token of a set-password link and the new password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPassword)]
struct SetPasswordBody {
    #[schema(value_type = String, format = Password, write_only)]
    token: Secret<String>,
    #[schema(value_type = String, format = Password, write_only)]
    password: Secret<String>,
}

/// Sets a password with the token of a set-password link (the link then stops working).
#[utoipa::path(
    post,
    path = "/auth/set-password",
    request_body = SetPasswordBody,
    responses(
        (status = 204, description = "The password is set."),
        (status = 400, description = "`password_too_short`", body = ErrorBody),
        (status = 404, description = "`invalid_link`: the link is unknown, used or expired", body = ErrorBody),
    )
)]
async fn set_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetPasswordBody>,
) -> Result<StatusCode, ApiError> {
    let token = body.token.expose();
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::new(ErrorCode::InvalidLink, "this set-password link is not valid"));
    }
    let hash = accounts::hash(body.password).await.map_err(|e| agent_error(e.into()))?;
    accounts(&state).redeem(token, &hash).await.map_err(|e| match e {
        AccountError::Store(StoreError::NotFound(m)) => ApiError::new(ErrorCode::InvalidLink, m),
        other => agent_error(other),
    })?;
    Ok(StatusCode::NO_CONTENT)
}
