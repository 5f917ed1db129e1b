//! Sessions: start (customer), join by PIN or ask to join (agent), a new PIN (customer),
//! connection tickets, end, look up, the kept chat transcript.

use crate::auth::{AgentAuth, ApiJson, Bearer};
use crate::client::Client;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use model::{AgentId, Role, SessionId};
use protocol::{EndReason, PageState, ParticipantInfo};
use serde::{Deserialize, Serialize};
use session::{JoinError, RequestJoinError, SessionError, SessionHandle, TicketError, TokenHolder};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(join))
        .routes(routes!(show))
        .routes(routes!(request_join))
        .routes(routes!(renew_pin))
        .routes(routes!(ticket))
        .routes(routes!(end))
        .routes(routes!(transcript))
        .routes(routes!(leave))
}

/// `POST /sessions`: a customer starts a session (public).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SessionStart)]
pub(crate) struct CreateBody {
    /// The company's slug.
    pub(crate) company: String,
    pub(crate) start_url: Option<String>,
    /// The customer's language (`navigator.language`); `languages` wins when both are given.
    pub(crate) locale: Option<String>,
    /// The customer's languages, most preferred first (`navigator.languages`).
    pub(crate) languages: Option<Vec<String>>,
    /// The customer's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
    pub(crate) time_zone: Option<String>,
    /// A start signed by the company's site; required when the company's start is `signed`.
    pub(crate) start_token: Option<String>,
    /// The site's own reference for the session (a ticket number): kept with its record,
    /// shown to agents, in reports and webhooks. A signed start token's reference wins.
    pub(crate) reference: Option<String>,
}

/// The answer to `POST /sessions` (`201`): what the customer's page needs to go on.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionStarted)]
pub(crate) struct Created {
    session_id: SessionId,
    /// The PIN the customer reads out to an agent.
    pin: String,
    /// The customer's participant token (for tickets, a new PIN and ending).
    customer_token: String,
    /// When the PIN stops working (RFC 3339).
    expires_at: String,
    /// The same, relative: a customer's device clock may be minutes off the server's.
    expires_in_secs: u64,
}

pub(crate) fn parse_session_id(id: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(id).map_err(|_| ApiError::new(ErrorCode::NotFound, "there is no such session"))
}

/// A customer starts a session: a cloud browser opens the company's start address (or
/// `start_url`), and the answer carries the PIN to read out to an agent.
#[utoipa::path(
    post,
    path = "/sessions",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The session started.", body = Created),
        (status = 400, description = "`invalid_request`: a language, time zone or `start_url` that is not accepted; `invalid_reference`", body = ErrorBody),
        (status = 401, description = "`start_token_required`, `start_token_expired`, `start_token_invalid`: the company starts sessions only with a start token its site signed", body = ErrorBody),
        (status = 404, description = "`unknown_company`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many starts from this address", body = ErrorBody),
        (status = 503, description = "`at_capacity`: no cloud browser free; `not_ready`", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    client: Client,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let company = state.0.store.company_by_slug(&body.company).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::UnknownCompany, "there is no company with this name")
    })?;
    let created = start(&state, &client, company, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Starts a session of `company` as `body` asks (the customer page's start and the embed's).
pub(crate) async fn start(
    state: &AppState,
    client: &Client,
    company: store::Company,
    body: CreateBody,
) -> Result<Created, ApiError> {
    let reference = match body.reference.as_deref().map(policy::embed::check_reference) {
        None => None,
        Some(Ok(reference)) => reference,
        Some(Err(e)) => {
            return Err(ApiError::new(ErrorCode::InvalidReference, format!("reference: {e}"))
                .field("reference"))
        }
    };
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
    let claim = check_start_token(state, &company, body.start_token.as_deref()).await?;
    let client_key = client.key().to_string();
    // A reference the company's site signed is vouched for; the body's is the caller's word.
    let reference = claim
        .as_ref()
        .and_then(|c| policy::embed::check_reference(&c.reference).ok().flatten())
        .or(reference);
    let created = state
        .0
        .registry
        .create_session(&company, &client_key, start_url, locale, reference)
        .await
        .map_err(|e| match e {
            SessionError::AtCapacity => ApiError::new(
                ErrorCode::AtCapacity,
                "all co-browsing places are taken right now; please try again in a few minutes",
            ),
            SessionError::TooManyWaiting => ApiError::new(
                ErrorCode::RateLimited,
                "sessions started from this address are already waiting for an agent; \
                 use one of them or try again soon",
            ),
            SessionError::Store(e) => e.into(),
            other => ApiError::internal(&other),
        })?;
    if let Some(claim) = claim {
        let detail = serde_json::json!({ "reference": claim.reference, "expires": claim.expires });
        let event = start_token_event(
            &company,
            Some(&created.session_id),
            model::AuditKind::StartTokenAccepted,
            detail,
        );
        record_start_audit(state, &event).await;
    }
    Ok(Created {
        session_id: created.session_id,
        pin: created.pin.digits(),
        customer_token: created.customer_token.expose().to_owned(),
        expires_at: rfc3339(created.expires_at)?,
        expires_in_secs: state.0.registry.pin_ttl().as_secs(),
    })
}

/// Checks a start against the company's start mode: an open company takes any start (a token
/// is not looked at); a signed one only a valid token of its own. Refusals are audited.
async fn check_start_token(
    state: &AppState,
    company: &store::Company,
    token: Option<&str>,
) -> Result<Option<policy::start_token::StartClaim>, ApiError> {
    use policy::start_token::StartTokenRefusal;
    if company.policy.start == store::StartMode::Open {
        return Ok(None);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let checked = match (token, &company.start_secret) {
        (None, _) => Err(ApiError::new(
            ErrorCode::StartTokenRequired,
            "this company starts sessions only from its own site, with a signed start token",
        )),
        (Some(_), None) => Err(ApiError::new(
            ErrorCode::StartTokenInvalid,
            "this company has no start secret yet, so no start token is valid",
        )),
        (Some(token), Some(secret)) => {
            policy::start_token::verify(secret.expose(), &company.slug, token, now).map_err(
                |refusal| match refusal {
                    StartTokenRefusal::Expired => {
                        ApiError::new(ErrorCode::StartTokenExpired, refusal.to_string())
                    }
                    StartTokenRefusal::Invalid(_) => {
                        ApiError::new(ErrorCode::StartTokenInvalid, refusal.to_string())
                    }
                },
            )
        }
    };
    if let Err(refused) = &checked {
        let detail = serde_json::json!({ "error": refused.code().as_str() });
        let event = start_token_event(company, None, model::AuditKind::StartTokenRefused, detail);
        record_start_audit(state, &event).await;
    }
    checked.map(Some)
}

/// The start's answer does not wait on the audit log: a session made stays made, a refusal
/// stays a refusal; a failed write is logged.
async fn record_start_audit(state: &AppState, event: &store::AuditEvent) {
    if let Err(error) = state.0.store.record_audit(event).await {
        tracing::warn!(%error, kind = event.kind, "Could not audit a session start.");
    }
}

fn start_token_event(
    company: &store::Company,
    session: Option<&SessionId>,
    kind: model::AuditKind,
    detail: serde_json::Value,
) -> store::AuditEvent {
    store::AuditEvent {
        at: time::OffsetDateTime::now_utc(),
        company: Some(company.id.clone()),
        agent: None,
        session: session.cloned(),
        kind: kind.to_string(),
        detail,
    }
}

/// `POST /sessions/join`: an agent redeems a PIN.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PinJoin)]
struct JoinBody {
    /// The digits the customer read out.
    pin: String,
}

/// An agent joins a session with the PIN the customer read out. Every PIN that does not open a
/// session (unknown, used, expired, another company's) gets the same `404 invalid_pin`.
#[utoipa::path(
    post,
    path = "/sessions/join",
    request_body = JoinBody,
    responses(
        (status = 200, description = "Joined, or waiting for the customer's approval (`waiting`).", body = Joined),
        (status = 404, description = "`invalid_pin`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many wrong PINs", body = ErrorBody),
    )
)]
async fn join(
    State(state): State<AppState>,
    auth: AgentAuth,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Json<Joined>, ApiError> {
    if body.pin.len() > 32 {
        return Err(ApiError::new(ErrorCode::InvalidPin, "this PIN is not valid"));
    }
    match state.0.registry.redeem_pin(&auth.agent, &body.pin).await {
        Ok(joined) => Ok(joined_body(&joined)),
        Err(JoinError::RateLimited) => Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many wrong PINs; wait a minute and try again",
        )),
        // Unknown, used, expired, malformed, or another company's: one answer (F1).
        Err(JoinError::Rejected(_)) => {
            Err(ApiError::new(ErrorCode::InvalidPin, "this PIN is not valid"))
        }
        Err(JoinError::Store(e)) => Err(e.into()),
    }
}

/// What an agent who joined (or waits to) gets: their token, and whether they wait for the
/// customer's approval.
#[derive(Serialize, ToSchema)]
struct Joined {
    session_id: SessionId,
    /// The agent's participant token: for tickets, leaving and ending.
    agent_token: String,
    /// The customer has yet to let them in.
    waiting: bool,
}

fn joined_body(joined: &session::Joined) -> Json<Joined> {
    Json(Joined {
        session_id: joined.session_id.clone(),
        agent_token: joined.agent_token.expose().to_owned(),
        waiting: joined.waiting,
    })
}

/// A colleague of the session's company (a supervisor, a transfer) asks to join a live session
/// by its id; they wait until the customer approves them. Another company's session, or one
/// that ended, is `not_found`.
#[utoipa::path(
    post,
    path = "/sessions/{id}/join",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "Waiting for the customer's approval.", body = Joined),
        (status = 404, description = "`not_found`: no such live session of the company", body = ErrorBody),
    )
)]
async fn request_join(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: AgentAuth,
) -> Result<Json<Joined>, ApiError> {
    let id = parse_session_id(&id)?;
    match state.0.registry.request_join(&auth.agent, &id).await {
        Ok(joined) => Ok(joined_body(&joined)),
        Err(RequestJoinError::NotFound) => {
            Err(ApiError::new(ErrorCode::NotFound, "there is no such live session"))
        }
        Err(RequestJoinError::Store(e)) => Err(ApiError::internal(&e)),
    }
}

/// The answer to `POST /sessions/{id}/pin`.
#[derive(Serialize, ToSchema)]
struct RenewedPin {
    pin: String,
    /// When the new PIN stops working (RFC 3339).
    expires_at: String,
    /// The same, relative (a device clock may be off).
    expires_in_secs: u64,
}

/// The customer makes a new PIN for their session (the previous one stops working): for
/// another agent, or because the first expired before anyone joined.
#[utoipa::path(
    post,
    path = "/sessions/{id}/pin",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "The new PIN.", body = RenewedPin),
        (status = 403, description = "`forbidden`: only the customer makes a new PIN", body = ErrorBody),
        (status = 404, description = "`not_found`: not a session id", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn renew_pin(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<Json<RenewedPin>, ApiError> {
    let holder = holder_of(&state, &id, &token).await?;
    if holder.role != Role::Customer {
        return Err(ApiError::new(ErrorCode::Forbidden, "only the customer makes a new PIN"));
    }
    let renewed = state.0.registry.renew_pin(&holder).await.map_err(ticket_error)?;
    let expires_at = rfc3339(renewed.expires_at)?;
    let expires_in_secs = state.0.registry.pin_ttl().as_secs();
    Ok(Json(RenewedPin { pin: renewed.pin.digits(), expires_at, expires_in_secs }))
}

/// The answer to `GET /sessions/{id}/transcript`.
#[derive(Serialize, ToSchema)]
struct Transcript {
    session_id: SessionId,
    entries: Vec<store::TranscriptEntry>,
}

/// The chat of a session, when its company keeps transcripts (company staff only).
#[utoipa::path(
    get,
    path = "/sessions/{id}/transcript",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "The kept chat; no entries when the company does not keep chats.", body = Transcript),
        (status = 404, description = "`not_found`: no such session of the company", body = ErrorBody),
    )
)]
async fn transcript(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: AgentAuth,
) -> Result<Json<Transcript>, ApiError> {
    let id = parse_session_id(&id)?;
    company_session(&state, &id, &auth.agent).await?;
    let entries = state.0.store.transcript(&id).await?;
    Ok(Json(Transcript { session_id: id, entries }))
}

/// The record of a session of `agent`'s company; another company's is `not_found` as if it did
/// not exist.
async fn company_session(
    state: &AppState,
    id: &SessionId,
    agent: &store::Agent,
) -> Result<store::SessionRecord, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, "there is no such session");
    let record = state.0.store.session(id).await?.ok_or_else(not_found)?;
    if record.company != agent.company {
        return Err(not_found());
    }
    Ok(record)
}

/// Who holds `token` in session `id`.
pub(crate) async fn holder_of(
    state: &AppState,
    id: &str,
    token: &str,
) -> Result<TokenHolder, ApiError> {
    let id = parse_session_id(id)?;
    state.0.registry.token_holder(&id, token).await.map_err(ticket_error)
}

fn rfc3339(t: time::OffsetDateTime) -> Result<String, ApiError> {
    t.format(&time::format_description::well_known::Rfc3339).map_err(|e| ApiError::internal(&e))
}

pub(crate) fn ticket_error(e: TicketError) -> ApiError {
    match e {
        TicketError::SessionEnded => {
            ApiError::new(ErrorCode::SessionEnded, "this session has ended")
        }
        TicketError::InvalidToken | TicketError::InvalidTicket => {
            ApiError::new(ErrorCode::InvalidToken, "this token does not open this session")
        }
    }
}

/// The answer to `POST /sessions/{id}/tickets`: a single-use ticket for the WebSocket.
#[derive(Serialize, ToSchema)]
struct Ticket {
    ticket: String,
    /// When the ticket stops working (RFC 3339).
    expires_at: String,
}

/// A single-use ticket to open the session's WebSocket (`GET /sessions/{id}/ws?ticket=`).
#[utoipa::path(
    post,
    path = "/sessions/{id}/tickets",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "The ticket.", body = Ticket),
        (status = 404, description = "`not_found`: not a session id", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<Json<Ticket>, ApiError> {
    let holder = holder_of(&state, &id, &token).await?;
    let (ticket, expires_at) = state.0.registry.issue_ticket(&holder).await;
    let expires_at = rfc3339(expires_at)?;
    Ok(Json(Ticket { ticket: ticket.expose().to_owned(), expires_at }))
}

/// The live session `id` and who holds `token` in it.
async fn participant(
    state: &AppState,
    id: &str,
    token: &str,
) -> Result<(SessionHandle, TokenHolder), ApiError> {
    let holder = holder_of(state, id, token).await?;
    let handle = state
        .0
        .registry
        .session(&holder.session)
        .ok_or_else(|| ticket_error(TicketError::SessionEnded))?;
    Ok((handle, holder))
}

/// A participant ends the session for everyone: the cloud browser's context is gone.
#[utoipa::path(
    post,
    path = "/sessions/{id}/end",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = "`not_found`: not a session id", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<StatusCode, ApiError> {
    end_by_token(&state, &id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The holder of `token` ends session `id`.
pub(crate) async fn end_by_token(state: &AppState, id: &str, token: &str) -> Result<(), ApiError> {
    let (handle, holder) = participant(state, id, token).await?;
    let reason = match holder.role {
        Role::Customer => EndReason::CustomerEnded,
        Role::Agent => EndReason::AgentEnded,
    };
    handle.end_by(reason, &holder.participant).await;
    Ok(())
}

/// An agent leaves the session for good (signing out): the customer is told and can give a new
/// PIN to someone else. A customer ends the session instead.
#[utoipa::path(
    post,
    path = "/sessions/{id}/leave",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 204, description = "Left."),
        (status = 400, description = "`invalid_request`: the customer ends a session instead", body = ErrorBody),
        (status = 404, description = "`not_found`: not a session id", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(token): Bearer,
) -> Result<StatusCode, ApiError> {
    let (handle, holder) = participant(&state, &id, &token).await?;
    if holder.role != Role::Agent {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "only an agent leaves a session; the customer ends it",
        ));
    }
    if !handle.leave(&holder.participant).await {
        return Err(ticket_error(TicketError::SessionEnded));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Where a session is in its life, as `GET /sessions/{id}` says.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SessionState)]
enum ShownState {
    /// The customer is in, no agent has joined yet.
    Waiting,
    /// An agent has joined.
    Active,
    /// The session is over (or lives on no node any more).
    Ended,
}

/// The answer to `GET /sessions/{id}`: its state, who is in it, and its times (RFC 3339).
#[derive(Serialize, ToSchema)]
#[schema(as = Session)]
struct SessionFacts {
    session_id: SessionId,
    state: ShownState,
    participants: Vec<ParticipantInfo>,
    page: Option<PageState>,
    agent_id: Option<AgentId>,
    created_at: Option<String>,
    joined_at: Option<String>,
    ended_at: Option<String>,
    end_reason: Option<String>,
    /// The company site's own reference for the session (a ticket number), when it gave one.
    reference: Option<String>,
}

/// A session of the caller's company: its state, who is in it (while live), its times.
#[utoipa::path(
    get,
    path = "/sessions/{id}",
    params(("id" = SessionId, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "The session.", body = SessionFacts),
        (status = 404, description = "`not_found`: no such session of the company", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: AgentAuth,
) -> Result<Json<SessionFacts>, ApiError> {
    let id = parse_session_id(&id)?;
    let record = company_session(&state, &id, &auth.agent).await?;
    let rfc3339 =
        |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).ok();
    let live = match state.0.registry.session(&id) {
        Some(handle) => handle.snapshot().await,
        None => None,
    };
    let shown = match &live {
        Some(snap) => match snap.state {
            session::SessionState::Waiting => ShownState::Waiting,
            session::SessionState::Active => ShownState::Active,
        },
        None => ShownState::Ended,
    };
    let (participants, page) = match live {
        Some(snap) => (snap.participants, Some(snap.page)),
        None => (Vec::new(), None),
    };
    Ok(Json(SessionFacts {
        session_id: record.id,
        state: shown,
        participants,
        page,
        agent_id: record.agent,
        created_at: rfc3339(record.created_at),
        joined_at: record.joined_at.and_then(rfc3339),
        ended_at: record.ended_at.and_then(rfc3339),
        end_reason: record.end_reason,
        reference: record.reference,
    }))
}
