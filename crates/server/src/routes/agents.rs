//! A company's agents (F18): administrators list, create, change and remove the staff
//! accounts of their own company.

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use model::{AgentId, AgentRole, Permissions};
use serde::Serialize;
use time::OffsetDateTime;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/agents", get(list))
}

/// An agent as the admin console shows it.
#[derive(Serialize)]
struct AgentView {
    id: AgentId,
    email: String,
    name: String,
    role: AgentRole,
    permissions: Permissions,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<store::Agent> for AgentView {
    fn from(a: store::Agent) -> Self {
        AgentView {
            permissions: a.role.permissions(),
            id: a.id,
            email: a.email,
            name: a.name,
            role: a.role,
            created_at: a.created_at,
        }
    }
}

/// `GET /agents`.
#[derive(Serialize)]
struct AgentList {
    agents: Vec<AgentView>,
}

async fn list(State(state): State<AppState>, auth: AdminAuth) -> Result<Json<AgentList>, ApiError> {
    let agents = state.0.store.agents(&auth.agent.company).await?;
    Ok(Json(AgentList { agents: agents.into_iter().map(AgentView::from).collect() }))
}
