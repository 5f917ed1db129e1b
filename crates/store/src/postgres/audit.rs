//! The `audit_events` table in PostgreSQL.

use model::{AgentId, CompanyId, SessionId};
use sqlx::types::Json;

use super::{ms, Postgres};
use crate::audit::page_of;
use crate::row::from_ms;
use crate::{AuditEvent, AuditPage, AuditQuery, StoreError};

impl Postgres {
    pub(crate) async fn record_audit(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_events (at, company_id, agent_id, session_id, kind, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ms(ev.at))
        .bind(ev.company.as_ref().map(CompanyId::as_str))
        .bind(ev.agent.as_ref().map(AgentId::as_str))
        .bind(ev.session.as_ref().map(SessionId::as_str))
        .bind(&ev.kind)
        .bind(Json(&ev.detail))
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("recording an audit event"))?;
        Ok(())
    }

    pub(crate) async fn audit_events(
        &self,
        company: Option<&CompanyId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        // Two statements rather than `$1 IS NULL OR company_id = $1`, whose generic plan
        // would not use the company's index.
        let query = match company {
            Some(company) => sqlx::query(
                "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                 WHERE company_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(company.as_str()),
            None => sqlx::query(
                "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                 ORDER BY at DESC, id DESC LIMIT $1",
            ),
        };
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database("reading the audit log"))?;
        rows.iter().map(AuditEvent::from_row).collect()
    }

    /// One page of a company's audit events; the filters left out match everything.
    pub(crate) async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        let after_at = q.after.map(|c| from_ms(c.at_ms, "after")).transpose()?;
        let rows = sqlx::query(
            "SELECT id, at, company_id, agent_id, session_id, kind, detail FROM audit_events \
             WHERE company_id = $1 AND ($2::text IS NULL OR agent_id = $2) \
             AND ($3::text IS NULL OR kind = $3) \
             AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5) \
             AND ($6::timestamptz IS NULL OR at < $6 OR (at = $6 AND id < $7)) \
             ORDER BY at DESC, id DESC LIMIT $8",
        )
        .bind(q.company.as_str())
        .bind(q.agent.as_ref().map(AgentId::as_str))
        .bind(q.kind.as_deref())
        .bind(q.from.map(ms))
        .bind(q.to.map(ms))
        .bind(after_at)
        .bind(q.after.map(|c| c.id))
        .bind(i64::from(q.limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a page of the audit log"))?;
        page_of(&rows, q.limit)
    }
}
