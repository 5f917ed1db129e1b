//! What can go wrong when reading or writing the store.
//!
//! Errors never carry a database URL's password: the URL appears only in its redacted form
//! (`DatabaseUrl`'s `Display`), and sqlx's own messages do not repeat the URL.

/// An error of the store; `Conflict` and `Invalid` are the caller's to show, `Unavailable`
/// means the database cannot be reached right now (worth trying again later), the others are
/// operational and carry their cause as the error source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record would duplicate a unique value (a company slug, an agent email).
    #[error("{0}")]
    Conflict(String),
    /// The input does not have the required shape; the message says what is expected.
    #[error("{0}")]
    Invalid(String),
    /// The record was changed by someone else since the caller read it (a version check).
    #[error("{0}")]
    Stale(String),
    /// The record to update does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A database URL that names no database beside can use.
    #[error("{0}")]
    InvalidUrl(String),
    /// Opening the database failed: unreachable, refused, unknown database, wrong password.
    #[error("cannot open the database {url}")]
    Connect {
        /// The URL without its password.
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the data directory {path}")]
    CreateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The connection to the database was lost or none could be had in time.
    #[error("the database cannot be reached while {context}")]
    Unavailable {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database error while {context}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply database migration {version} ({name})")]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database has schema version {found}, newer than this beside knows ({known}); \
         upgrade beside or point it at another database"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// A stored value cannot be read back: the database was edited by hand or is damaged.
    #[error("the database holds a value this beside cannot read: {0}")]
    Corrupt(String),
    /// `beside db copy` found something it must not copy over, or a copy that came out wrong.
    #[error("{0}")]
    Copy(String),
}

impl StoreError {
    /// Wraps a database error with what was being done when it happened: `Unavailable` when
    /// the connection is the problem, else `Database`.
    pub(crate) fn database(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| {
            if is_connection_error(&source) {
                StoreError::Unavailable { context, source }
            } else {
                StoreError::Database { context, source }
            }
        }
    }

    /// The database cannot be reached (the connection broke, none could be made in time, the
    /// server is shutting down): the request that needed it fails, and may succeed later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Another writer got in the way (SQLite's "database is locked", PostgreSQL's
    /// serialisation failures and deadlocks): nothing was written, and trying again is safe.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            StoreError::Database { source, .. } | StoreError::Migration { source, .. } => {
                is_transient_conflict(source)
            }
            _ => false,
        }
    }
}

/// The error says the connection is gone or cannot be had, rather than that a statement failed.
fn is_connection_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        // PostgreSQL: class 08 is "connection exception"; 57P01-57P03 are the server shutting
        // down or starting up; 53300 is "too many connections".
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .map(|pg| pg.code())
            .is_some_and(|code| {
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            }),
        _ => false,
    }
}

/// Conflicts reported at once, with nothing written, that a second try resolves:
/// PostgreSQL's serialisation failure (40001) and deadlock (40P01); SQLite's "database is
/// locked" of a transaction whose snapshot went stale (BUSY_SNAPSHOT, 517), of a database in
/// recovery (BUSY_RECOVERY, 261) and of a table locked within the process (LOCKED, 6 and its
/// extended codes). A plain SQLITE_BUSY (5) comes after the busy timeout (the statement
/// timeout) ran out: it is reported, not waited for again.
fn is_transient_conflict(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else { return false };
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return matches!(pg.code(), "40001" | "40P01");
    }
    if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        let code = sqlx::error::DatabaseError::code(sqlite)
            .and_then(|c| c.parse::<i32>().ok())
            .unwrap_or(0);
        return code == 517 || code == 261 || code & 0xff == 6;
    }
    false
}

/// Maps a failed write: a unique violation to `conflict()`, a foreign-key violation to
/// `missing()`, anything else as [`StoreError::database`] does.
pub(crate) fn write_error(
    context: &'static str,
    conflict: impl FnOnce() -> StoreError,
    missing: impl FnOnce() -> StoreError,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match e.as_database_error() {
        Some(db) if db.is_unique_violation() => conflict(),
        Some(db) if db.is_foreign_key_violation() => missing(),
        _ => StoreError::database(context)(e),
    }
}
