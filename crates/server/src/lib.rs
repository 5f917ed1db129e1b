//! The edge of beside: HTTP routes, WebSocket transport, authentication, the error
//! vocabulary, and the embedded web UI.
//!
//! Architecture Invariant: this is the only crate that knows HTTP, cookies, JSON error
//! bodies and axum. It holds no session state of its own; it asks `session::Registry`.

pub mod access;
pub mod accounts;
mod app;
mod assets;
mod auth;
mod client;
mod error;
mod handoff;
mod limiter;
mod multipart;
mod openapi;
pub mod password;
mod routes;
mod serve;
mod settings;
mod tls;
pub mod webhooks;
mod ws;

pub use app::AppState;
use app::{demo_router, metrics_router, router};
pub use error::ErrorCode;
pub use serve::{serve, serve_demo, serve_metrics, serve_redirect};
pub use settings::{MetricsAccess, Settings};
pub use tls::{Tls, TlsError, TlsFiles};
