//! The webhook events of sessions (F23): queued in the store, for the server's deliverer, when
//! a session starts (created, its PIN made, before any agent joined) and when it ends (with its
//! reason and duration). A company without webhooks for an event queues nothing.

use model::{SessionId, WebhookEvent};
use store::{QueuedEvent, SessionRecord};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Inner;

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

/// The `data` of a session event: what the session record says, as the contract names it.
fn session_data(rec: &SessionRecord) -> serde_json::Value {
    let duration_secs =
        rec.ended_at.map(|end| (end - rec.created_at).whole_milliseconds().max(0) as f64 / 1000.0);
    serde_json::json!({
        "session_id": rec.id,
        "company_id": rec.company,
        "started_at": rfc3339(rec.created_at),
        "agent_id": rec.agent,
        "joined_at": rec.joined_at.and_then(rfc3339),
        "ended_at": rec.ended_at.and_then(rfc3339),
        "end_reason": rec.end_reason,
        "duration_secs": duration_secs,
        "locale": rec.locale,
        "reference": rec.reference,
    })
}

impl Inner {
    /// Queues `session.started` for a session just recorded.
    pub(super) async fn queue_started(&self, rec: &SessionRecord) {
        self.queue(rec, WebhookEvent::SessionStarted).await;
    }

    /// Queues `session.ended` for a session whose end was just recorded.
    pub(super) async fn queue_ended(&self, id: &SessionId) {
        match self.store.session(id).await {
            Ok(Some(rec)) => self.queue(&rec, WebhookEvent::SessionEnded).await,
            Ok(None) => {}
            Err(error) => {
                tracing::error!(session_id = %id, %error, "Could not read the session for its webhooks.");
            }
        }
    }

    async fn queue(&self, rec: &SessionRecord, kind: WebhookEvent) {
        let event = QueuedEvent::new(rec.company.clone(), kind, session_data(rec));
        match self.store.enqueue_webhook_event(&event).await {
            Ok(0) => {}
            Ok(n_queued) => {
                metrics::counter!("beside_webhook_events_queued_total", "event" => kind.as_str())
                    .increment(n_queued);
            }
            Err(error) => {
                tracing::error!(session_id = %rec.id, event = %kind, %error, "Could not queue a webhook event.");
            }
        }
    }
}
