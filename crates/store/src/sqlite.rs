//! The embedded SQLite backend: connection setup and every SQL statement of the store.
//!
//! Times are stored as unix milliseconds; values read back are converted to `model` and `time`
//! types here, so no SQL type leaves this module.

mod migrate;

use std::str::FromStr;
use std::time::Duration;

use model::{AgentId, AgentRole, CompanyId, Role, RuleId, RuleKind, SessionId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

use crate::{
    Agent, AuditEvent, Company, EntryKind, NewAgent, NewCompany, NewRule, SessionPolicy,
    SessionRecord, StoreError, StoredRule, TranscriptEntry, TranscriptPolicy,
    MAX_RULES_PER_COMPANY,
};

/// The columns a `Company` is read from.
const COMPANY_COLUMNS: &str = "id, slug, name, start_url, created_at, pin_approval, \
                               agents_start_with_control, transcripts";

/// How long a writer waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: u32 = 8;

#[derive(Clone)]
pub(crate) struct Sqlite {
    pool: SqlitePool,
}

/// SQLITE_BUSY: another connection holds a lock it needs.
fn is_busy(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "5")
}

impl Sqlite {
    pub(crate) async fn open(path: &std::path::Path) -> Result<Sqlite, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // Two processes opening a brand-new file at once (the CLI beside a starting server) race
        // to switch it to WAL; SQLite answers the loser "database is locked" at once, without
        // its busy timeout. Retrying shortly settles it.
        let mut delay = std::time::Duration::from_millis(20);
        let mut attempt = 1;
        let pool = loop {
            match SqlitePoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(error) if attempt < 8 && is_busy(&error) => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => return Err(StoreError::database("opening the database file")(error)),
            }
        };
        Sqlite::migrated(pool).await
    }

    pub(crate) async fn open_in_memory() -> Result<Sqlite, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::database("opening an in-memory database"))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // An in-memory database lives as long as a connection to it: keep exactly one, forever.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(StoreError::database("opening an in-memory database"))?;
        Sqlite::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Sqlite, StoreError> {
        migrate::migrate(&pool).await?;
        Ok(Sqlite { pool })
    }

    pub(crate) async fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::schema_version(&self.pool).await
    }

    pub(crate) fn latest_schema_version() -> i64 {
        migrate::latest_version()
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    // Companies.

    pub(crate) async fn create_company(&self, new: NewCompany) -> Result<Company, StoreError> {
        let company = Company {
            id: CompanyId::random(),
            slug: new.slug,
            name: new.name,
            start_url: new.start_url,
            created_at: now(),
            policy: SessionPolicy::default(),
        };
        // The policy's columns start at their defaults, which are `SessionPolicy::default()`.
        sqlx::query(
            "INSERT INTO companies (id, slug, name, start_url, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(company.id.as_str())
        .bind(&company.slug)
        .bind(&company.name)
        .bind(&company.start_url)
        .bind(to_ms(company.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "a company with the slug `{}` already exists; choose another slug",
                    company.slug
                ))
            } else {
                StoreError::Database { context: "creating a company", source: e }
            }
        })?;
        Ok(company)
    }

    pub(crate) async fn company_by_slug(&self, slug: &str) -> Result<Option<Company>, StoreError> {
        sqlx::query(&format!("SELECT {COMPANY_COLUMNS} FROM companies WHERE slug = ?"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a company by slug"))?
            .map(|row| company_from_row(&row))
            .transpose()
    }

    pub(crate) async fn company(&self, id: &CompanyId) -> Result<Option<Company>, StoreError> {
        sqlx::query(&format!("SELECT {COMPANY_COLUMNS} FROM companies WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up a company"))?
            .map(|row| company_from_row(&row))
            .transpose()
    }

    pub(crate) async fn set_session_policy(
        &self,
        company: &CompanyId,
        policy: SessionPolicy,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE companies SET pin_approval = ?, agents_start_with_control = ?, \
             transcripts = ? WHERE id = ?",
        )
        .bind(policy.pin_approval)
        .bind(policy.agents_start_with_control)
        .bind(policy.transcripts.as_str())
        .bind(company.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::database("changing a company's session policy"))?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("there is no company with the id {company}")));
        }
        Ok(())
    }

    pub(crate) async fn count_companies(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::database("counting companies"))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("company count {n}")))
    }

    // Agents.

    pub(crate) async fn create_agent(&self, new: NewAgent) -> Result<Agent, StoreError> {
        let agent = Agent {
            id: AgentId::random(),
            company: new.company,
            email: new.email,
            name: new.name,
            role: new.role,
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO agents (id, company_id, email, email_key, name, role, password_hash, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(agent.id.as_str())
        .bind(agent.company.as_str())
        .bind(&agent.email)
        .bind(crate::agents::email_key(&agent.email))
        .bind(&agent.name)
        .bind(agent.role.as_str())
        .bind(&new.password_hash)
        .bind(to_ms(agent.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "an agent with the email `{}` already exists",
                    agent.email
                ))
            } else if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!("there is no company with the id {}", agent.company))
            } else {
                StoreError::Database { context: "creating an agent", source: e }
            }
        })?;
        Ok(agent)
    }

    pub(crate) async fn agent_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(Agent, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, company_id, email, name, role, created_at, password_hash \
             FROM agents WHERE email_key = ?",
        )
        .bind(crate::agents::email_key(email))
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("looking up an agent by email"))?;
        let Some(row) = row else { return Ok(None) };
        let hash: String = get(&row, "password_hash")?;
        Ok(Some((agent_from_row(&row)?, hash)))
    }

    pub(crate) async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        sqlx::query("SELECT id, company_id, email, name, role, created_at FROM agents WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("looking up an agent"))?
            .map(|row| agent_from_row(&row))
            .transpose()
    }

    // Logins.

    pub(crate) async fn create_login(
        &self,
        token_hash: &str,
        agent: &AgentId,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_logins (token_hash, agent_id, created_at, expires_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(agent.as_str())
        .bind(now_ms())
        .bind(to_ms(expires_at))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("this login token is already in use".to_owned())
            } else if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!("there is no agent with the id {agent}"))
            } else {
                StoreError::Database { context: "creating a login", source: e }
            }
        })?;
        Ok(())
    }

    pub(crate) async fn agent_by_login(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Agent>, StoreError> {
        sqlx::query(
            "SELECT a.id, a.company_id, a.email, a.name, a.role, a.created_at \
             FROM agent_logins l JOIN agents a ON a.id = l.agent_id \
             WHERE l.token_hash = ? AND l.expires_at > ?",
        )
        .bind(token_hash)
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("looking up a login"))?
        .map(|row| agent_from_row(&row))
        .transpose()
    }

    pub(crate) async fn delete_login(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agent_logins WHERE token_hash = ?")
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
        let res = sqlx::query("DELETE FROM agent_logins WHERE expires_at <= ?")
            .bind(to_ms(now))
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("deleting expired logins"))?;
        Ok(res.rows_affected())
    }

    // Session records.

    pub(crate) async fn insert_session(&self, rec: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, company_id, start_url, locale, created_at, agent_id, \
             joined_at, ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rec.id.as_str())
        .bind(rec.company.as_str())
        .bind(&rec.start_url)
        .bind(&rec.locale)
        .bind(to_ms(rec.created_at))
        .bind(rec.agent.as_ref().map(AgentId::as_str))
        .bind(rec.joined_at.map(to_ms))
        .bind(rec.ended_at.map(to_ms))
        .bind(&rec.end_reason)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a session with the id {} already exists", rec.id))
            } else if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!(
                    "the company {} or agent of session {} does not exist",
                    rec.company, rec.id
                ))
            } else {
                StoreError::Database { context: "recording a new session", source: e }
            }
        })?;
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
        .bind(to_ms(at))
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!("there is no agent with the id {agent}"))
            } else {
                StoreError::Database { context: "recording that an agent joined", source: e }
            }
        })?;
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
        .bind(to_ms(at))
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
        sqlx::query(
            "SELECT id, company_id, start_url, locale, created_at, agent_id, joined_at, ended_at, \
             end_reason FROM sessions WHERE id = ?",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::database("looking up a session"))?
        .map(|row| session_from_row(&row))
        .transpose()
    }

    // Chat transcripts.

    pub(crate) async fn save_transcript(
        &self,
        session: &SessionId,
        entries: &[TranscriptEntry],
    ) -> Result<(), StoreError> {
        let context = "keeping a chat transcript";
        let mut tx = self.pool.begin().await.map_err(StoreError::database(context))?;
        sqlx::query("DELETE FROM chat_transcripts WHERE session_id = ?")
            .bind(session.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(context))?;
        for e in entries {
            sqlx::query(
                "INSERT INTO chat_transcripts (session_id, seq, at, kind, role, name, body) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(session.as_str())
            .bind(e.seq)
            .bind(to_ms(e.at))
            .bind(e.kind.as_str())
            .bind(e.role.as_str())
            .bind(&e.name)
            .bind(&e.body)
            .execute(&mut *tx)
            .await
            .map_err(|error| {
                if is_foreign_key_violation(&error) {
                    StoreError::NotFound(format!("there is no session with the id {session}"))
                } else if is_unique_violation(&error) {
                    StoreError::Invalid(format!("transcript entry {} is there twice", e.seq))
                } else {
                    StoreError::Database { context, source: error }
                }
            })?;
        }
        tx.commit().await.map_err(StoreError::database(context))
    }

    pub(crate) async fn transcript(
        &self,
        session: &SessionId,
    ) -> Result<Vec<TranscriptEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, role, name, body FROM chat_transcripts WHERE session_id = ? \
             ORDER BY seq",
        )
        .bind(session.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a chat transcript"))?;
        rows.iter().map(transcript_entry_from_row).collect()
    }

    // Audit log.

    // Company rules.

    pub(crate) async fn create_rule(&self, new: NewRule) -> Result<StoredRule, StoreError> {
        let rule = StoredRule {
            id: RuleId::random(),
            company: new.company,
            kind: new.kind,
            selector: new.selector,
            url_pattern: new.url_pattern,
            created_by: new.created_by,
            created_at: now(),
        };
        // It reads, then writes: taking the write lock first makes a second writer (another
        // process's, the server's beside the CLI) wait its busy timeout. A deferred transaction
        // that has read cannot wait for the lock, and fails with "database is locked" at once.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::database("creating a rule"))?;
        let rows = sqlx::query(
            "SELECT kind, selector, url_pattern FROM company_rules WHERE company_id = ?",
        )
        .bind(rule.company.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::database("counting a company's rules"))?;
        if rows.len() as u64 >= MAX_RULES_PER_COMPANY {
            return Err(StoreError::Conflict(format!(
                "the company already has {MAX_RULES_PER_COMPANY} rules, the most it may have; \
                 delete some first"
            )));
        }
        for row in &rows {
            let (kind, selector, pattern): (String, String, String) =
                (get(row, "kind")?, get(row, "selector")?, get(row, "url_pattern")?);
            if kind == rule.kind.as_str()
                && selector == rule.selector
                && pattern == rule.url_pattern
            {
                return Err(StoreError::Conflict(
                    "the company already has this rule (same kind, selector and URL pattern)"
                        .to_owned(),
                ));
            }
        }
        sqlx::query(
            "INSERT INTO company_rules \
             (id, company_id, kind, selector, url_pattern, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rule.id.as_str())
        .bind(rule.company.as_str())
        .bind(rule.kind.as_str())
        .bind(&rule.selector)
        .bind(&rule.url_pattern)
        .bind(rule.created_by.as_ref().map(AgentId::as_str))
        .bind(to_ms(rule.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!(
                    "there is no company with the id {} (or no agent {:?})",
                    rule.company, rule.created_by
                ))
            } else {
                StoreError::Database { context: "creating a rule", source: e }
            }
        })?;
        bump_rules_version(&mut tx, &rule.company, "creating a rule").await?;
        tx.commit().await.map_err(StoreError::database("creating a rule"))?;
        Ok(rule)
    }

    pub(crate) async fn rules(&self, company: &CompanyId) -> Result<Vec<StoredRule>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, company_id, kind, selector, url_pattern, created_by, created_at \
             FROM company_rules WHERE company_id = ? ORDER BY created_at, rowid",
        )
        .bind(company.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database("reading a company's rules"))?;
        rows.iter().map(rule_from_row).collect()
    }

    pub(crate) async fn rules_version(&self, company: &CompanyId) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = ?")
            .bind(company.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database("reading a company's rules version"))?
            .ok_or_else(|| {
                StoreError::NotFound(format!("there is no company with the id {company}"))
            })
    }

    pub(crate) async fn versioned_rules(
        &self,
        company: &CompanyId,
    ) -> Result<(i64, Vec<StoredRule>), StoreError> {
        // One read transaction: the version and the rules come from the same snapshot.
        let mut tx =
            self.pool.begin().await.map_err(StoreError::database("reading a company's rules"))?;
        let version: i64 = sqlx::query_scalar("SELECT rules_version FROM companies WHERE id = ?")
            .bind(company.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::database("reading a company's rules version"))?
            .ok_or_else(|| {
                StoreError::NotFound(format!("there is no company with the id {company}"))
            })?;
        let rows = sqlx::query(
            "SELECT id, company_id, kind, selector, url_pattern, created_by, created_at \
             FROM company_rules WHERE company_id = ? ORDER BY created_at, rowid",
        )
        .bind(company.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::database("reading a company's rules"))?;
        tx.commit().await.map_err(StoreError::database("reading a company's rules"))?;
        Ok((version, rows.iter().map(rule_from_row).collect::<Result<_, _>>()?))
    }

    pub(crate) async fn delete_rule(
        &self,
        company: &CompanyId,
        id: &RuleId,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::database("deleting a rule"))?;
        let res = sqlx::query("DELETE FROM company_rules WHERE id = ? AND company_id = ?")
            .bind(id.as_str())
            .bind(company.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database("deleting a rule"))?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("the company has no rule with the id {id}")));
        }
        bump_rules_version(&mut tx, company, "deleting a rule").await?;
        tx.commit().await.map_err(StoreError::database("deleting a rule"))?;
        Ok(())
    }

    pub(crate) async fn record_audit(&self, ev: &AuditEvent) -> Result<(), StoreError> {
        let detail = serde_json::to_string(&ev.detail)
            .expect("a serde_json::Value always serialises to a string");
        sqlx::query(
            "INSERT INTO audit_events (at, company_id, agent_id, session_id, kind, detail) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(to_ms(ev.at))
        .bind(ev.company.as_ref().map(CompanyId::as_str))
        .bind(ev.agent.as_ref().map(AgentId::as_str))
        .bind(ev.session.as_ref().map(SessionId::as_str))
        .bind(&ev.kind)
        .bind(detail)
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
        let rows =
            match company {
                Some(company) => sqlx::query(
                    "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                     WHERE company_id = ? ORDER BY at DESC, id DESC LIMIT ?",
                )
                .bind(company.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await,
                None => sqlx::query(
                    "SELECT at, company_id, agent_id, session_id, kind, detail FROM audit_events \
                     ORDER BY at DESC, id DESC LIMIT ?",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await,
            }
            .map_err(StoreError::database("reading the audit log"))?;
        rows.iter().map(audit_from_row).collect()
    }
}

fn require_one_row(n_rows: u64, id: &SessionId) -> Result<(), StoreError> {
    if n_rows == 0 {
        return Err(StoreError::NotFound(format!("there is no session with the id {id}")));
    }
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_foreign_key_violation())
}

// Rows to types.

fn get<'r, T>(row: &'r SqliteRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

fn id<T: FromStr>(row: &SqliteRow, column: &'static str) -> Result<T, StoreError> {
    let s: String = get(row, column)?;
    s.parse().map_err(|_| StoreError::Corrupt(format!("column {column} holds the id `{s}`")))
}

fn opt_id<T: FromStr>(row: &SqliteRow, column: &'static str) -> Result<Option<T>, StoreError> {
    let s: Option<String> = get(row, column)?;
    s.map(|s| {
        s.parse().map_err(|_| StoreError::Corrupt(format!("column {column} holds the id `{s}`")))
    })
    .transpose()
}

fn time(row: &SqliteRow, column: &'static str) -> Result<OffsetDateTime, StoreError> {
    from_ms(get(row, column)?, column)
}

fn opt_time(row: &SqliteRow, column: &'static str) -> Result<Option<OffsetDateTime>, StoreError> {
    let ms: Option<i64> = get(row, column)?;
    ms.map(|ms| from_ms(ms, column)).transpose()
}

fn company_from_row(row: &SqliteRow) -> Result<Company, StoreError> {
    let transcripts: String = get(row, "transcripts")?;
    Ok(Company {
        id: id(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        start_url: get(row, "start_url")?,
        created_at: time(row, "created_at")?,
        policy: SessionPolicy {
            pin_approval: get(row, "pin_approval")?,
            agents_start_with_control: get(row, "agents_start_with_control")?,
            transcripts: TranscriptPolicy::from_str(&transcripts).map_err(StoreError::Corrupt)?,
        },
    })
}

fn transcript_entry_from_row(row: &SqliteRow) -> Result<TranscriptEntry, StoreError> {
    let kind: String = get(row, "kind")?;
    let role: String = get(row, "role")?;
    Ok(TranscriptEntry {
        seq: get(row, "seq")?,
        at: time(row, "at")?,
        kind: match kind.as_str() {
            "text" => EntryKind::Text,
            "system" => EntryKind::System,
            other => return Err(StoreError::Corrupt(format!("transcript entry kind `{other}`"))),
        },
        role: match role.as_str() {
            "customer" => Role::Customer,
            "agent" => Role::Agent,
            other => return Err(StoreError::Corrupt(format!("transcript entry role `{other}`"))),
        },
        name: get(row, "name")?,
        body: get(row, "body")?,
    })
}

fn agent_from_row(row: &SqliteRow) -> Result<Agent, StoreError> {
    let role: String = get(row, "role")?;
    Ok(Agent {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        role: AgentRole::from_str(&role).map_err(StoreError::Corrupt)?,
        created_at: time(row, "created_at")?,
    })
}

fn session_from_row(row: &SqliteRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        start_url: get(row, "start_url")?,
        locale: get(row, "locale")?,
        created_at: time(row, "created_at")?,
        agent: opt_id(row, "agent_id")?,
        joined_at: opt_time(row, "joined_at")?,
        ended_at: opt_time(row, "ended_at")?,
        end_reason: get(row, "end_reason")?,
    })
}

fn rule_from_row(row: &SqliteRow) -> Result<StoredRule, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(StoredRule {
        id: id(row, "id")?,
        company: id(row, "company_id")?,
        kind: RuleKind::from_str(&kind).map_err(StoreError::Corrupt)?,
        selector: get(row, "selector")?,
        url_pattern: get(row, "url_pattern")?,
        created_by: opt_id(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn audit_from_row(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let detail: String = get(row, "detail")?;
    Ok(AuditEvent {
        at: time(row, "at")?,
        company: opt_id(row, "company_id")?,
        agent: opt_id(row, "agent_id")?,
        session: opt_id(row, "session_id")?,
        kind: get(row, "kind")?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| StoreError::Corrupt(format!("audit event detail: {e}")))?,
    })
}

// Times.

/// Unix milliseconds; times before 1970 or after year 292 million do not occur in beside.
fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .expect("a time representable by OffsetDateTime fits in i64 milliseconds")
}

fn from_ms(ms: i64, column: &'static str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(format!("column {column} holds the time {ms}")))
}

fn now_ms() -> i64 {
    to_ms(OffsetDateTime::now_utc())
}

/// The current time at the precision the store keeps, so what is returned equals what is read.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_millisecond(t.millisecond()).expect("the millisecond of a valid time is valid")
}

/// One more on the company's rules version, inside the transaction that changes its rules.
async fn bump_rules_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    company: &CompanyId,
    context: &'static str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE companies SET rules_version = rules_version + 1 WHERE id = ?")
        .bind(company.as_str())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::database(context))?;
    Ok(())
}
