//! Which database to open: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
//!
//! A `DatabaseUrl` prints without its password (`postgres://beside:***@db:5432/beside`), so it
//! can go into logs and error messages; the URL itself is read only where a connection is made.

use std::path::{Path, PathBuf};

use crate::StoreError;

/// A parsed database URL. `Display` and `Debug` show it without a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(Kind);

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    /// The SQLite database file (created with its directory when missing).
    Sqlite(PathBuf),
    /// The URL as given (it may hold the password) and its redacted form.
    Postgres { url: String, redacted: String },
}

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

const EXPECTED: &str =
    "expected sqlite://PATH (e.g. sqlite:///var/lib/beside/beside.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE";

impl DatabaseUrl {
    /// Parses a URL; the error names the problem without repeating a password.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, StoreError> {
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| {
            StoreError::InvalidUrl(format!("the database URL is not a URL; {EXPECTED}"))
        })?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                // sqlite://relative/path and sqlite:///absolute/path, with no query options:
                // beside sets the pragmas it relies on itself.
                let path = rest.split_once('?').map_or(rest, |(path, _)| path);
                if path.is_empty() {
                    return Err(StoreError::InvalidUrl(format!(
                        "the database URL sqlite:// names no file; {EXPECTED}"
                    )));
                }
                if path == ":memory:" {
                    return Err(StoreError::InvalidUrl(
                        "an in-memory SQLite database would lose everything when beside stops; \
                         name a file, e.g. sqlite:///var/lib/beside/beside.db"
                            .to_owned(),
                    ));
                }
                Ok(DatabaseUrl(Kind::Sqlite(PathBuf::from(path))))
            }
            "postgres" | "postgresql" => {
                let parsed = url::Url::parse(raw).map_err(|e| {
                    StoreError::InvalidUrl(format!(
                        "the database URL {scheme}://… cannot be read ({e}); {EXPECTED}"
                    ))
                })?;
                let redacted = redact(&parsed);
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(StoreError::InvalidUrl(format!(
                        "the database URL {redacted} names no host; {EXPECTED}"
                    )));
                }
                if parsed.path().trim_start_matches('/').is_empty() {
                    return Err(StoreError::InvalidUrl(format!(
                        "the database URL {redacted} names no database; {EXPECTED}"
                    )));
                }
                Ok(DatabaseUrl(Kind::Postgres { url: raw.to_owned(), redacted }))
            }
            _ => Err(StoreError::InvalidUrl(format!(
                "the database URL scheme `{}` is not known; {EXPECTED}",
                scheme.chars().take(20).collect::<String>().escape_debug()
            ))),
        }
    }

    /// The SQLite database at `path`.
    pub fn sqlite(path: impl Into<PathBuf>) -> DatabaseUrl {
        DatabaseUrl(Kind::Sqlite(path.into()))
    }

    pub fn backend(&self) -> Backend {
        match &self.0 {
            Kind::Sqlite(_) => Backend::Sqlite,
            Kind::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The SQLite file, for a SQLite URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.0 {
            Kind::Sqlite(path) => Some(path),
            Kind::Postgres { .. } => None,
        }
    }

    /// The URL with its password, for connecting. Keep the call sites few.
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        match &self.0 {
            Kind::Sqlite(_) => None,
            Kind::Postgres { url, .. } => Some(url),
        }
    }

    /// The URL with its password, to hand to another process (a test server, a copy target).
    /// Every call is a place it may leak.
    pub fn expose(&self) -> String {
        match &self.0 {
            Kind::Sqlite(path) => format!("sqlite://{}", path.display()),
            Kind::Postgres { url, .. } => url.clone(),
        }
    }
}

/// The URL with `***` for its password (and nothing else changed).
fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only URLs that cannot have a password (no host) refuse; those have none.
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Kind::Postgres { redacted, .. } => f.write_str(redacted),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_file() {
        let url = DatabaseUrl::parse("sqlite:///var/lib/beside/beside.db").unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.sqlite_path(), Some(Path::new("/var/lib/beside/beside.db")));
        let relative = DatabaseUrl::parse("sqlite://data/beside.db?mode=rwc").unwrap();
        assert_eq!(relative.sqlite_path(), Some(Path::new("data/beside.db")));
        assert_eq!(relative.to_string(), "sqlite://data/beside.db");
        for bad in ["sqlite://", "sqlite://:memory:"] {
            assert!(matches!(DatabaseUrl::parse(bad), Err(StoreError::InvalidUrl(_))), "{bad}");
        }
    }

    #[test]
    fn postgres_urls_print_without_their_password() {
        let url = DatabaseUrl::parse("postgres://beside:s3cret@db.internal:5433/beside").unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(url.to_string(), "postgres://beside:***@db.internal:5433/beside");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.postgres_url(), Some("postgres://beside:s3cret@db.internal:5433/beside"));
        let no_password = DatabaseUrl::parse("postgresql://beside@db/beside").unwrap();
        assert_eq!(no_password.to_string(), "postgresql://beside@db/beside");
    }

    #[test]
    fn misspelt_urls_are_refused_without_their_password() {
        for bad in [
            "postgress://beside:s3cret@db/beside",
            "mysql://beside:s3cret@db/beside",
            "beside:s3cret@db/beside",
            "postgres://beside:s3cret@/beside",
            "postgres://beside:s3cret@db",
            "postgres://beside:s3cret@db:99999/beside",
            "",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, StoreError::InvalidUrl(_)), "{bad}: {err:?}");
            assert!(!text.contains("s3cret"), "{bad}: {text}");
            assert!(!text.contains('\n'), "{bad}: {text}");
            assert!(text.contains("postgres://USER"), "{bad}: {text}");
        }
    }
}
