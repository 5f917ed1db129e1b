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
