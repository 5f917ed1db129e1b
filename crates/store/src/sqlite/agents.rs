//! The `agents` table in SQLite.

use model::{AgentId, CompanyId};

use super::{ms, Sqlite};
use crate::agents::{email_key, email_taken};
use crate::companies::unknown_company;
use crate::error::write_error;
use crate::row::Row;
use crate::{Agent, NewAgent, StoreError};

const COLUMNS: &str = "id, company_id, email, name, role, created_at";

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
            "SELECT {COLUMNS}, password_hash FROM agents WHERE email_key = ?"
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
}
