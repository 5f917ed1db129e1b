//! The `sessions` table (session records) in SQLite.

use model::{AgentId, SessionId};
use time::OffsetDateTime;

use super::{ms, Sqlite};
use crate::agents::unknown_agent;
use crate::error::write_error;
use crate::sessions::{require_one_row, session_refs_missing, session_taken, COLUMNS};
use crate::{SessionRecord, StoreError};

impl Sqlite {
    pub(crate) async fn insert_session(&self, rec: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, company_id, start_url, locale, created_at, agent_id, \
             joined_at, ended_at, end_reason, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rec.id.as_str())
        .bind(rec.company.as_str())
        .bind(&rec.start_url)
        .bind(&rec.locale)
        .bind(ms(rec.created_at))
        .bind(rec.agent.as_ref().map(AgentId::as_str))
        .bind(rec.joined_at.map(ms))
        .bind(rec.ended_at.map(ms))
        .bind(&rec.end_reason)
        .bind(&rec.reference)
        .execute(&self.pool)
        .await
        .map_err(write_error(
            "recording a new session",
            || session_taken(&rec.id),
            || session_refs_missing(rec),
        ))?;
        Ok(())
    }

    pub(crate) async fn mark_session_joined(
        &self,
        id: &SessionId,
        agent: &AgentId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // The first agent to join is the one on record; later joins leave it as it is.
        let res = sqlx::query(
            "UPDATE sessions SET agent_id = COALESCE(agent_id, ?), \
             joined_at = COALESCE(joined_at, ?) WHERE id = ?",
        )
        .bind(agent.as_str())
        .bind(ms(at))
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(write_error(
            "recording that an agent joined",
            || unknown_agent(agent),
            || unknown_agent(agent),
        ))?;
        require_one_row(res.rows_affected(), id)
    }

    pub(crate) async fn mark_session_ended(
        &self,
        id: &SessionId,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<(), StoreError> {
        // Ending is idempotent: the first end (time and reason) is the one on record.
        let res = sqlx::query(
            "UPDATE sessions SET end_reason = CASE WHEN ended_at IS NULL THEN ? ELSE end_reason END, \
             ended_at = COALESCE(ended_at, ?) WHERE id = ?",
        )
        .bind(reason)
        .bind(ms(at))
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("recording that a session ended"))?;
        require_one_row(res.rows_affected(), id)
    }

    pub(crate) async fn session(
        &self,
        id: &SessionId,
    ) -> Result<Option<SessionRecord>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM sessions WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a session"))?
            .map(|row| SessionRecord::from_row(&row))
            .transpose()
    }
}
