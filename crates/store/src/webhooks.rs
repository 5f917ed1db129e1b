//! Webhooks (F23): the addresses a company's events are posted to, and the queue of their
//! deliveries. A delivery is queued in the same database as everything else, so it survives a
//! restart; whoever delivers claims due deliveries for a while (a lease), so two nodes never
//! post the same one at once, and a node that died mid-delivery leaves it due again.
//!
//! The secret of a webhook is kept as it is (beside signs with it), like a company's start
//! secret; it is `model::Secret` in every struct, so it never prints.

use model::{AgentId, CompanyId, EventId, Secret, WebhookEvent, WebhookId};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// A company keeps at most this many webhooks.
pub const MAX_WEBHOOKS_PER_COMPANY: u64 = 20;
/// The longest webhook URL kept, in bytes.
pub const MAX_WEBHOOK_URL_BYTES: usize = 2048;
/// The most deliveries `Store::webhook_deliveries` answers at once.
pub const MAX_DELIVERY_PAGE: u32 = 200;

/// A webhook to register; its URL already checked by the caller (scheme, address policy).
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub company: CompanyId,
    pub url: String,
    /// At least one; kept sorted and without repeats.
    pub events: Vec<WebhookEvent>,
    /// What beside signs each delivery with, shown to the administrator once.
    pub secret: Secret<String>,
    /// The agent who registered it; `None` for the command line.
    pub created_by: Option<AgentId>,
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub company: CompanyId,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub secret: Secret<String>,
    pub created_by: Option<AgentId>,
    pub created_at: OffsetDateTime,
}

impl NewWebhook {
    pub(crate) fn validated(mut self) -> Result<NewWebhook, StoreError> {
        if self.url.is_empty() || self.url.len() > MAX_WEBHOOK_URL_BYTES {
            return Err(StoreError::Invalid(format!(
                "a webhook URL has 1 to {MAX_WEBHOOK_URL_BYTES} bytes"
            )));
        }
        self.events.sort();
        self.events.dedup();
        if self.events.is_empty() {
            return Err(StoreError::Invalid("a webhook needs at least one event".to_owned()));
        }
        if self.secret.expose().len() < 16 {
            return Err(StoreError::Invalid("a webhook secret has at least 16 bytes".to_owned()));
        }
        Ok(self)
    }

    pub(crate) fn to_webhook(&self) -> Webhook {
        Webhook {
            id: WebhookId::random(),
            company: self.company.clone(),
            url: self.url.clone(),
            events: self.events.clone(),
            secret: self.secret.clone(),
            created_by: self.created_by.clone(),
            created_at: crate::row::now(),
        }
    }
}

impl Webhook {
    pub(crate) fn from_row(row: &impl Row) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: row.id("id")?,
            company: row.id("company_id")?,
            url: row.text("url")?,
            events: events_from_json(row.json("events")?)?,
            secret: Secret::new(row.text("secret")?),
            created_by: row.opt_id("created_by")?,
            created_at: row.time("created_at")?,
        })
    }

    pub(crate) fn events_json(&self) -> serde_json::Value {
        serde_json::Value::from(self.events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
    }
}

fn events_from_json(value: serde_json::Value) -> Result<Vec<WebhookEvent>, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("column events holds {value}"));
    let list = value.as_array().ok_or_else(corrupt)?;
    list.iter().map(|e| e.as_str().and_then(|s| s.parse().ok()).ok_or_else(corrupt)).collect()
}

/// An event to send to every webhook of its company that subscribes to its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    pub id: EventId,
    pub company: CompanyId,
    pub kind: WebhookEvent,
    pub created_at: OffsetDateTime,
    /// The exact bytes posted (and signed): the JSON body `{"id","type","created_at","data"}`.
    pub body: String,
}

impl QueuedEvent {
    /// An event of `company` happening now, with a fresh id; its body is the envelope
    /// `{"id","type","created_at","data"}` around `data`.
    pub fn new(company: CompanyId, kind: WebhookEvent, data: serde_json::Value) -> QueuedEvent {
        let id = EventId::random();
        let created_at = crate::row::now();
        let at = created_at
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time of this millennium formats as RFC 3339");
        let body = serde_json::json!({
            "id": id.as_str(),
            "type": kind.as_str(),
            "created_at": at,
            "data": data,
        })
        .to_string();
        QueuedEvent { id, company, kind, created_at, body }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet; tried again at `next_attempt_at`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up on (its time ran out); not tried again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(format!("`{other}` is not a delivery status")),
        }
    }
}

/// One event's delivery to one webhook, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub webhook: WebhookId,
    pub event: EventId,
    pub kind: WebhookEvent,
    pub created_at: OffsetDateTime,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub last_attempt_at: Option<OffsetDateTime>,
    /// The HTTP status of the last answer, when there was one.
    pub last_status: Option<i64>,
    /// Why the last attempt did not deliver (never a secret).
    pub last_error: Option<String>,
}

impl Delivery {
    pub(crate) fn from_row(row: &impl Row) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            webhook: row.id("webhook_id")?,
            event: row.id("event_id")?,
            kind: row.text("event_type")?.parse().map_err(StoreError::Corrupt)?,
            created_at: row.time("created_at")?,
            status: row.parsed("status")?,
            attempts: row.int("attempts")?,
            next_attempt_at: row.opt_time("next_attempt_at")?,
            last_attempt_at: row.opt_time("last_attempt_at")?,
            last_status: row.opt_int("last_status")?,
            last_error: row.opt_text("last_error")?,
        })
    }
}

/// A delivery claimed for an attempt: what to post, where, signed with what.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub webhook: WebhookId,
    pub event: EventId,
    pub url: String,
    pub secret: Secret<String>,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When the event happened: retries stop a while after it.
    pub created_at: OffsetDateTime,
}

impl DueDelivery {
    pub(crate) fn from_row(row: &impl Row) -> Result<DueDelivery, StoreError> {
        Ok(DueDelivery {
            webhook: row.id("webhook_id")?,
            event: row.id("event_id")?,
            url: row.text("url")?,
            secret: Secret::new(row.text("secret")?),
            body: row.text("body")?,
            attempts: row.int("attempts")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// How an attempt went, and so what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer with this status.
    Delivered { status: u16 },
    /// Not delivered; tried again at `next_at`.
    Retry { status: Option<u16>, error: String, next_at: OffsetDateTime },
    /// Not delivered, and not tried again.
    Failed { status: Option<u16>, error: String },
}

/// The longest last error kept, in characters.
const MAX_ERROR_CHARS: usize = 300;

impl AttemptOutcome {
    /// What the delivery's row holds after it: status, next attempt, last status code and
    /// last error (clipped).
    pub(crate) fn columns(
        &self,
    ) -> (DeliveryStatus, Option<OffsetDateTime>, Option<u16>, Option<String>) {
        let clipped = |error: &str| Some(error.chars().take(MAX_ERROR_CHARS).collect());
        match self {
            AttemptOutcome::Delivered { status } => {
                (DeliveryStatus::Delivered, None, Some(*status), None)
            }
            AttemptOutcome::Retry { status, error, next_at } => {
                (DeliveryStatus::Pending, Some(*next_at), *status, clipped(error))
            }
            AttemptOutcome::Failed { status, error } => {
                (DeliveryStatus::Failed, None, *status, clipped(error))
            }
        }
    }
}

// What the backends answer, worded once.

pub(crate) fn unknown_webhook(id: &WebhookId) -> StoreError {
    StoreError::NotFound(format!("there is no webhook with the id {id}"))
}

pub(crate) fn too_many_webhooks() -> StoreError {
    StoreError::Conflict(format!(
        "a company has at most {MAX_WEBHOOKS_PER_COMPANY} webhooks; remove one first"
    ))
}

pub(crate) fn webhook_refs_missing(new: &NewWebhook) -> StoreError {
    StoreError::NotFound(format!("the company {} or its agent does not exist", new.company))
}
