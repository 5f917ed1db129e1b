//! Migrating a PostgreSQL database. All pending migrations run in one transaction (PostgreSQL's
//! DDL is transactional: a failed migration leaves the schema as it was) under an advisory lock,
//! so two nodes starting at once apply each migration exactly once.

use sqlx::PgPool;

use crate::migrations::{check_known, migrations, Migration};
use crate::StoreError;

/// Every migration, in order. Append only: a released migration is never edited.
pub(crate) const MIGRATIONS: &[Migration] = migrations!["postgres":
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

/// The advisory lock beside's migrators take ("beside" in ASCII): only one migrates at a time.
const MIGRATION_LOCK: i64 = 0x6265_7369_6465;

/// Applies the migrations the database has not seen yet.
pub(crate) async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let context = "preparing to migrate the database";
    let mut tx = pool.begin().await.map_err(StoreError::database(context))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::database(context))?;
    // Looked up rather than CREATE TABLE IF NOT EXISTS, whose notice would be logged at each
    // start.
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::database(context))?;
    if !exists {
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (
                 version     BIGINT PRIMARY KEY,
                 name        TEXT NOT NULL,
                 applied_at  TIMESTAMPTZ NOT NULL
             )",
        )
        .execute(&mut *tx)
        .await
        .map_err(StoreError::database("creating the schema_migrations table"))?;
    }
    let found = version_in(&mut tx).await?;
    check_known(found, MIGRATIONS)?;
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let err = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.map_err(err)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(crate::row::now())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tracing::info!(
            message = "Applying database migration.",
            backend = "postgres",
            version = migration.version,
            name = migration.name
        );
    }
    tx.commit().await.map_err(StoreError::database("committing the migrations"))?;
    Ok(())
}

/// The highest migration applied, 0 for an empty database.
pub(crate) async fn schema_version(pool: &PgPool) -> Result<i64, StoreError> {
    let mut conn =
        pool.acquire().await.map_err(StoreError::database("reading the schema version"))?;
    version_in(&mut conn).await
}

async fn version_in(conn: &mut sqlx::PgConnection) -> Result<i64, StoreError> {
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(conn)
        .await
        .map_err(StoreError::database("reading the schema version"))?;
    Ok(version.unwrap_or(0))
}
