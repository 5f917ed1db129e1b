//! Schema migrations: numbered SQL files per backend (`migrations/sqlite/`,
//! `migrations/postgres/`), applied in order, each in its own transaction, recorded in
//! `schema_migrations`. Every version exists in both folders under the same name, so a schema
//! version means the same tables on either backend (and `beside db copy` can move between them).

use crate::StoreError;

/// One schema step; `version` is the number in the file name.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// Declares a backend's migrations from its folder, for a module two levels below the crate
/// root: `migrations!["sqlite": 1 "init" "0001_init.sql", …]`.
macro_rules! migrations {
    ($backend:literal: $($version:literal $name:literal $file:literal),* $(,)?) => {
        &[$(crate::migrations::Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../migrations/", $backend, "/", $file)),
        }),*]
    };
}
pub(crate) use migrations;

/// The schema version a list of migrations brings a database to.
pub(crate) fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// A database this build can migrate: not from a newer beside.
pub(crate) fn check_known(found: i64, migrations: &[Migration]) -> Result<(), StoreError> {
    let known = latest(migrations);
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_have_the_same_migrations_numbered_from_one() {
        let sqlite = crate::sqlite::MIGRATIONS;
        let postgres = crate::postgres::MIGRATIONS;
        assert_eq!(sqlite.len(), postgres.len(), "a migration is missing from one folder");
        for (idx, (s, p)) in sqlite.iter().zip(postgres).enumerate() {
            assert_eq!(s.version, idx as i64 + 1, "{}", s.name);
            assert_eq!((s.version, s.name), (p.version, p.name));
            assert!(!s.sql.trim().is_empty() && !p.sql.trim().is_empty(), "{}", s.name);
        }
    }
}
