//! The `agents` table in SQLite.

use model::{AgentId, CompanyId};

use super::{ms, Sqlite};
use crate::agents::{agent_changed, email_key, email_taken, unknown_agent, unknown_link};
use crate::companies::unknown_company;
use crate::error::write_error;
use crate::logins::token_taken;
use crate::row::Row;
use crate::{Agent, AgentChanges, NewAgent, StoreError};
use time::OffsetDateTime;

const COLUMNS: &str = "id, company_id, email, name, role, created_at, disabled, version";

impl Sqlite {
    pub(crate) async fn create_agent(&self, new: &NewAgent) -> Result<Agent, StoreError> {
        let agent = new.to_agent();
        sqlx::query(
            "INSERT INTO agents (id, company_id, email, email_key, name, role, password_hash, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(agent.id.as_str())
        .bind(agent.company.as_str())
        .bind(&agent.email)
        .bind(email_key(&agent.email))
        .bind(&agent.name)
        .bind(agent.role.as_str())
        .bind(&new.password_hash)
        .bind(ms(agent.created_at))
        .execute(&self.pool)
        .await
        .map_err(write_error(
            "creating an agent",
            || email_taken(&agent.email),
            || unknown_company(&agent.company),
        ))?;
        Ok(agent)
    }

    pub(crate) async fn agent_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(Agent, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM agents WHERE disabled = 0 AND email_key = ?"
        ))
        .bind(email_key(email))
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("looking up an agent by email"))?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((Agent::from_row(&row)?, row.text("password_hash")?)))
    }

    pub(crate) async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up an agent"))?
            .map(|row| Agent::from_row(&row))
            .transpose()
    }

    pub(crate) async fn agents(&self, company: &CompanyId) -> Result<Vec<Agent>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM agents WHERE company_id = ? ORDER BY email_key"
        ))
        .bind(company.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("listing a company's agents"))?
        .iter()
        .map(Agent::from_row)
        .collect()
    }

    pub(crate) async fn update_agent(
        &self,
        company: &CompanyId,
        id: &AgentId,
        expected_version: i64,
        changes: &AgentChanges,
    ) -> Result<Agent, StoreError> {
        const CONTEXT: &str = "changing an agent";
        let mut tx = self.begin_write(CONTEXT).await?;
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM agents WHERE id = ?1 AND company_id = ?2"))
                .bind(id.as_str())
                .bind(company.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::database(CONTEXT))?;
        let Some(row) = row else { return Err(unknown_agent(id)) };
        let before = Agent::from_row(&row)?;
        if before.version != expected_version {
            return Err(agent_changed(id));
        }
        let after = changes.apply(&before);
        let updated = sqlx::query(
            "UPDATE agents SET email = ?1, email_key = ?2, name = ?3, role = ?4, disabled = ?5, \
             version = version + 1 WHERE id = ?6 AND version = ?7",
        )
        .bind(&after.email)
        .bind(email_key(&after.email))
        .bind(&after.name)
        .bind(after.role.as_str())
        .bind(i64::from(after.disabled))
        .bind(id.as_str())
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(write_error(
            CONTEXT,
            || email_taken(&after.email),
            || unknown_agent(id),
        ))?;
        if updated.rows_affected() != 1 {
            return Err(agent_changed(id));
        }
        if after.disabled {
            sqlx::query("DELETE FROM agent_logins WHERE agent_id = ?1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::database(CONTEXT))?;
        }
        tx.commit().await.map_err(StoreError::database(CONTEXT))?;
        Ok(Agent { version: expected_version + 1, ..after })
    }

    pub(crate) async fn delete_agent(
        &self,
        company: &CompanyId,
        id: &AgentId,
    ) -> Result<(), StoreError> {
        let deleted = sqlx::query("DELETE FROM agents WHERE id = ?1 AND company_id = ?2")
            .bind(id.as_str())
            .bind(company.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("deleting an agent"))?;
        if deleted.rows_affected() == 0 {
            return Err(unknown_agent(id));
        }
        Ok(())
    }

    /// Sets the password hash (`reset_to`), and/or replaces the agent's set-password link with
    /// `link` (its token hash and expiry); with neither, removes the link.
    pub(crate) async fn reset_password(
        &self,
        company: &CompanyId,
        id: &AgentId,
        reset_to: Option<&str>,
        link: Option<(&str, OffsetDateTime)>,
    ) -> Result<(), StoreError> {
        const CONTEXT: &str = "resetting a password";
        let mut tx = self.begin_write(CONTEXT).await?;
        let found = sqlx::query("SELECT id FROM agents WHERE id = ?1 AND company_id = ?2")
            .bind(id.as_str())
            .bind(company.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::database(CONTEXT))?;
        if found.is_none() {
            return Err(unknown_agent(id));
        }
        if let Some(hash) = reset_to {
            // The old password and every login stop working at once.
            sqlx::query("UPDATE agents SET password_hash = ?1 WHERE id = ?2")
                .bind(hash)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::database(CONTEXT))?;
            sqlx::query("DELETE FROM agent_logins WHERE agent_id = ?1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::database(CONTEXT))?;
        }
        // One link at a time: an older one stops working.
        sqlx::query("DELETE FROM agent_invites WHERE agent_id = ?1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(CONTEXT))?;
        if let Some((token_hash, expires_at)) = link {
            sqlx::query(
                "INSERT INTO agent_invites (token_hash, agent_id, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(token_hash)
            .bind(id.as_str())
            .bind(ms(crate::row::now()))
            .bind(ms(expires_at))
            .execute(&mut *tx)
            .await
            .map_err(write_error(CONTEXT, token_taken, || unknown_agent(id)))?;
        }
        tx.commit().await.map_err(StoreError::database(CONTEXT))
    }

    pub(crate) async fn redeem_password_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        password_hash: &str,
    ) -> Result<Agent, StoreError> {
        const CONTEXT: &str = "using a set-password link";
        let mut tx = self.begin_write(CONTEXT).await?;
        // Removing the link first makes two uses at once find it once.
        let agent_id: Option<String> = sqlx::query_scalar(
            "DELETE FROM agent_invites WHERE token_hash = ?1 AND expires_at > ?2 \
             RETURNING agent_id",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::database(CONTEXT))?;
        let Some(agent_id) = agent_id else { return Err(unknown_link()) };
        let row = sqlx::query(&format!(
            "UPDATE agents SET password_hash = ?1 WHERE id = ?2 \
             RETURNING {COLUMNS}"
        ))
        .bind(password_hash)
        .bind(&agent_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::database(CONTEXT))?;
        let agent = Agent::from_row(&row)?;
        tx.commit().await.map_err(StoreError::database(CONTEXT))?;
        Ok(agent)
    }
}
