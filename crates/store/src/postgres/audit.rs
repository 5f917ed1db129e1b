//! The `audit_events` table in PostgreSQL.

use model::{AgentId, CompanyId, SessionId};
use sqlx::types::Json;

use super::{ms, Postgres};
use crate::{AuditEvent, StoreError};

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
}
