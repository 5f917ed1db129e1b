//! The staff's own company: what it decides about its sessions (F2, F3, F13). Staff read it;
//! administrators change it. Live sessions read it when an agent joins and when they end.

use crate::auth::{AdminAuth, AgentAuth, ApiJson};
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{Company, SessionPolicy, TranscriptPolicy};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/company", get(show).patch(update))
}

/// The company as its staff see it (`GET /company`, and the answer to `PATCH /company`).
#[derive(Serialize)]
struct CompanyBody {
    slug: String,
    name: String,
    start_url: Option<String>,
    pin: PinSettings,
    control: ControlSettings,
    chat: ChatSettings,
}

#[derive(Serialize)]
struct PinSettings {
    approval: bool,
}

#[derive(Serialize)]
struct ControlSettings {
    agents_start_with_control: bool,
}

#[derive(Serialize)]
struct ChatSettings {
    transcripts: TranscriptPolicy,
}

fn company_body(company: &Company) -> Json<CompanyBody> {
    let p = &company.policy;
    Json(CompanyBody {
        slug: company.slug.clone(),
        name: company.name.clone(),
        start_url: company.start_url.clone(),
        pin: PinSettings { approval: p.pin_approval },
        control: ControlSettings { agents_start_with_control: p.agents_start_with_control },
        chat: ChatSettings { transcripts: p.transcripts },
    })
}

async fn own_company(state: &AppState, agent: &store::Agent) -> Result<Company, ApiError> {
    state.0.store.company(&agent.company).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, "the company of this account no longer exists")
    })
}

async fn show(
    State(state): State<AppState>,
    auth: AgentAuth,
) -> Result<Json<CompanyBody>, ApiError> {
    Ok(company_body(&own_company(&state, &auth.agent).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinPatch {
    /// The customer approves each agent who redeems a PIN before they join.
    approval: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlPatch {
    /// Agents' input reaches the page from the start (else they ask for control).
    agents_start_with_control: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatPatch {
    /// `keep` keeps each session's chat with its record; `delete` lets it go with the session.
    transcripts: Option<TranscriptPolicy>,
}

/// The settings to change; those left out stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    pin: Option<PinPatch>,
    control: Option<ControlPatch>,
    chat: Option<ChatPatch>,
}

async fn update(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<CompanyBody>, ApiError> {
    let mut company = own_company(&state, &auth.agent).await?;
    let before = company.policy;
    let policy = SessionPolicy {
        pin_approval: body.pin.and_then(|p| p.approval).unwrap_or(before.pin_approval),
        agents_start_with_control: body
            .control
            .and_then(|c| c.agents_start_with_control)
            .unwrap_or(before.agents_start_with_control),
        transcripts: body.chat.and_then(|c| c.transcripts).unwrap_or(before.transcripts),
    };
    if policy != before {
        state.0.store.set_session_policy(&company.id, policy).await?;
        let event = policy.changed_event(&company.id, Some(&auth.agent.id));
        state.0.store.record_audit(&event).await?;
        company.policy = policy;
    }
    Ok(company_body(&company))
}
