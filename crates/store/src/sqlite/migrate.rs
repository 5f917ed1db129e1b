//! Migrating a SQLite database. Opening a database twice, or from two processes (the CLI next
//! to a running server), applies each migration exactly once: each one runs in a transaction
//! that takes the write lock before it looks.

use sqlx::SqlitePool;

use crate::migrations::{check_known, migrations, Migration};
use crate::StoreError;

/// Every migration, in order. Append only: a released migration is never edited.
pub(crate) const MIGRATIONS: &[Migration] = migrations!["sqlite":
    1 "init" "0001_init.sql",
    2 "company_rules" "0002_company_rules.sql",
    3 "rules_version" "0003_rules_version.sql",
    4 "guidance" "0004_guidance.sql",
    5 "start_tokens" "0005_start_tokens.sql",
    6 "agent_accounts" "0006_agent_accounts.sql",
    7 "pdf_view" "0007_pdf_view.sql",
    8 "rule_drafts" "0008_rule_drafts.sql",
    9 "company_settings" "0009_company_settings.sql",
    10 "webhooks" "0010_webhooks.sql",
    11 "embed" "0011_embed.sql",
    12 "api_tokens" "0012_api_tokens.sql",
];

/// Applies the migrations the database has not seen yet.
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     INTEGER PRIMARY KEY NOT NULL,
             name        TEXT NOT NULL,
             applied_at  INTEGER NOT NULL
         )",
    )
    .execute(pool)
    .await
    .map_err(StoreError::database("creating the schema_migrations table"))?;
    check_known(schema_version(pool).await?, MIGRATIONS)?;

    for migration in MIGRATIONS {
        let err = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        // IMMEDIATE takes the write lock before reading, so a second process waits (busy
        // timeout) and then sees the migration as applied instead of applying it again.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(err)?;
        if applied.is_some() {
            continue;
        }
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.map_err(err)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(super::ms(crate::row::now()))
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        tracing::info!(
            message = "Applied database migration.",
            backend = "sqlite",
            version = migration.version,
            name = migration.name
        );
    }
    Ok(())
}

/// The highest migration applied, 0 for an empty database.
pub(crate) async fn schema_version(pool: &SqlitePool) -> Result<i64, StoreError> {
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(pool)
        .await
        .map_err(StoreError::database("reading the schema version"))?;
    Ok(version.unwrap_or(0))
}
