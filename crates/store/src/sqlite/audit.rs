//! The `audit_events` table in SQLite.

use model::{AgentId, CompanyId, SessionId};

use super::{ms, Sqlite};
use crate::audit::page_of;
use crate::{AuditEvent, AuditPage, AuditQuery, StoreError};

impl Sqlite {
    pub(crate) async fn record_audit(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_events (at, company_id, agent_id, session_id, kind, detail) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(ms(ev.at))
        .bind(ev.company.as_ref().map(CompanyId::as_str))
        .bind(ev.agent.as_ref().map(AgentId::as_str))
        .bind(ev.session.as_ref().map(SessionId::as_str))
        .bind(&ev.kind)
        .bind(ev.detail.to_string())
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
        // Two statements rather than `? IS NULL OR company_id = ?`, which would not use the
        // company's index.
        let query = match company {
            Some(company) => sqlx::query(
                "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                 WHERE company_id = ? ORDER BY at DESC, id DESC LIMIT ?",
            )
            .bind(company.as_str()),
            None => sqlx::query(
                "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                 ORDER BY at DESC, id DESC LIMIT ?",
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
        let rows = sqlx::query(
            "SELECT id, at, company_id, agent_id, session_id, kind, detail FROM audit_events \
             WHERE company_id = ? AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR kind = ?) \
             AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?) \
             AND (? IS NULL OR at < ? OR (at = ? AND id < ?)) \
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(q.company.as_str())
        .bind(q.agent.as_ref().map(AgentId::as_str))
        .bind(q.agent.as_ref().map(AgentId::as_str))
        .bind(q.kind.as_deref())
        .bind(q.kind.as_deref())
        .bind(q.from.map(ms))
        .bind(q.from.map(ms))
        .bind(q.to.map(ms))
        .bind(q.to.map(ms))
        .bind(q.after.map(|c| c.at_ms))
        .bind(q.after.map(|c| c.at_ms))
        .bind(q.after.map(|c| c.at_ms))
        .bind(q.after.map(|c| c.id))
        .bind(i64::from(q.limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a page of the audit log"))?;
        page_of(&rows, q.limit)
    }
}
