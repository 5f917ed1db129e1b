//! The embedded SQLite backend: the connection pool, how its columns decode, and (one module per
//! table, below) every SQL statement of the store in SQLite's dialect.
//!
//! Times are stored as unix milliseconds and JSON as text; values read back are converted to
//! `model` and `time` types through `row::Row`, so no SQL type leaves this module.

mod agents;
mod api_tokens;
mod audit;
mod companies;
mod copy;
mod drafts;
mod logins;
mod migrate;
mod reports;
mod rules;
mod sessions;
mod transcripts;
mod webhooks;

pub(crate) use copy::CopyWriter;
pub(crate) use migrate::MIGRATIONS;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::SqlitePool;
use time::OffsetDateTime;

use crate::row::{from_ms, get, to_ms, Row};
use crate::{Config, StoreError};

#[derive(Clone)]
pub(crate) struct Sqlite {
    pool: SqlitePool,
}

/// SQLITE_BUSY: another connection holds a lock it needs.
fn is_busy(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "5")
}

impl Sqlite {
    pub(crate) async fn open(path: &Path, config: &Config) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })?;
        }
        // SQLite has no statement timeout; the time a statement may wait for another writer's
        // lock is the part of it that can grow without bound.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(config.statement_timeout());
        // Two processes opening a brand-new file at once (the CLI beside a starting server) race
        // to switch it to WAL; SQLite answers the loser "database is locked" at once, without
        // its busy timeout. Retrying shortly settles it.
        let mut delay = Duration::from_millis(20);
        let mut attempt = 1;
        let pool = loop {
            match SqlitePoolOptions::new()
                .max_connections(config.pool_size)
                .acquire_timeout(config.connect_timeout())
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(error) if attempt < 8 && is_busy(&error) => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(source) => {
                    return Err(StoreError::Connect {
                        url: format!("sqlite://{}", path.display()),
                        source,
                    })
                }
            }
        };
        Sqlite::migrated(pool).await
    }

    pub(crate) async fn open_in_memory() -> Result<Sqlite, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(StoreError::database("opening an in-memory database"))?
            .foreign_keys(true);
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

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::database("checking the database"))?;
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction that holds SQLite's write lock from its start. A transaction that
    /// reads, then writes must take the lock first: a deferred one that has read cannot wait
    /// for another writer and fails with "database is locked" at once.
    async fn begin_write(
        &self,
        context: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::database(context))
    }
}

/// A time as SQLite keeps it.
fn ms(t: OffsetDateTime) -> i64 {
    to_ms(t)
}

impl Row for SqliteRow {
    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        get(self, column)
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        get(self, column)
    }

    fn int(&self, column: &'static str) -> Result<i64, StoreError> {
        get(self, column)
    }

    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        get(self, column)
    }

    fn time(&self, column: &'static str) -> Result<OffsetDateTime, StoreError> {
        from_ms(self.int(column)?, column)
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.opt_int(column)?.map(|ms| from_ms(ms, column)).transpose()
    }

    fn json(&self, column: &'static str) -> Result<serde_json::Value, StoreError> {
        self.opt_json(column)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {column} is empty")))
    }

    fn opt_json(&self, column: &'static str) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = get(self, column)?;
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
        })
        .transpose()
    }
}
