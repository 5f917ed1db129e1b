//! Black-box tests of beside: the real server on port 0, a fresh SQLite database, and the
//! real Chromium, driven over HTTP and WebSocket the way the web clients do.

// Test helpers are `pub` for use across test modules, and tests may unwrap.
#![allow(unreachable_pub, clippy::unwrap_used)]

mod support;

mod agents;
mod api_docs;
mod auth;
mod authorisation;
mod blocking;
mod cli;
mod company;
mod console_links;
mod database;
mod dialogs;
mod egress;
mod embed;
mod files;
mod flood;
mod guidance;
mod masking;
mod openapi;
mod pdf;
mod picker;
mod pin;
mod privilege;
mod reconnect;
mod recordings;
mod reports;
mod rules;
mod sessions;
mod signed_start;
mod stall;
mod start;
mod tiles;
mod tls;
mod tokens;
mod touch;
mod webhooks;
