//! Contract tests of the store against real SQLite, in a temporary file and in memory.
//! One test binary for the crate (see STYLE.md, "tests at the boundaries").

#![allow(clippy::unwrap_used)]

mod audit;
mod companies_and_agents;
mod guidance;
mod logins;
mod migrations;
mod rules;
mod sessions;
mod support;
