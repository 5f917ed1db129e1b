//! A company's webhooks (F23): administrators register an address for some events (the secret
//! is answered once), list and remove them, and read each one's delivery log. An address is
//! checked as deliveries check it (`crate::webhooks`), and registering and removing are audited.

use crate::auth::{AdminAuth, ApiJson};
use crate::error::{ApiError, ErrorBody};
use crate::webhooks::{check_url, resolve, TargetError};
use crate::{AppState, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use model::{AuditKind, Secret, WebhookEvent, WebhookId};
use serde::{Deserialize, Serialize};
use store::{AuditEvent, DeliveryStatus, NewWebhook, StoreError};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
        .routes(routes!(deliveries))
}

/// A webhook as the admin console shows it: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Webhook)]
struct WebhookView {
    id: WebhookId,
    url: String,
    events: Vec<WebhookEvent>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<store::Webhook> for WebhookView {
    fn from(w: store::Webhook) -> Self {
        WebhookView { id: w.id, url: w.url, events: w.events, created_at: w.created_at }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct WebhookList {
    webhooks: Vec<WebhookView>,
}

/// The company's webhooks.
#[utoipa::path(
    get,
    path = "/webhooks",
    responses(
        (status = 200, description = "The company's webhooks (without their secrets).", body = WebhookList),
    )
)]
async fn list(
    State(state): State<AppState>,
    auth: AdminAuth,
) -> Result<Json<WebhookList>, ApiError> {
    let hooks = state.0.store.webhooks(&auth.agent.company).await?;
    Ok(Json(WebhookList { webhooks: hooks.into_iter().map(WebhookView::from).collect() }))
}

/// `POST /webhooks`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewWebhook)]
struct CreateBody {
    url: String,
    events: Vec<String>,
}

/// The new webhook, with its secret: the one time it is shown.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookCreated)]
struct Created {
    #[serde(flatten)]
    webhook: WebhookView,
    secret: String,
}

fn target_error(e: TargetError) -> ApiError {
    let code = match e {
        TargetError::Refused { .. } | TargetError::Unresolved { .. } => {
            ErrorCode::WebhookAddressRefused
        }
        _ => ErrorCode::InvalidWebhookUrl,
    };
    ApiError::new(code, e.to_string()).field("url")
}

fn checked_events(raw: &[String]) -> Result<Vec<WebhookEvent>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::new(ErrorCode::UnknownWebhookEvent, "choose at least one event")
            .field("events"));
    }
    if raw.len() > 16 {
        return Err(
            ApiError::new(ErrorCode::UnknownWebhookEvent, "too many events").field("events")
        );
    }
    raw.iter()
        .map(|e| {
            e.parse().map_err(|m| ApiError::new(ErrorCode::UnknownWebhookEvent, m).field("events"))
        })
        .collect()
}

/// Registers a webhook: a URL beside posts the chosen events to, signed.
#[utoipa::path(
    post,
    path = "/webhooks",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The webhook, with its signing secret: shown this once.", body = Created),
        (status = 400, description = "`invalid_webhook_url`, `webhook_address_refused` (a loopback, private or metadata address), `unknown_webhook_event`, `invalid_request`", body = ErrorBody),
        (status = 409, description = "`too_many_webhooks`", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let events = checked_events(&body.events)?;
    let exceptions = &state.0.settings.webhooks.exceptions;
    let target = check_url(&body.url, exceptions).map_err(target_error)?;
    resolve(&target, exceptions).await.map_err(target_error)?;
    let secret = format!("whsec_{}", model::random_token());
    let new = NewWebhook {
        company: auth.agent.company.clone(),
        url: target.url.to_string(),
        events,
        secret: Secret::new(secret.clone()),
        created_by: Some(auth.agent.id.clone()),
    };
    let hook = state.0.store.create_webhook(new).await.map_err(|e| match e {
        StoreError::Conflict(m) => ApiError::new(ErrorCode::TooManyWebhooks, m),
        StoreError::Invalid(m) => ApiError::new(ErrorCode::InvalidRequest, m),
        other => other.into(),
    })?;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(hook.company.clone()),
        agent: Some(auth.agent.id.clone()),
        session: None,
        kind: AuditKind::WebhookCreated.to_string(),
        detail: serde_json::json!({ "webhook_id": hook.id, "url": hook.url, "events": hook.events }),
    };
    state.0.store.record_audit(&event).await?;
    Ok((StatusCode::CREATED, Json(Created { webhook: hook.into(), secret })))
}

fn webhook_id(raw: &str) -> Result<WebhookId, ApiError> {
    raw.parse().map_err(|_| not_found())
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "there is no such webhook")
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(_) => not_found(),
        other => other.into(),
    }
}

/// Removes a webhook.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    params(("id" = WebhookId, Path, description = "The webhook's id.")),
    responses(
        (status = 204, description = "Removed, with its queued deliveries."),
        (status = 404, description = "`not_found`: no such webhook of the company", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = webhook_id(&id)?;
    let hook = state.0.store.delete_webhook(&auth.agent.company, &id).await.map_err(store_error)?;
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        company: Some(hook.company.clone()),
        agent: Some(auth.agent.id.clone()),
        session: None,
        kind: AuditKind::WebhookDeleted.to_string(),
        detail: serde_json::json!({ "webhook_id": hook.id, "url": hook.url }),
    };
    state.0.store.record_audit(&event).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One entry of a webhook's delivery log.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Delivery)]
struct DeliveryView {
    event_id: model::EventId,
    #[serde(rename = "type")]
    kind: WebhookEvent,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    status: DeliveryStatus,
    attempts: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    last_attempt_at: Option<OffsetDateTime>,
    last_status: Option<i64>,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    next_attempt_at: Option<OffsetDateTime>,
}

impl From<store::Delivery> for DeliveryView {
    fn from(d: store::Delivery) -> Self {
        DeliveryView {
            event_id: d.event,
            kind: d.kind,
            created_at: d.created_at,
            status: d.status,
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct DeliveryLog {
    deliveries: Vec<DeliveryView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// How many, newest first (at most `store::MAX_DELIVERY_PAGE`, 50 when absent).
    limit: Option<u32>,
}

/// A webhook's delivery log.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    params(("id" = WebhookId, Path, description = "The webhook's id."), DeliveryQuery),
    responses(
        (status = 200, description = "Its latest deliveries, newest first.", body = DeliveryLog),
        (status = 404, description = "`not_found`: no such webhook of the company", body = ErrorBody),
    )
)]
async fn deliveries(
    State(state): State<AppState>,
    auth: AdminAuth,
    Path(id): Path<String>,
    Query(query): Query<DeliveryQuery>,
) -> Result<Json<DeliveryLog>, ApiError> {
    let id = webhook_id(&id)?;
    let limit = query.limit.unwrap_or(50).clamp(1, store::MAX_DELIVERY_PAGE);
    let log = state
        .0
        .store
        .webhook_deliveries(&auth.agent.company, &id, limit)
        .await
        .map_err(store_error)?;
    Ok(Json(DeliveryLog { deliveries: log.into_iter().map(DeliveryView::from).collect() }))
}
