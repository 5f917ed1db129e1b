//! Agent accounts (F18): the one way a company's agents are added, changed, removed and given
//! a password, for the HTTP API (`routes/agents.rs`) and the command line (`beside agent`)
//! alike. Every change is audited with who made it (an administrator, the command line, or
//! the agent through their link), what and when; passwords and link tokens never are.

use crate::password::{self, PasswordError};
use model::{AgentId, AgentRole, AuditKind, CompanyId, Secret};
use serde_json::{json, Value};
use session::{Changed, Changer};
use store::{Agent, AgentChanges, AuditEvent, NewAgent, Store, StoreError};
use time::{Duration, OffsetDateTime};

/// How long a set-password link works.
pub const LINK_LIFETIME: Duration = Duration::days(7);

/// A one-time link to set a password, shown once to whoever asked for it (beside sends no
/// mail).
pub struct PasswordLink {
    token: Secret<String>,
    pub expires_at: OffsetDateTime,
}

impl PasswordLink {
    /// `/set-password#<token>`: the token stays in the fragment, out of logs and referrers.
    pub fn path(&self) -> String {
        format!("/set-password#{}", self.token.expose())
    }
}

/// How a new agent gets a password.
pub enum NewPassword {
    /// This one (already hashed, see [`hash`]).
    Hashed(String),
    /// None until they use a one-time set-password link.
    Link,
}

/// Why an account change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The password cannot be used (too short, too long) or not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The store refused (`Invalid`, `Conflict` for a taken email, `Stale` for a changed
    /// version, `NotFound` for another company's agent or an unknown link) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hashes a new password off the async threads (Argon2 takes a while on purpose).
pub async fn hash(password: Secret<String>) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || password::hash(password.expose()))
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
}

/// A hash no password matches: the account has none until its link is used.
async fn unusable_hash() -> Result<String, PasswordError> {
    hash(Secret::new(model::random_token())).await
}

/// The account use cases over the store.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts { store }
    }

    /// Adds an agent to `company`, with a set-password link unless a password is given.
    pub async fn create(
        &self,
        by: Changer<'_>,
        company: &CompanyId,
        email: String,
        name: String,
        role: AgentRole,
        password: NewPassword,
    ) -> Result<Changed<(Agent, Option<PasswordLink>)>, AccountError> {
        let (password_hash, invite) = match password {
            NewPassword::Hashed(hash) => (hash, false),
            NewPassword::Link => (unusable_hash().await?, true),
        };
        let new = NewAgent { company: company.clone(), email, name, password_hash, role };
        let agent = self.store.create_agent(new).await?;
        let link = match invite {
            true => Some(self.issue_link(company, &agent.id, None).await?),
            false => None,
        };
        let detail = json!({
            "role": agent.role,
            "password": if invite { "link" } else { "set" },
        });
        let unaudited = self.audit(by, &agent, AuditKind::AgentAccountCreated, detail).await;
        Ok(Changed { value: (agent, link), unaudited })
    }

    /// Changes an agent of `company` that is still at `version`.
    pub async fn update(
        &self,
        by: Changer<'_>,
        company: &CompanyId,
        id: &AgentId,
        version: i64,
        changes: AgentChanges,
    ) -> Result<Changed<Agent>, AccountError> {
        let mut changed = serde_json::Map::new();
        if let Some(email) = &changes.email {
            changed.insert("email".into(), json!(email));
        }
        if let Some(name) = &changes.name {
            changed.insert("name".into(), json!(name));
        }
        if let Some(role) = changes.role {
            changed.insert("role".into(), json!(role));
        }
        if let Some(disabled) = changes.disabled {
            changed.insert("disabled".into(), json!(disabled));
        }
        let agent = self.store.update_agent(company, id, version, changes).await?;
        let detail = json!({ "changed": changed });
        let unaudited = self.audit(by, &agent, AuditKind::AgentAccountChanged, detail).await;
        Ok(Changed { value: agent, unaudited })
    }

    /// Removes an agent of `company` with their logins.
    pub async fn delete(
        &self,
        by: Changer<'_>,
        company: &CompanyId,
        id: &AgentId,
    ) -> Result<Changed<()>, AccountError> {
        let agent = self.agent_of(company, id).await?;
        self.store.delete_agent(company, id).await?;
        let unaudited = self.audit(by, &agent, AuditKind::AgentAccountDeleted, json!({})).await;
        Ok(Changed { value: (), unaudited })
    }

    /// Ends an agent's password and logins and gives a new set-password link.
    pub async fn reset_password(
        &self,
        by: Changer<'_>,
        company: &CompanyId,
        id: &AgentId,
    ) -> Result<Changed<PasswordLink>, AccountError> {
        let agent = self.agent_of(company, id).await?;
        let link = self.issue_link(company, id, Some(&unusable_hash().await?)).await?;
        let detail = json!({ "password": "link" });
        let unaudited = self.audit(by, &agent, AuditKind::AgentPasswordReset, detail).await;
        Ok(Changed { value: link, unaudited })
    }

    /// Sets an agent's password outright (the command line): the old one, the agent's logins
    /// and any set-password link stop working.
    pub async fn set_password(
        &self,
        by: Changer<'_>,
        company: &CompanyId,
        id: &AgentId,
        password_hash: &str,
    ) -> Result<Changed<()>, AccountError> {
        let agent = self.agent_of(company, id).await?;
        self.store.set_agent_password(company, id, password_hash).await?;
        let detail = json!({ "password": "set" });
        let unaudited = self.audit(by, &agent, AuditKind::AgentPasswordReset, detail).await;
        Ok(Changed { value: (), unaudited })
    }

    /// Uses a set-password link once; the agent is who set their password.
    pub async fn redeem(
        &self,
        token: &str,
        password_hash: &str,
    ) -> Result<Changed<Agent>, AccountError> {
        let now = OffsetDateTime::now_utc();
        let agent = self
            .store
            .redeem_password_link(&store::login_token_hash(token), now, password_hash)
            .await?;
        let by = Changer::Agent(&agent.id);
        let unaudited =
            self.audit(by, &agent, AuditKind::AgentPasswordSet, json!({ "via": "link" })).await;
        Ok(Changed { value: agent, unaudited })
    }

    async fn agent_of(&self, company: &CompanyId, id: &AgentId) -> Result<Agent, StoreError> {
        let agent = self.store.agent(id).await?.filter(|a| &a.company == company);
        agent.ok_or_else(|| StoreError::NotFound(format!("there is no agent {id}")))
    }

    async fn issue_link(
        &self,
        company: &CompanyId,
        id: &AgentId,
        reset_to: Option<&str>,
    ) -> Result<PasswordLink, StoreError> {
        let token = model::random_token();
        let expires_at = OffsetDateTime::now_utc() + LINK_LIFETIME;
        let token_hash = store::login_token_hash(&token);
        self.store.issue_password_link(company, id, &token_hash, expires_at, reset_to).await?;
        Ok(PasswordLink { token: Secret::new(token), expires_at })
    }

    /// Records `kind` about `agent` (named by id and email in the detail), done `by`.
    async fn audit(
        &self,
        by: Changer<'_>,
        agent: &Agent,
        kind: AuditKind,
        mut detail: Value,
    ) -> Option<StoreError> {
        detail["target"] = json!(agent.id);
        detail["email"] = json!(agent.email);
        if detail.get("via").is_none() {
            detail["via"] = json!(match by {
                Changer::Agent(_) => "api",
                Changer::CommandLine => "command_line",
            });
        }
        let event = AuditEvent {
            at: OffsetDateTime::now_utc(),
            company: Some(agent.company.clone()),
            agent: by.agent().cloned(),
            session: None,
            kind: kind.to_string(),
            detail,
        };
        let unaudited = self.store.record_audit(&event).await.err();
        if let Some(error) = &unaudited {
            tracing::error!(%kind, %error, "Could not write an audit event.");
        }
        unaudited
    }
}
