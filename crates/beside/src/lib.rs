//! The composition root of beside: configuration, start-up and the CLI's commands.
//!
//! Architecture Invariant: this is the only crate that knows the command line, the TOML
//! configuration file and the `BESIDE_*` environment variables.

pub mod config;
pub mod datadir;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::App;

/// An error that is the user's to fix: a bad setting, an unreachable or misspelt database URL,
/// a database of a newer beside. `beside` exits with code 2 and this one line.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Wraps an error as a `UsageError`, its causes joined on one line.
pub fn usage(e: impl std::fmt::Display) -> anyhow::Error {
    UsageError(format!("{e:#}")).into()
}
