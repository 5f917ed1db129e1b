//! `beside db copy`: every table of one database into another, across backends.
//!
//! The tables and their columns are declared once here, in the order foreign keys need
//! (a company before its agents). Each backend reads a table as a stream of `Value` rows in the
//! order its rows were made, and writes such rows in one transaction for the whole copy, so a
//! copy that fails leaves the target empty (and a second try is not refused as "not empty").
//!
//! Adding a table to the schema means adding it here too; the store's tests check that every
//! table of both backends is listed, column for column.

use futures_util::stream::{BoxStream, StreamExt};
use time::OffsetDateTime;

use crate::row::Row;
use crate::StoreError;

/// How a column is kept: each backend maps these to its own types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Time,
    Json,
}

/// A table to copy: its name and columns.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Json, Text, Time};

/// Every table beside keeps, parents first. `schema_migrations` is not copied: the target is
/// migrated by opening it.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "companies",
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("name", Text),
            ("start_url", Text),
            ("created_at", Time),
            ("rules_version", Int),
            ("pin_approval", Int),
            ("agents_start_with_control", Int),
            ("transcripts", Text),
            ("start_mode", Text),
            ("start_secret", Text),
            ("pdf_view", Text),
            ("settings_version", Int),
            ("colors", Json),
            ("texts", Json),
            ("nav_allow", Json),
            ("nav_deny", Json),
            ("pin_digits", Int),
            ("pin_ttl_secs", Int),
            ("logo_type", Text),
            ("embed_origins", Json),
        ],
    },
    Table {
        name: "company_logos",
        columns: &[("company_id", Text), ("data", Text), ("updated_at", Time)],
    },
    Table {
        name: "agents",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("email", Text),
            ("email_key", Text),
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at", Time),
            ("disabled", Int),
            ("version", Int),
        ],
    },
    Table {
        name: "agent_invites",
        columns: &[
            ("token_hash", Text),
            ("agent_id", Text),
            ("created_at", Time),
            ("expires_at", Time),
        ],
    },
    Table {
        name: "agent_logins",
        columns: &[
            ("token_hash", Text),
            ("agent_id", Text),
            ("created_at", Time),
            ("expires_at", Time),
        ],
    },
    Table {
        name: "sessions",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("start_url", Text),
            ("locale", Text),
            ("created_at", Time),
            ("agent_id", Text),
            ("joined_at", Time),
            ("ended_at", Time),
            ("end_reason", Text),
            ("reference", Text),
        ],
    },
    Table {
        name: "chat_transcripts",
        columns: &[
            ("session_id", Text),
            ("seq", Int),
            ("at", Time),
            ("kind", Text),
            ("role", Text),
            ("name", Text),
            ("body", Text),
        ],
    },
    Table {
        name: "company_rules",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("kind", Text),
            ("selector", Text),
            ("url_pattern", Text),
            ("created_by", Text),
            ("created_at", Time),
            ("version", Int),
        ],
    },
    Table {
        name: "rule_drafts",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("rule_id", Text),
            ("kind", Text),
            ("selector", Text),
            ("url_pattern", Text),
            ("created_by", Text),
            ("created_at", Time),
        ],
    },
    Table {
        name: "rule_versions",
        columns: &[
            ("rule_id", Text),
            ("version", Int),
            ("kind", Text),
            ("selector", Text),
            ("url_pattern", Text),
            ("replaced_at", Time),
        ],
    },
    Table {
        name: "webhooks",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("url", Text),
            ("events", Json),
            ("secret", Text),
            ("created_by", Text),
            ("created_at", Time),
        ],
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            ("webhook_id", Text),
            ("event_id", Text),
            ("event_type", Text),
            ("body", Text),
            ("created_at", Time),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_attempt_at", Time),
            ("last_status", Int),
            ("last_error", Text),
        ],
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", Text),
            ("company_id", Text),
            ("name", Text),
            ("scopes", Json),
            ("token_hash", Text),
            ("created_by", Text),
            ("created_at", Time),
            ("last_used_at", Time),
        ],
    },
    Table {
        name: "audit_events",
        columns: &[
            ("id", Int),
            ("at", Time),
            ("company_id", Text),
            ("agent_id", Text),
            ("session_id", Text),
            ("kind", Text),
            ("detail", Json),
        ],
    },
];

impl Table {
    /// `a, b, c`, for SELECT and INSERT.
    pub(crate) fn column_list(&self) -> String {
        self.columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
    }
}

/// One column's value on its way between backends (`None` is SQL's NULL).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Time(Option<OffsetDateTime>),
    Json(Option<serde_json::Value>),
}

impl Value {
    /// Reads a column of a row as the kind the table declares.
    pub(crate) fn read(
        row: &impl Row,
        column: &'static str,
        kind: Kind,
    ) -> Result<Value, StoreError> {
        Ok(match kind {
            Kind::Text => Value::Text(row.opt_text(column)?),
            Kind::Int => Value::Int(row.opt_int(column)?),
            Kind::Time => Value::Time(row.opt_time(column)?),
            Kind::Json => Value::Json(row.opt_json(column)?),
        })
    }
}

/// A row of `table`, column by column.
fn read_row(row: &impl Row, table: &Table) -> Result<Vec<Value>, StoreError> {
    table.columns.iter().map(|&(column, kind)| Value::read(row, column, kind)).collect()
}

/// The rows `sql` selects from `table`, as they come (either backend: only decoding differs).
pub(crate) fn stream_rows<'a, DB>(
    pool: &'a sqlx::Pool<DB>,
    sql: &'a str,
    table: &'static Table,
) -> BoxStream<'a, Result<Vec<Value>, StoreError>>
where
    DB: sqlx::Database,
    DB::Row: Row,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    sqlx::query(sql)
        .fetch(pool)
        .map(move |row| {
            read_row(&row.map_err(StoreError::database("reading rows to copy"))?, table)
        })
        .boxed()
}

/// The number of rows in `table`.
pub(crate) async fn count_rows<'e, DB, E>(db: E, table: &Table) -> Result<u64, StoreError>
where
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    (i64,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
        .fetch_one(db)
        .await
        .map_err(StoreError::database("counting rows"))?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{} has {n} rows", table.name)))
}

/// Checks that a database's tables and columns (without `schema_migrations`) are exactly those
/// this build copies: a table it did not know would be left behind.
pub(crate) fn check_tables_known(
    found: &[(String, String)],
    database: &str,
) -> Result<(), StoreError> {
    let mut known: Vec<(String, String)> = TABLES
        .iter()
        .flat_map(|t| t.columns.iter().map(|(c, _)| (t.name.to_owned(), (*c).to_owned())))
        .collect();
    let mut found: Vec<(String, String)> =
        found.iter().filter(|(t, _)| t != "schema_migrations").cloned().collect();
    known.sort();
    found.sort();
    if let Some((table, column)) = found.iter().find(|c| !known.contains(c)) {
        return Err(StoreError::Copy(format!(
            "the {database} database has the column {table}.{column}, which this beside does not \
             know how to copy"
        )));
    }
    if let Some((table, column)) = known.iter().find(|c| !found.contains(c)) {
        return Err(StoreError::Copy(format!(
            "the {database} database lacks the column {table}.{column}"
        )));
    }
    Ok(())
}

/// Rows are written in batches of this many (well under either backend's limit on bound values).
pub(crate) const BATCH_ROWS: usize = 200;

/// What a copy moved: rows per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

impl CopyReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}
