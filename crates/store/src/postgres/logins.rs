//! The `agent_logins` table in PostgreSQL.

use model::AgentId;
use time::OffsetDateTime;

use super::{ms, Postgres};
use crate::agents::unknown_agent;
use crate::error::write_error;
use crate::logins::token_taken;
use crate::{Agent, StoreError};

impl Postgres {
    pub(crate) async fn create_login(
        &self,
        token_hash: &str,
        agent: &AgentId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_logins (token_hash, agent_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(agent.as_str())
        .bind(crate::row::now())
        .bind(ms(expires_at))
        .execute(&self.pool)
        .await
        .map_err(write_error("creating a login", token_taken, || unknown_agent(agent)))?;
        Ok(())
    }

    pub(crate) async fn agent_by_login(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Agent>, StoreError> {
        sqlx::query(
            "SELECT a.id, a.company_id, a.email, a.name, a.role, a.created_at, a.disabled, a.version \
             FROM agent_logins l JOIN agents a ON a.id = l.agent_id \
             WHERE l.token_hash = $1 AND l.expires_at > $2 AND a.disabled = 0",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("looking up a login"))?
        .map(|row| Agent::from_row(&row))
        .transpose()
    }

    pub(crate) async fn delete_login(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agent_logins WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("deleting a login"))?;
        Ok(())
    }

    pub(crate) async fn delete_expired_logins(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let res = sqlx::query("DELETE FROM agent_logins WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("deleting expired logins"))?;
        Ok(res.rows_affected())
    }
}
