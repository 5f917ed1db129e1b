//! Where beside keeps what outlives a process: companies, agents, agent logins, session
//! records and the audit log.
//!
//! Architecture Invariant: `store` is the only crate that knows SQL and sqlx; its API speaks
//! `model` types and the plain structs defined here.
//! Architecture Invariant: PINs, plaintext passwords and login tokens are never stored; only
//! password hashes (PHC strings) and SHA-256 digests of login tokens.
//!
//! The backend is embedded SQLite (WAL mode, foreign keys on); the SQL lives in `sqlite.rs`
//! and `migrations/sqlite/`, so a PostgreSQL backend can sit next to it behind the same
//! `Store`. Times are kept to the millisecond: a time written comes back truncated to it.

// Tests may unwrap (the workspace rule); product code states invariants with `expect`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod agents;
mod audit;
mod companies;
mod error;
mod logins;
mod rules;
mod sessions;
mod sqlite;
mod transcripts;

pub use agents::{validate_email, Agent, NewAgent};
pub use audit::AuditEvent;
pub use companies::{validate_slug, Company, NewCompany, SessionPolicy, TranscriptPolicy};
pub use error::StoreError;
pub use logins::login_token_hash;
pub use rules::{NewRule, StoredRule, MAX_RULES_PER_COMPANY};
pub use sessions::SessionRecord;
pub use transcripts::{EntryKind, TranscriptEntry};

use std::path::PathBuf;

use model::{AgentId, CompanyId, RuleId, SessionId};
use time::OffsetDateTime;

/// Where the store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// The SQLite database file; its directory is created when missing.
    pub path: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config { path: PathBuf::from("./beside-data/beside.db") }
    }
}

/// A handle to the database; clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    backend: sqlite::Sqlite,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &"sqlite").finish()
    }
}

impl Store {
    /// Opens (creating when missing) the database file and applies pending migrations.
    pub async fn open(config: &Config) -> Result<Store, StoreError> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
        }
        Ok(Store { backend: sqlite::Sqlite::open(&config.path).await? })
    }

    /// A fresh, migrated database that lives as long as this store (for tests).
    pub async fn open_in_memory() -> Result<Store, StoreError> {
        Ok(Store { backend: sqlite::Sqlite::open_in_memory().await? })
    }

    /// The highest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.backend.schema_version().await
    }

    /// Checks that the database answers (for readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.backend.schema_version().await.map(|_| ())
    }

    /// The schema version this build of beside writes.
    pub fn latest_schema_version() -> i64 {
        sqlite::Sqlite::latest_schema_version()
    }

    /// Waits for open connections to finish and closes them (for graceful shutdown).
    pub async fn close(&self) {
        self.backend.close().await;
    }

    // Companies.

    /// Creates a company; `Conflict` when the slug is taken, `Invalid` for a malformed slug
    /// or name.
    pub async fn create_company(&self, new: NewCompany) -> Result<Company, StoreError> {
        self.backend.create_company(new.validated()?).await
    }

    pub async fn company_by_slug(&self, slug: &str) -> Result<Option<Company>, StoreError> {
        self.backend.company_by_slug(slug).await
    }

    pub async fn company(&self, id: &CompanyId) -> Result<Option<Company>, StoreError> {
        self.backend.company(id).await
    }

    pub async fn count_companies(&self) -> Result<u64, StoreError> {
        self.backend.count_companies().await
    }

    /// Replaces what a company decides about its sessions; `NotFound` for an unknown company.
    /// Sessions read it when an agent joins and when they end.
    pub async fn set_session_policy(
        &self,
        company: &CompanyId,
        policy: SessionPolicy,
    ) -> Result<(), StoreError> {
        self.backend.set_session_policy(company, policy).await
    }

    // Agents.

    /// Creates an agent; `Conflict` when the email (in any letter case) is taken, `Invalid`
    /// for a malformed email, name or password hash, `NotFound` for an unknown company.
    pub async fn create_agent(&self, new: NewAgent) -> Result<Agent, StoreError> {
        self.backend.create_agent(new.validated()?).await
    }

    /// The agent with this email (in any letter case) and their password hash, for logging in.
    pub async fn agent_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(Agent, String)>, StoreError> {
        self.backend.agent_credentials(email).await
    }

    pub async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        self.backend.agent(id).await
    }

    // Logins.

    /// Records a login until `expires_at`. `token_hash` must come from `login_token_hash`;
    /// anything else is `Invalid`, so a token cannot be stored by mistake.
    pub async fn create_login(
        &self,
        token_hash: &str,
        agent: &AgentId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        logins::validate_token_hash(token_hash)?;
        self.backend.create_login(token_hash, agent, expires_at).await
    }

    /// The agent logged in with this token digest, if the login exists and has not expired
    /// by `now`.
    pub async fn agent_by_login(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Agent>, StoreError> {
        self.backend.agent_by_login(token_hash, now).await
    }

    /// Ends a login (logging out); deleting an unknown login is not an error.
    pub async fn delete_login(&self, token_hash: &str) -> Result<(), StoreError> {
        self.backend.delete_login(token_hash).await
    }

    /// Deletes logins expired by `now`; returns how many.
    pub async fn delete_expired_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.backend.delete_expired_logins(now).await
    }

    // Session records.

    /// Records a new session; `Conflict` for a duplicate id, `NotFound` for an unknown company.
    pub async fn insert_session(&self, rec: &SessionRecord) -> Result<(), StoreError> {
        self.backend.insert_session(rec).await
    }

    /// Records that an agent joined; the first agent to join stays on record.
    pub async fn mark_session_joined(
        &self,
        id: &SessionId,
        agent: &AgentId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.backend.mark_session_joined(id, agent, at).await
    }

    /// Records that a session ended and why (a snake_case reason); the first end stays on
    /// record, so ending twice is harmless.
    pub async fn mark_session_ended(
        &self,
        id: &SessionId,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.backend.mark_session_ended(id, at, reason).await
    }

    pub async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        self.backend.session(id).await
    }

    // Chat transcripts.

    /// Keeps a session's chat (in one transaction, replacing what was kept before);
    /// `NotFound` for an unknown session, `Invalid` for an entry longer than a chat allows.
    pub async fn save_transcript(
        &self,
        session: &SessionId,
        entries: &[TranscriptEntry],
    ) -> Result<(), StoreError> {
        transcripts::validate(entries)?;
        self.backend.save_transcript(session, entries).await
    }

    /// A session's kept chat, in order; empty when none was kept.
    pub async fn transcript(
        &self,
        session: &SessionId,
    ) -> Result<Vec<TranscriptEntry>, StoreError> {
        self.backend.transcript(session).await
    }

    // Company rules.

    /// Adds a rule to a company; `NotFound` for an unknown company, `Conflict` when the company
    /// already has [`MAX_RULES_PER_COMPANY`] rules or the same rule, `Invalid` for empty texts.
    pub async fn create_rule(&self, new: NewRule) -> Result<StoredRule, StoreError> {
        self.backend.create_rule(new.validated()?).await
    }

    /// A company's rules, oldest first (the order they are applied in).
    pub async fn rules(&self, company: &CompanyId) -> Result<Vec<StoredRule>, StoreError> {
        self.backend.rules(company).await
    }

    /// A company's rules with their version (see [`Store::rules_version`]), read together.
    pub async fn versioned_rules(
        &self,
        company: &CompanyId,
    ) -> Result<(i64, Vec<StoredRule>), StoreError> {
        self.backend.versioned_rules(company).await
    }

    /// A number that grows with every rule the company creates or deletes, whichever process
    /// does it; `NotFound` for a company that does not exist.
    pub async fn rules_version(&self, company: &CompanyId) -> Result<i64, StoreError> {
        self.backend.rules_version(company).await
    }

    /// Deletes one of a company's rules; `NotFound` when the company has no rule with this id
    /// (another company's rule included).
    pub async fn delete_rule(&self, company: &CompanyId, id: &RuleId) -> Result<(), StoreError> {
        self.backend.delete_rule(company, id).await
    }

    // Audit log.

    /// Appends an event to the audit log; `Invalid` for a kind that is not snake_case.
    pub async fn record_audit(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        audit::validate_kind(&ev.kind)?;
        self.backend.record_audit(ev).await
    }

    /// The newest `limit` events, newest first: of one company, or of all when `company` is
    /// `None`.
    pub async fn audit_events(
        &self,
        company: Option<&CompanyId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.backend.audit_events(company, limit).await
    }
}
