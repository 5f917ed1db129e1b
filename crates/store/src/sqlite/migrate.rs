//! A small migrator: numbered SQL files applied in order, each in its own write transaction,
//! recorded in `schema_migrations`. Opening a database twice, or from two processes (the CLI
//! next to a running server), applies each migration exactly once.

use sqlx::SqlitePool;

use crate::StoreError;

/// One schema step; `version` is the number in the file name.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "company_rules",
        sql: include_str!("../../migrations/sqlite/0002_company_rules.sql"),
    },
    Migration {
        version: 3,
        name: "rules_version",
        sql: include_str!("../../migrations/sqlite/0003_rules_version.sql"),
    },
    Migration {
        version: 4,
        name: "guidance",
        sql: include_str!("../../migrations/sqlite/0004_guidance.sql"),
    },
];

/// The schema version this build of beside writes.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

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

    let found = schema_version(pool).await?;
    if found > latest_version() {
        return Err(StoreError::SchemaTooNew { found, known: latest_version() });
    }

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
            .bind(super::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        tracing::info!(
            message = "Applied database migration.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for (idx, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, idx as i64 + 1, "{}", m.name);
            assert!(!m.sql.trim().is_empty());
        }
        assert_eq!(latest_version(), MIGRATIONS.len() as i64);
    }
}
