//! The staff's own company: what it decides about its sessions (F2, F3, F13). Staff read it;
//! administrators change it. Live sessions read it when an agent joins and when they end.

use crate::auth::{AdminAuth, AgentAuth, ApiJson};
use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{Company, SessionPolicy, StartMode, TranscriptPolicy};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/company", get(show).patch(update))
        .route("/company/start-secret", post(start_secret))
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
    start: StartSettings,
    pdfs: PdfSettings,
}

#[derive(Serialize)]
struct PdfSettings {
    /// What agents see of a PDF without form fields: `show` or `hide`. A PDF with form fields
    /// is hidden from agents whatever this says.
    agents: model::PdfView,
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

#[derive(Serialize)]
struct StartSettings {
    /// `open` or `signed` (a start needs a token signed with the start secret).
    mode: StartMode,
    /// Whether a start secret was made; the secret itself is read with `start-secret`.
    has_secret: bool,
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
        start: StartSettings { mode: p.start, has_secret: company.start_secret.is_some() },
        pdfs: PdfSettings { agents: p.pdfs },
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartPatch {
    /// `open`: anyone may start a session; `signed`: only with a token the company's site
    /// signed with its start secret.
    mode: Option<StartMode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PdfPatch {
    /// What agents see of a PDF without form fields: `show` or `hide`.
    agents: Option<model::PdfView>,
}

/// The settings to change; those left out stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    pin: Option<PinPatch>,
    control: Option<ControlPatch>,
    chat: Option<ChatPatch>,
    start: Option<StartPatch>,
    pdfs: Option<PdfPatch>,
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
        start: body.start.and_then(|s| s.mode).unwrap_or(before.start),
        pdfs: body.pdfs.and_then(|p| p.agents).unwrap_or(before.pdfs),
    };
    if policy.start == StartMode::Signed && company.start_secret.is_none() {
        // A signed start needs a key; the administrator reads it with `start-secret`.
        company.start_secret = Some(state.0.store.start_secret(&company.id, false).await?);
    }
    if policy != before {
        state.0.store.set_session_policy(&company.id, policy).await?;
        let event = policy.changed_event(&company.id, Some(&auth.agent.id));
        state.0.store.record_audit(&event).await?;
        company.policy = policy;
    }
    Ok(company_body(&company))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StartSecretBody {
    /// Replace the secret: tokens signed with the old one stop working at once.
    #[serde(default)]
    renew: bool,
}

/// The answer of `POST /company/start-secret`.
#[derive(Serialize)]
struct StartSecretAnswer {
    /// The key of start tokens' signatures (its text, as bytes).
    secret: String,
    /// The company's start mode now.
    mode: StartMode,
}

/// The company's start secret (made on first ask), for its site to sign start tokens with.
/// Administrators only; every read is audited, never with the secret.
async fn start_secret(
    State(state): State<AppState>,
    auth: AdminAuth,
    body: axum::body::Bytes,
) -> Result<Json<StartSecretAnswer>, ApiError> {
    // The body is optional: an empty one reads the secret.
    let StartSecretBody { renew } = if body.iter().all(u8::is_ascii_whitespace) {
        StartSecretBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("body: {e}")))?
    };
    let company = own_company(&state, &auth.agent).await?;
    let secret = state.0.store.start_secret(&company.id, renew).await?;
    let event = store::start_secret_event(&company.id, Some(&auth.agent.id), renew);
    state.0.store.record_audit(&event).await?;
    Ok(Json(StartSecretAnswer { secret: secret.expose().clone(), mode: company.policy.start }))
}
