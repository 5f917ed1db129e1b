//! The `webhooks` and `webhook_deliveries` tables in SQLite. A claim takes the write lock
//! first (`BEGIN IMMEDIATE`), so two processes never claim the same delivery.

use model::{CompanyId, EventId, WebhookId};
use time::OffsetDateTime;

use super::{ms, Sqlite};
use crate::error::write_error;
use crate::webhooks::{
    too_many_webhooks, unknown_webhook, webhook_refs_missing, AttemptOutcome, Delivery,
    DueDelivery, NewWebhook, QueuedEvent, Webhook, MAX_WEBHOOKS_PER_COMPANY,
};
use crate::StoreError;

const SELECT_WEBHOOKS: &str = "SELECT id, company_id, url, events, secret, created_by, \
     created_at FROM webhooks WHERE company_id = ? ORDER BY created_at, rowid";

impl Sqlite {
    pub(crate) async fn create_webhook(&self, new: &NewWebhook) -> Result<Webhook, StoreError> {
        let hook = new.to_webhook();
        let context = "registering a webhook";
        let mut tx = self.begin_write(context).await?;
        let n_hooks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE company_id = ?")
            .bind(hook.company.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        if n_hooks as u64 >= MAX_WEBHOOKS_PER_COMPANY {
            return Err(too_many_webhooks());
        }
        sqlx::query(
            "INSERT INTO webhooks (id, company_id, url, events, secret, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(hook.id.as_str())
        .bind(hook.company.as_str())
        .bind(&hook.url)
        .bind(hook.events_json().to_string())
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
        let rows = sqlx::query(SELECT_WEBHOOKS)
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
        let context = "removing a webhook";
        let mut tx = self.begin_write(context).await?;
        let row = sqlx::query(
            "SELECT id, company_id, url, events, secret, created_by, created_at FROM webhooks \
             WHERE id = ? AND company_id = ?",
        )
        .bind(id.as_str())
        .bind(company.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::database(context))?;
        let hook = Webhook::from_row(&row.ok_or_else(|| unknown_webhook(id))?)?;
        sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(hook)
    }

    pub(crate) async fn enqueue_webhook_event(&self, ev: &QueuedEvent) -> Result<u64, StoreError> {
        let context = "queueing a webhook event";
        let mut tx = self.begin_write(context).await?;
        let hooks = sqlx::query(SELECT_WEBHOOKS)
            .bind(ev.company.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::database(context))?
            .iter()
            .map(Webhook::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut n_queued = 0;
        for hook in hooks.iter().filter(|h| h.events.contains(&ev.kind)) {
            sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, \
                 created_at, status, attempts, next_attempt_at) \
                 VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)",
            )
            .bind(hook.id.as_str())
            .bind(ev.id.as_str())
            .bind(ev.kind.as_str())
            .bind(&ev.body)
            .bind(ms(ev.created_at))
            .bind(ms(ev.created_at))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
            n_queued += 1;
        }
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(n_queued)
    }

    pub(crate) async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let context = "claiming webhook deliveries";
        let mut tx = self.begin_write(context).await?;
        let due = sqlx::query(
            "SELECT d.webhook_id, d.event_id, w.url, w.secret, d.body, d.attempts, d.created_at \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= ? \
             ORDER BY d.next_attempt_at LIMIT ?",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::database(context))?
        .iter()
        .map(DueDelivery::from_row)
        .collect::<Result<Vec<_>, _>>()?;
        for d in &due {
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = ? \
                 WHERE webhook_id = ? AND event_id = ?",
            )
            .bind(ms(lease_until))
            .bind(d.webhook.as_str())
            .bind(d.event.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        }
        tx.commit().await.map_err(StoreError::database(context))?;
        Ok(due)
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
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, \
             next_attempt_at = ?, last_attempt_at = ?, last_status = ?, last_error = ? \
             WHERE webhook_id = ? AND event_id = ? AND status = 'pending'",
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
            sqlx::query_scalar("SELECT company_id FROM webhooks WHERE id = ?")
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
             WHERE webhook_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(webhook.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(context))?;
        rows.iter().map(Delivery::from_row).collect()
    }

    pub(crate) async fn next_webhook_attempt(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::database("looking up the next webhook delivery"))?;
        next.map(|t| crate::row::from_ms(t, "next_attempt_at")).transpose()
    }
}
