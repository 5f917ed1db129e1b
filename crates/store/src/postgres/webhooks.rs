//! The `webhooks` and `webhook_deliveries` tables in PostgreSQL. A claim skips the rows
//! another node holds (`FOR UPDATE SKIP LOCKED`), so two nodes never claim the same delivery.

use model::{CompanyId, EventId, WebhookId};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::rules::lock_company;
use super::{ms, Postgres};
use crate::error::write_error;
use crate::webhooks::{
    too_many_webhooks, unknown_webhook, webhook_refs_missing, AttemptOutcome, Delivery,
    DueDelivery, NewWebhook, QueuedEvent, Webhook, MAX_WEBHOOKS_PER_COMPANY,
};
use crate::StoreError;

const WEBHOOK_COLUMNS: &str = "id, company_id, url, events, secret, created_by, created_at";

impl Postgres {
    pub(crate) async fn create_webhook(&self, new: &NewWebhook) -> Result<Webhook, StoreError> {
        let hook = new.to_webhook();
        let context = "registering a webhook";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        // The company's row lock queues concurrent registrations, so the count holds.
        if !lock_company(&mut tx, &hook.company, context).await? {
            return Err(webhook_refs_missing(new));
        }
        let n_hooks: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE company_id = $1")
                .bind(hook.company.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::database(context))?;
        if n_hooks as u64 >= MAX_WEBHOOKS_PER_COMPANY {
            return Err(too_many_webhooks());
        }
        sqlx::query(
            "INSERT INTO webhooks (id, company_id, url, events, secret, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hook.id.as_str())
        .bind(hook.company.as_str())
        .bind(&hook.url)
        .bind(Json(hook.events_json()))
        .bind(hook.secret.expose())
        .bind(hook.created_by.as_ref().map(|a| a.as_str()))
        .bind(ms(hook.created_at))
        .execute(&mut *tx)
        .await
        .map_err(write_error(
            context,
            || webhook_refs_missing(new),
            || webhook_refs_missing(new),
        ))?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(hook)
    }

    pub(crate) async fn webhooks(&self, company: &CompanyId) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE company_id = $1 ORDER BY created_at, id"
        ))
        .bind(company.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a company's webhooks"))?;
        rows.iter().map(Webhook::from_row).collect()
    }

    pub(crate) async fn delete_webhook(
        &self,
        company: &CompanyId,
        id: &WebhookId,
    ) -> Result<Webhook, StoreError> {
        let row = sqlx::query(&format!(
            "DELETE FROM webhooks WHERE id = $1 AND company_id = $2 RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(company.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("removing a webhook"))?;
        Webhook::from_row(&row.ok_or_else(|| unknown_webhook(id))?)
    }

    pub(crate) async fn enqueue_webhook_event(&self, ev: &QueuedEvent) -> Result<u64, StoreError> {
        // One statement: a webhook removed meanwhile simply gets no delivery.
        let res = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, created_at, \
             status, attempts, next_attempt_at) \
             SELECT id, $2, $3, $4, $5, 'pending', 0, $5 FROM webhooks \
             WHERE company_id = $1 AND events @> jsonb_build_array($3::text)",
        )
        .bind(ev.company.as_str())
        .bind(ev.id.as_str())
        .bind(ev.kind.as_str())
        .bind(&ev.body)
        .bind(ms(ev.created_at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("queueing a webhook event"))?;
        Ok(res.rows_affected())
    }

    pub(crate) async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows = sqlx::query(
            "WITH due AS (SELECT webhook_id, event_id FROM webhook_deliveries \
             WHERE status = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE webhook_deliveries d SET next_attempt_at = $2 FROM due, webhooks w \
             WHERE d.webhook_id = due.webhook_id AND d.event_id = due.event_id \
             AND w.id = d.webhook_id \
             RETURNING d.webhook_id, d.event_id, w.url, w.secret, d.body, d.attempts, d.created_at",
        )
        .bind(ms(now))
        .bind(ms(lease_until))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("claiming webhook deliveries"))?;
        rows.iter().map(DueDelivery::from_row).collect()
    }

    pub(crate) async fn record_webhook_attempt(
        &self,
        webhook: &WebhookId,
        event: &EventId,
        at: OffsetDateTime,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let (status, next_at, code, error) = outcome.columns();
        // A delivery whose webhook was removed meanwhile is gone, and that is fine.
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
             next_attempt_at = $2, last_attempt_at = $3, last_status = $4, last_error = $5 \
             WHERE webhook_id = $6 AND event_id = $7 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(next_at.map(ms))
        .bind(ms(at))
        .bind(code.map(i64::from))
        .bind(error)
        .bind(webhook.as_str())
        .bind(event.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("recording a webhook delivery attempt"))?;
        Ok(())
    }

    pub(crate) async fn webhook_deliveries(
        &self,
        company: &CompanyId,
        webhook: &WebhookId,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let context = "reading a webhook's deliveries";
        let owner: Option<String> =
            sqlx::query_scalar("SELECT company_id FROM webhooks WHERE id = $1")
                .bind(webhook.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::database(context))?;
        if owner.as_deref() != Some(company.as_str()) {
            return Err(unknown_webhook(webhook));
        }
        let rows = sqlx::query(
            "SELECT webhook_id, event_id, event_type, created_at, status, attempts, \
             next_attempt_at, last_attempt_at, last_status, last_error FROM webhook_deliveries \
             WHERE webhook_id = $1 ORDER BY created_at DESC, event_id DESC LIMIT $2",
        )
        .bind(webhook.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(context))?;
        rows.iter().map(Delivery::from_row).collect()
    }

    pub(crate) async fn next_webhook_attempt(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::database("looking up the next webhook delivery"))
    }
}
