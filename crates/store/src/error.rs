//! What can go wrong when reading or writing the store.

/// An error of the store; `Conflict` and `Invalid` are the caller's to show, the others are
/// operational and carry their cause as the error source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record would duplicate a unique value (a company slug, an agent email).
    #[error("{0}")]
    Conflict(String),
    /// The input does not have the required shape; the message says what is expected.
    #[error("{0}")]
    Invalid(String),
    /// The record to update does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error("cannot create the data directory {path}")]
    CreateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
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
         upgrade beside or point it at another data directory"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// A stored value cannot be read back: the database was edited by hand or is damaged.
    #[error("the database holds a value this beside cannot read: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Wraps a database error with what was being done when it happened.
    pub(crate) fn database(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { context, source }
    }
}
