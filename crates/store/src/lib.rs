//! Where beside keeps what outlives a process: companies, agents, agent logins, session
//! records, company rules and the audit log.
//!
//! Architecture Invariant: `store` is the only crate that knows SQL and sqlx; its API speaks
//! `model` types and the plain structs defined here, whichever backend holds the data.
//! Architecture Invariant: PINs, plaintext passwords and login tokens are never stored; only
//! password hashes (PHC strings) and SHA-256 digests of login tokens.
//!
//! Two backends serve one `Store`: embedded SQLite (the default; WAL mode, foreign keys on) and
//! PostgreSQL, chosen by the database URL. Each keeps its SQL in its own module per table
//! (`sqlite/companies.rs`, `postgres/companies.rs`, …) and its migrations in
//! `migrations/{sqlite,postgres}/`; what the tables mean (types, validation, row mapping, error
//! wording) is written once in the shared modules (`companies.rs`, …). Times are kept to the
//! millisecond on both: a time written comes back rounded down to it, in UTC.
//!
//! Every operation is retried a few times when another writer got in its way (`retry`), and a
//! lost connection is `StoreError::Unavailable`, which the edge answers with 503 `not_ready`.

// Tests may unwrap (the workspace rule); product code states invariants with `expect`.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod agents;
mod api_tokens;
mod audit;
mod companies;
mod copy;
mod database_url;
mod drafts;
mod error;
mod logins;
mod migrations;
mod postgres;
mod reports;
mod retry;
mod row;
mod rules;
mod sessions;
mod sqlite;
#[doc(hidden)]
pub mod testing;
mod transcripts;
mod webhooks;

pub use agents::{validate_email, Agent, AgentChanges, NewAgent};
pub use api_tokens::{
    ApiToken, NewApiToken, LAST_USED_PRECISION, MAX_API_TOKENS_PER_COMPANY,
    MAX_API_TOKEN_NAME_CHARS,
};
pub use audit::{AuditCursor, AuditEvent, AuditPage, AuditQuery, MAX_AUDIT_PAGE};
pub use companies::{
    logo_changed_event, start_secret_event, validate_name, validate_slug, Branding, Company,
    CompanySettings, Logo, LogoType, Navigation, NewCompany, PinPolicy, SessionPolicy, StartMode,
    TranscriptPolicy, MAX_EMBED_ORIGINS, MAX_LOGO_BYTES, MAX_PIN_DIGITS, MAX_PIN_TTL_SECS,
    MIN_PIN_DIGITS, MIN_PIN_TTL_SECS,
};
pub use copy::CopyReport;
pub use database_url::{Backend, DatabaseUrl};
pub use drafts::{NewDraft, StoredDraft, MAX_DRAFTS_PER_COMPANY};
pub use error::StoreError;
pub use logins::login_token_hash;
pub use reports::{
    AgentFigures, DayFigures, Figures, ReasonFigures, ReportRange, SessionSummary, SessionsQuery,
    Spread, MAX_REPORT_DAYS, MAX_SESSION_PAGE,
};
pub use rules::{NewRule, StoredRule, MAX_RULES_PER_COMPANY};
pub use sessions::SessionRecord;
pub use transcripts::{EntryKind, TranscriptEntry};
pub use webhooks::{
    AttemptOutcome, Delivery, DeliveryStatus, DueDelivery, NewWebhook, QueuedEvent, Webhook,
    MAX_DELIVERY_PAGE, MAX_WEBHOOKS_PER_COMPANY, MAX_WEBHOOK_URL_BYTES,
};

use std::time::Duration;

use futures_util::StreamExt;
use model::{AgentId, CompanyId, RuleId, SessionId};
use time::OffsetDateTime;

use crate::copy::{check_tables_known, BATCH_ROWS, TABLES};
use crate::retry::retrying;

/// How the store connects: the `[database]` settings. Which database is `url`'s (beside
/// defaults it to `beside.db` in the data directory).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    pub url: Option<String>,
    /// Connections kept open to the database at most.
    pub pool_size: u32,
    /// How long a request waits for a connection (making one included) before it fails.
    pub connect_timeout_secs: u64,
    /// How long one statement may run (PostgreSQL) or wait for another writer (SQLite).
    pub statement_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config { url: None, pool_size: 8, connect_timeout_secs: 5, statement_timeout_secs: 30 }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url.as_deref().map(|u| match DatabaseUrl::parse(u) {
            Ok(url) => url.to_string(),
            Err(_) => "[not a database URL]".to_owned(),
        });
        f.debug_struct("Config")
            .field("url", &url)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("statement_timeout_secs", &self.statement_timeout_secs)
            .finish()
    }
}

impl Config {
    /// Refuses settings that cannot work, naming the setting (and never a password).
    pub fn validate(&self) -> Result<(), StoreError> {
        if let Some(url) = &self.url {
            DatabaseUrl::parse(url)?;
        }
        let invalid = |what: &str| Err(StoreError::Invalid(what.to_owned()));
        if !(1..=1000).contains(&self.pool_size) {
            return invalid("database.pool_size must be 1 to 1000");
        }
        if !(1..=3600).contains(&self.connect_timeout_secs) {
            return invalid("database.connect_timeout_secs must be 1 to 3600");
        }
        if !(1..=86_400).contains(&self.statement_timeout_secs) {
            return invalid("database.statement_timeout_secs must be 1 to 86400");
        }
        Ok(())
    }

    /// The configured URL, or the SQLite file `default_sqlite`.
    pub fn database_url(
        &self,
        default_sqlite: &std::path::Path,
    ) -> Result<DatabaseUrl, StoreError> {
        match &self.url {
            Some(url) => DatabaseUrl::parse(url),
            None => Ok(DatabaseUrl::sqlite(default_sqlite)),
        }
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    pub(crate) fn statement_timeout(&self) -> Duration {
        Duration::from_secs(self.statement_timeout_secs)
    }
}

/// A handle to the database; clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    backend: BackendStore,
    url: DatabaseUrl,
    /// Woken whenever this process queues a webhook delivery, so the deliverer need not poll
    /// for its own events (it still looks now and then, for other nodes').
    webhooks_queued: std::sync::Arc<tokio::sync::Notify>,
    /// Every company's embed origins as read last, and when (`all_embed_origins`).
    embed_origins: std::sync::Arc<std::sync::Mutex<Option<(std::time::Instant, EmbedOrigins)>>>,
}

/// The embed origins of all companies together, each once, sorted.
pub type EmbedOrigins = std::sync::Arc<Vec<String>>;

/// How long `all_embed_origins` answers from what it read last. A change made through this
/// store is seen at once; one made on another node (or by the command line) within this time.
pub const EMBED_ORIGINS_CACHE: Duration = Duration::from_secs(10);

#[derive(Clone)]
enum BackendStore {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

/// Runs a backend's method of the same name, again when another writer got in the way.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        retrying(|| async {
            match &$self.backend {
                BackendStore::Sqlite(db) => db.$method($($arg),*).await,
                BackendStore::Postgres(db) => db.$method($($arg),*).await,
            }
        })
        .await
    };
}

/// How long a readiness check waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

impl Store {
    /// Opens the database (creating a SQLite file and its directory when missing) and applies
    /// pending migrations. A URL that cannot be reached, a wrong password or an unknown
    /// database is `Connect`; a database of a newer beside is `SchemaTooNew`.
    pub async fn open(url: &DatabaseUrl, config: &Config) -> Result<Store, StoreError> {
        config.validate()?;
        let backend = match url.sqlite_path() {
            Some(path) => BackendStore::Sqlite(sqlite::Sqlite::open(path, config).await?),
            None => BackendStore::Postgres(postgres::Postgres::open(url, config).await?),
        };
        Ok(Store {
            backend,
            url: url.clone(),
            webhooks_queued: Default::default(),
            embed_origins: Default::default(),
        })
    }

    /// A fresh, migrated SQLite database that lives as long as this store (for tests).
    pub async fn open_in_memory() -> Result<Store, StoreError> {
        Ok(Store {
            backend: BackendStore::Sqlite(sqlite::Sqlite::open_in_memory().await?),
            url: DatabaseUrl::sqlite(":memory:"),
            webhooks_queued: Default::default(),
            embed_origins: Default::default(),
        })
    }

    /// The database this store opened (it prints without a password).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The highest migration applied to the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        dispatch!(self.schema_version())
    }

    /// Checks that the database answers (for readiness), within two seconds.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let ping = async {
            match &self.backend {
                BackendStore::Sqlite(db) => db.ping().await,
                BackendStore::Postgres(db) => db.ping().await,
            }
        };
        tokio::time::timeout(PING_TIMEOUT, ping).await.unwrap_or(Err(StoreError::Unavailable {
            context: "checking the database",
            source: sqlx::Error::PoolTimedOut,
        }))
    }

    /// The schema version this build of beside writes (the same on either backend).
    pub fn latest_schema_version() -> i64 {
        migrations::latest(sqlite::MIGRATIONS)
    }

    /// Waits for open connections to finish and closes them (for graceful shutdown).
    pub async fn close(&self) {
        match &self.backend {
            BackendStore::Sqlite(db) => db.close().await,
            BackendStore::Postgres(db) => db.close().await,
        }
    }

    // Companies.

    /// Creates a company; `Conflict` when the slug is taken, `Invalid` for a malformed slug
    /// or name.
    pub async fn create_company(&self, new: NewCompany) -> Result<Company, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_company(&new))
    }

    pub async fn company_by_slug(&self, slug: &str) -> Result<Option<Company>, StoreError> {
        dispatch!(self.company_by_slug(slug))
    }

    pub async fn company(&self, id: &CompanyId) -> Result<Option<Company>, StoreError> {
        dispatch!(self.company(id))
    }

    pub async fn count_companies(&self) -> Result<u64, StoreError> {
        dispatch!(self.count_companies())
    }

    /// Replaces what a company decides about its sessions; `NotFound` for an unknown company.
    /// Sessions read it when an agent joins and when they end.
    pub async fn set_session_policy(
        &self,
        company: &CompanyId,
        policy: SessionPolicy,
    ) -> Result<(), StoreError> {
        dispatch!(self.set_session_policy(company, policy))
    }

    /// Replaces a company's settings if they are still at `version` (its `settings_version`):
    /// `Ok(None)` when someone changed them since. `Invalid` for a name, start URL or PIN out
    /// of bounds, `NotFound` for an unknown company. Colours, texts and domain patterns are
    /// the caller's to check (`policy::branding`, `policy::domains`).
    pub async fn update_company_settings(
        &self,
        company: &CompanyId,
        version: i64,
        settings: CompanySettings,
    ) -> Result<Option<Company>, StoreError> {
        let settings = settings.validated()?;
        let changed = dispatch!(self.update_company_settings(company, version, &settings));
        self.forget_embed_origins();
        changed
    }

    /// The embed origins of every company together (for a page framed before its viewer
    /// logged in, when the company is not known yet). Answered from memory for up to
    /// `EMBED_ORIGINS_CACHE` after the database was read.
    pub async fn all_embed_origins(&self) -> Result<EmbedOrigins, StoreError> {
        if let Some((at, origins)) = self.cached_embed_origins() {
            if at.elapsed() < EMBED_ORIGINS_CACHE {
                return Ok(origins);
            }
        }
        let lists: Vec<Vec<String>> = dispatch!(self.embed_origin_lists())?;
        let mut all: Vec<String> = lists.into_iter().flatten().collect();
        all.sort_unstable();
        all.dedup();
        let all = std::sync::Arc::new(all);
        if let Ok(mut cache) = self.embed_origins.lock() {
            *cache = Some((std::time::Instant::now(), all.clone()));
        }
        Ok(all)
    }

    fn cached_embed_origins(&self) -> Option<(std::time::Instant, EmbedOrigins)> {
        self.embed_origins.lock().ok().and_then(|cache| cache.clone())
    }

    fn forget_embed_origins(&self) {
        if let Ok(mut cache) = self.embed_origins.lock() {
            *cache = None;
        }
    }

    /// Replaces (`Some`) or removes a company's logo; `Invalid` for one over
    /// `MAX_LOGO_BYTES`, `NotFound` for an unknown company.
    pub async fn set_logo(
        &self,
        company: &CompanyId,
        logo: Option<&Logo>,
    ) -> Result<(), StoreError> {
        if logo.is_some_and(|l| l.bytes.is_empty() || l.bytes.len() > MAX_LOGO_BYTES) {
            return Err(StoreError::Invalid(format!("a logo has 1 to {MAX_LOGO_BYTES} bytes")));
        }
        dispatch!(self.set_logo(company, logo))
    }

    /// A company's logo; `None` without one.
    pub async fn logo(&self, company: &CompanyId) -> Result<Option<Logo>, StoreError> {
        dispatch!(self.logo(company))
    }

    /// The company's start secret, made on first call; `renew` replaces it (tokens signed
    /// with the old one stop working). `NotFound` for an unknown company.
    pub async fn start_secret(
        &self,
        company: &CompanyId,
        renew: bool,
    ) -> Result<model::Secret<String>, StoreError> {
        let fresh = companies::fresh_start_secret();
        let secret: String = dispatch!(self.start_secret(company, &fresh, renew))?;
        Ok(model::Secret::new(secret))
    }

    // Agents.

    /// Creates an agent; `Conflict` when the email (in any letter case) is taken, `Invalid`
    /// for a malformed email, name or password hash, `NotFound` for an unknown company.
    pub async fn create_agent(&self, new: NewAgent) -> Result<Agent, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_agent(&new))
    }

    /// The agent with this email (in any letter case) and their password hash, for logging in.
    pub async fn agent_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(Agent, String)>, StoreError> {
        dispatch!(self.agent_credentials(email))
    }

    pub async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        dispatch!(self.agent(id))
    }

    /// A company's agents, by email.
    pub async fn agents(&self, company: &CompanyId) -> Result<Vec<Agent>, StoreError> {
        dispatch!(self.agents(company))
    }

    /// Changes an agent of `company` that is still at `expected_version`: `NotFound` for an
    /// agent of another company (or none), `Stale` when someone changed it meanwhile,
    /// `Conflict` for a taken email. Disabling removes the agent's logins.
    pub async fn update_agent(
        &self,
        company: &CompanyId,
        id: &AgentId,
        expected_version: i64,
        changes: AgentChanges,
    ) -> Result<Agent, StoreError> {
        let changes = changes.validated()?;
        dispatch!(self.update_agent(company, id, expected_version, &changes))
    }

    /// Removes an agent of `company` (with their logins); `NotFound` otherwise.
    pub async fn delete_agent(&self, company: &CompanyId, id: &AgentId) -> Result<(), StoreError> {
        dispatch!(self.delete_agent(company, id))
    }

    /// Records a one-time set-password link for an agent of `company` until `expires_at`,
    /// replacing any older one. With `reset_to` (an unusable hash), the agent's password and
    /// logins stop working at once. `token_hash` must come from `login_token_hash`.
    pub async fn issue_password_link(
        &self,
        company: &CompanyId,
        id: &AgentId,
        token_hash: &str,
        expires_at: OffsetDateTime,
        reset_to: Option<&str>,
    ) -> Result<(), StoreError> {
        logins::validate_token_hash(token_hash)?;
        if let Some(hash) = reset_to {
            agents::validate_hash(hash)?;
        }
        let link = Some((token_hash, expires_at));
        dispatch!(self.reset_password(company, id, reset_to, link))
    }

    /// Sets the password of an agent of `company` (`NotFound` otherwise) to `password_hash`:
    /// the old password, every login and any set-password link stop working at once.
    pub async fn set_agent_password(
        &self,
        company: &CompanyId,
        id: &AgentId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        agents::validate_hash(password_hash)?;
        dispatch!(self.reset_password(company, id, Some(password_hash), None))
    }

    /// Uses a set-password link once: sets the agent's password and removes the link.
    /// `NotFound` for a link that is unknown, used or expired.
    pub async fn redeem_password_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        password_hash: &str,
    ) -> Result<Agent, StoreError> {
        agents::validate_hash(password_hash)?;
        dispatch!(self.redeem_password_link(token_hash, now, password_hash))
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
        dispatch!(self.create_login(token_hash, agent, expires_at))
    }

    /// The agent logged in with this token digest, if the login exists and has not expired
    /// by `now`.
    pub async fn agent_by_login(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Agent>, StoreError> {
        dispatch!(self.agent_by_login(token_hash, now))
    }

    /// Ends a login (logging out); deleting an unknown login is not an error.
    pub async fn delete_login(&self, token_hash: &str) -> Result<(), StoreError> {
        dispatch!(self.delete_login(token_hash))
    }

    /// Deletes logins expired by `now`; returns how many.
    pub async fn delete_expired_logins(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        dispatch!(self.delete_expired_logins(now))
    }

    // Session records.

    /// Records a new session; `Conflict` for a duplicate id, `NotFound` for an unknown company.
    pub async fn insert_session(&self, rec: &SessionRecord) -> Result<(), StoreError> {
        dispatch!(self.insert_session(rec))
    }

    /// Records that an agent joined; the first agent to join stays on record.
    pub async fn mark_session_joined(
        &self,
        id: &SessionId,
        agent: &AgentId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self.mark_session_joined(id, agent, at))
    }

    /// Records that a session ended and why (a snake_case reason); the first end stays on
    /// record, so ending twice is harmless.
    pub async fn mark_session_ended(
        &self,
        id: &SessionId,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.mark_session_ended(id, at, reason))
    }

    pub async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        dispatch!(self.session(id))
    }

    /// A company's sessions over a range of days (F25), computed in the database.
    pub async fn session_summary(
        &self,
        company: &CompanyId,
        range: &ReportRange,
    ) -> Result<SessionSummary, StoreError> {
        dispatch!(self.session_summary(company, range))
    }

    /// A page of a company's session records started in a range, oldest first, after the
    /// `after` of the query (keyset); `Invalid` for a page size out of bounds.
    pub async fn sessions_between(
        &self,
        query: SessionsQuery,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let query = query.validated()?;
        dispatch!(self.sessions_between(&query))
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
        dispatch!(self.save_transcript(session, entries))
    }

    /// A session's kept chat, in order; empty when none was kept.
    pub async fn transcript(
        &self,
        session: &SessionId,
    ) -> Result<Vec<TranscriptEntry>, StoreError> {
        dispatch!(self.transcript(session))
    }

    // Company rules.

    /// Adds a rule to a company; `NotFound` for an unknown company, `Conflict` when the company
    /// already has [`MAX_RULES_PER_COMPANY`] rules or the same rule, `Invalid` for empty texts.
    pub async fn create_rule(&self, new: NewRule) -> Result<StoredRule, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_rule(&new))
    }

    /// A company's rules, oldest first (the order they are applied in).
    pub async fn rules(&self, company: &CompanyId) -> Result<Vec<StoredRule>, StoreError> {
        dispatch!(self.rules(company))
    }

    /// A company's rules with their version (see [`Store::rules_version`]), read together.
    pub async fn versioned_rules(
        &self,
        company: &CompanyId,
    ) -> Result<(i64, Vec<StoredRule>), StoreError> {
        dispatch!(self.versioned_rules(company))
    }

    /// A number that grows with every rule the company creates or deletes, whichever process
    /// does it; `NotFound` for a company that does not exist.
    pub async fn rules_version(&self, company: &CompanyId) -> Result<i64, StoreError> {
        dispatch!(self.rules_version(company))
    }

    /// Deletes one of a company's rules; `NotFound` when the company has no rule with this id
    /// (another company's rule included).
    pub async fn delete_rule(&self, company: &CompanyId, id: &RuleId) -> Result<(), StoreError> {
        dispatch!(self.delete_rule(company, id))
    }

    // Rule drafts (F20).

    /// Adds a draft to a company: a new rule, or a change of its live rule `new.rule`.
    /// `NotFound` for an unknown company or a rule it does not have, `Conflict` when the company
    /// already has [`MAX_DRAFTS_PER_COMPANY`] drafts, `Invalid` for empty texts.
    pub async fn create_draft(&self, new: NewDraft) -> Result<StoredDraft, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_draft(&new))
    }

    /// A company's drafts, oldest first (the order they are published in).
    pub async fn drafts(&self, company: &CompanyId) -> Result<Vec<StoredDraft>, StoreError> {
        dispatch!(self.drafts(company))
    }

    /// Throws one of a company's drafts away; `NotFound` when it has no such draft.
    pub async fn delete_draft(
        &self,
        company: &CompanyId,
        id: &model::DraftId,
    ) -> Result<(), StoreError> {
        dispatch!(self.delete_draft(company, id))
    }

    /// Publishes every draft of a company in one transaction: new rules are made, changed ones
    /// keep the version they replace, the drafts are gone and the rules version moves. Answers
    /// the rules made or changed, in the drafts' order; none (and nothing changed) without
    /// drafts. `Conflict` (and nothing changed) when a new rule would be one the company has or
    /// one too many.
    pub async fn publish_drafts(&self, company: &CompanyId) -> Result<Vec<StoredRule>, StoreError> {
        dispatch!(self.publish_drafts(company))
    }

    /// Brings a company's rule back to its previous published version (and the rules version
    /// moves); `None` when it has none, `NotFound` when the company has no such rule.
    pub async fn rollback_rule(
        &self,
        company: &CompanyId,
        id: &RuleId,
    ) -> Result<Option<StoredRule>, StoreError> {
        dispatch!(self.rollback_rule(company, id))
    }

    // Audit log.

    /// Appends an event to the audit log; `Invalid` for a kind that is not snake_case.
    pub async fn record_audit(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        audit::validate_kind(&ev.kind)?;
        dispatch!(self.record_audit(ev))
    }

    /// The newest `limit` events, newest first: of one company, or of all when `company` is
    /// `None`.
    pub async fn audit_events(
        &self,
        company: Option<&CompanyId>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        dispatch!(self.audit_events(company, limit))
    }

    /// A page of one company's audit events, newest first, filtered (F29); `Invalid` for a
    /// malformed kind or a page size out of bounds.
    pub async fn audit_page(&self, query: AuditQuery) -> Result<AuditPage, StoreError> {
        let query = query.validated()?;
        dispatch!(self.audit_page(&query))
    }

    // Webhooks (F23).

    /// Keeps a new API token; `Conflict` past [`MAX_API_TOKENS_PER_COMPANY`] (or a digest
    /// already kept), `Invalid` for a bad name, no scope or a digest that is not one.
    pub async fn create_api_token(&self, new: NewApiToken) -> Result<ApiToken, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_api_token(&new))
    }

    /// A company's API tokens, oldest first.
    pub async fn api_tokens(&self, company: &CompanyId) -> Result<Vec<ApiToken>, StoreError> {
        dispatch!(self.api_tokens(company))
    }

    /// Revokes (removes) an API token of `company` and answers what it was; `NotFound`
    /// otherwise (another company's token included).
    pub async fn delete_api_token(
        &self,
        company: &CompanyId,
        id: &model::TokenId,
    ) -> Result<ApiToken, StoreError> {
        dispatch!(self.delete_api_token(company, id))
    }

    /// The API token whose `login_token_hash` this is, if it is kept.
    pub async fn api_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        dispatch!(self.api_token_by_hash(token_hash))
    }

    /// Notes that a token was used at `at` (unless a later use is noted already). Callers
    /// write only uses that are news ([`ApiToken::use_is_news`]).
    pub async fn note_api_token_used(
        &self,
        id: &model::TokenId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self.note_api_token_used(id, at))
    }

    /// Registers a webhook; `Conflict` past [`MAX_WEBHOOKS_PER_COMPANY`], `Invalid` without
    /// events, with an empty or too long URL or a short secret, `NotFound` for an unknown
    /// company. The URL's scheme and address are the caller's to check.
    pub async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let new = new.validated()?;
        dispatch!(self.create_webhook(&new))
    }

    /// A company's webhooks, oldest first.
    pub async fn webhooks(&self, company: &CompanyId) -> Result<Vec<Webhook>, StoreError> {
        dispatch!(self.webhooks(company))
    }

    /// Removes a webhook of `company` with its deliveries and answers what it was; `NotFound`
    /// otherwise (another company's webhook included).
    pub async fn delete_webhook(
        &self,
        company: &CompanyId,
        id: &model::WebhookId,
    ) -> Result<Webhook, StoreError> {
        dispatch!(self.delete_webhook(company, id))
    }

    /// Queues `event` for every webhook of its company that subscribes to its type, due at
    /// once; answers how many deliveries were queued.
    pub async fn enqueue_webhook_event(&self, event: &QueuedEvent) -> Result<u64, StoreError> {
        let n_queued = dispatch!(self.enqueue_webhook_event(event))?;
        if n_queued > 0 {
            self.webhooks_queued.notify_one();
        }
        Ok(n_queued)
    }

    /// Waits until this process queues a webhook delivery (or one was queued since the last
    /// wait ended).
    pub async fn webhook_queued(&self) {
        self.webhooks_queued.notified().await;
    }

    /// Claims up to `limit` pending deliveries due at `now`: they are not due again, for anyone,
    /// until `lease_until` (or their attempt is recorded).
    pub async fn claim_webhook_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        dispatch!(self.claim_webhook_deliveries(now, lease_until, limit))
    }

    /// Records an attempt of a pending delivery at `at`, and what comes next.
    pub async fn record_webhook_attempt(
        &self,
        webhook: &model::WebhookId,
        event: &model::EventId,
        at: OffsetDateTime,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        dispatch!(self.record_webhook_attempt(webhook, event, at, outcome))
    }

    /// The newest `limit` (at most [`MAX_DELIVERY_PAGE`]) deliveries of a webhook of
    /// `company`, newest first; `NotFound` for another company's webhook, or none.
    pub async fn webhook_deliveries(
        &self,
        company: &CompanyId,
        webhook: &model::WebhookId,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = limit.min(MAX_DELIVERY_PAGE);
        dispatch!(self.webhook_deliveries(company, webhook, limit))
    }

    /// When the next pending delivery is due (claimed ones: when their lease runs out).
    pub async fn next_webhook_attempt(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        dispatch!(self.next_webhook_attempt())
    }

    // Moving between databases.

    /// Copies every table into `target`, which must be empty (its schema is there: opening
    /// migrates it). The copy is one transaction on the target: it is all there, with the row
    /// counts of every table checked against this database's, or not there at all. Meant for a
    /// stopped installation (`beside db copy`).
    pub async fn copy_to(&self, target: &Store) -> Result<CopyReport, StoreError> {
        check_tables_known(&self.table_columns().await?, "source")?;
        check_tables_known(&target.table_columns().await?, "target")?;
        if self.schema_version().await? != target.schema_version().await? {
            return Err(StoreError::Copy(
                "the two databases have different schema versions; open both with this beside \
                 (`beside migrate`) first"
                    .to_owned(),
            ));
        }
        for table in TABLES {
            let n = target.count_rows(table).await?;
            if n > 0 {
                return Err(StoreError::Copy(format!(
                    "the target database is not empty ({} has {n} rows); copy into a new, empty \
                     database",
                    table.name
                )));
            }
        }
        let mut writer = match &target.backend {
            BackendStore::Sqlite(db) => CopyWriter::Sqlite(db.begin_copy().await?),
            BackendStore::Postgres(db) => CopyWriter::Postgres(db.begin_copy().await?),
        };
        let mut report = CopyReport { tables: Vec::new() };
        for table in TABLES {
            let expected = self.count_rows(table).await?;
            let sql = match &self.backend {
                BackendStore::Sqlite(_) => sqlite::Sqlite::copy_select(table),
                BackendStore::Postgres(_) => postgres::Postgres::copy_select(table),
            };
            let mut rows = match &self.backend {
                BackendStore::Sqlite(db) => db.copy_rows(&sql, table),
                BackendStore::Postgres(db) => db.copy_rows(&sql, table),
            };
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            let mut n_copied = 0;
            loop {
                let next = rows.next().await.transpose()?;
                let done = next.is_none();
                batch.extend(next);
                if batch.len() == BATCH_ROWS || (done && !batch.is_empty()) {
                    writer.insert(table, &batch).await?;
                    n_copied += batch.len() as u64;
                    batch.clear();
                }
                if done {
                    break;
                }
            }
            let n_written = writer.count(table).await?;
            if n_copied != expected || n_written != expected {
                return Err(StoreError::Copy(format!(
                    "{} has {expected} rows in the source, but {n_copied} were read and \
                     {n_written} written; nothing was copied",
                    table.name
                )));
            }
            report.tables.push((table.name, n_written));
        }
        writer.finish().await?;
        Ok(report)
    }

    /// Rows in one of the tables `beside db copy` copies.
    async fn count_rows(&self, table: &copy::Table) -> Result<u64, StoreError> {
        dispatch!(self.count_rows(table))
    }

    async fn table_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self.table_columns())
    }

    /// Rows per table, for checking a copy (or an installation) by hand.
    pub async fn row_counts(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let mut counts = Vec::new();
        for table in TABLES {
            counts.push((table.name, self.count_rows(table).await?));
        }
        Ok(counts)
    }
}

/// The target side of a copy, on either backend.
enum CopyWriter {
    Sqlite(sqlite::CopyWriter),
    Postgres(postgres::CopyWriter),
}

impl CopyWriter {
    async fn insert(
        &mut self,
        table: &copy::Table,
        rows: &[Vec<copy::Value>],
    ) -> Result<(), StoreError> {
        match self {
            CopyWriter::Sqlite(w) => w.insert(table, rows).await,
            CopyWriter::Postgres(w) => w.insert(table, rows).await,
        }
    }

    async fn count(&mut self, table: &copy::Table) -> Result<u64, StoreError> {
        match self {
            CopyWriter::Sqlite(w) => w.count(table).await,
            CopyWriter::Postgres(w) => w.count(table).await,
        }
    }

    async fn finish(self) -> Result<(), StoreError> {
        match self {
            CopyWriter::Sqlite(w) => w.finish().await,
            CopyWriter::Postgres(w) => w.finish().await,
        }
    }
}
