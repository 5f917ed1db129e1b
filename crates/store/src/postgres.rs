//! The PostgreSQL backend: the connection pool, how its columns decode, and (one module per
//! table, below) every SQL statement of the store in PostgreSQL's dialect.
//!
//! Times are `timestamptz` (written rounded to the millisecond, as SQLite keeps them), JSON is
//! `jsonb`. Transactions run at READ COMMITTED; those that read, then write lock the row they
//! depend on first (`SELECT … FOR NO KEY UPDATE`), so concurrent writers queue instead of failing.

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
#[cfg(test)]
pub(crate) use migrate::MIGRATIONS;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Connection, PgPool};
use time::OffsetDateTime;

use crate::row::{get, to_stored, Row};
use crate::{Config, DatabaseUrl, StoreError};

#[derive(Clone)]
pub(crate) struct Postgres {
    pool: PgPool,
}

impl Postgres {
    pub(crate) async fn open(url: &DatabaseUrl, config: &Config) -> Result<Postgres, StoreError> {
        let connect_error = |source| StoreError::Connect { url: url.to_string(), source };
        let raw = url.postgres_url().expect("Store::open hands PostgreSQL URLs to this backend");
        let options = PgConnectOptions::from_str(raw)
            .map_err(connect_error)?
            .application_name("beside")
            .options([(
                "statement_timeout",
                format!("{}", config.statement_timeout().as_millis()),
            )]);
        // One connection first, on its own: a pool that cannot connect only says it timed out,
        // where this says why (refused, unknown host, wrong password, no such database).
        let first = tokio::time::timeout(config.connect_timeout(), options.connect())
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", config.connect_timeout_secs),
                )))
            })
            .map_err(connect_error)?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(config.pool_size)
            .acquire_timeout(config.connect_timeout())
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        migrate::migrate(&pool).await?;
        Ok(Postgres { pool })
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
}

/// A time as PostgreSQL keeps it here: rounded down to the millisecond, like SQLite.
fn ms(t: OffsetDateTime) -> OffsetDateTime {
    to_stored(t)
}

impl Row for PgRow {
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
        get(self, column)
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>, StoreError> {
        get(self, column)
    }

    fn json(&self, column: &'static str) -> Result<serde_json::Value, StoreError> {
        let sqlx::types::Json(value) = get(self, column)?;
        Ok(value)
    }

    fn opt_json(&self, column: &'static str) -> Result<Option<serde_json::Value>, StoreError> {
        let value: Option<sqlx::types::Json<serde_json::Value>> = get(self, column)?;
        Ok(value.map(|sqlx::types::Json(value)| value))
    }
}
