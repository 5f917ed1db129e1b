//! Contract tests of the store: one set of tests, each run against SQLite (a temporary file)
//! and against PostgreSQL (a fresh database in a private server this test binary starts from
//! Debian's `postgresql` package). One test binary for the crate (see STYLE.md).

#![allow(clippy::unwrap_used)]

mod support;

mod agent_accounts;
mod api_tokens;
mod audit;
mod companies_and_agents;
mod company_settings;
mod concurrency;
mod copy;
mod drafts;
mod guidance;
mod logins;
mod migrations;
mod outage;
mod reports;
mod rules;
mod sessions;
mod times;
mod webhooks;
