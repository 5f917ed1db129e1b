//! `/healthz` (alive), `/readyz` (can take sessions), `/metrics` (Prometheus; to allowed
//! addresses only, or on a listener of its own).

use crate::client::Client;
use crate::error::ApiError;
use crate::{AppState, ErrorCode, MetricsAccess};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(guarded_metrics))
}

/// `/metrics` for a listener of its own.
pub(crate) fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// The answer to `/healthz`: the process is alive.
#[derive(Serialize)]
struct Alive {
    status: &'static str,
}

async fn healthz() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// The answer to `/readyz`: whether this node can take sessions, and why not.
#[derive(Serialize)]
struct Readiness {
    /// `ready` or `not_ready`.
    status: &'static str,
    browser: bool,
    capacity: bool,
    database: bool,
    sessions_active: usize,
    sessions_waiting: usize,
    sessions_waiting_max: usize,
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let browser = state.0.registry.browser_healthy();
    let capacity = state.0.registry.has_capacity();
    let database = state.0.store.ping().await.is_ok();
    // Sessions waiting for an agent end by themselves within seconds when their customer
    // never comes, so a full waiting share (a flood of starts) does not make the node unready.
    let (n_waiting, max_waiting) = state.0.registry.n_waiting();
    let ready = browser && capacity && database;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        browser,
        capacity,
        database,
        sessions_active: state.0.registry.n_active(),
        sessions_waiting: n_waiting,
        sessions_waiting_max: max_waiting,
    };
    (status, Json(body))
}

/// A request allowed to read the metrics on the main listener.
struct MetricsReader;

impl FromRequestParts<AppState> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match &state.0.settings.metrics {
            MetricsAccess::OwnListener => {
                Err(ApiError::new(ErrorCode::NotFound, "metrics are served on their own address"))
            }
            MetricsAccess::Allow(ranges) => {
                let allowed = Client::of(parts, state).is_some_and(|c| ranges.contains(c.ip))
                    && !Client::via_untrusted_proxy(parts, state);
                if !allowed {
                    metrics::counter!("beside_requests_refused_total", "reason" => "metrics")
                        .increment(1);
                    return Err(ApiError::new(
                        ErrorCode::Forbidden,
                        "metrics are served to the addresses in server.metrics_allow only",
                    ));
                }
                Ok(MetricsReader)
            }
        }
    }
}

async fn guarded_metrics(_: MetricsReader, state: State<AppState>) -> impl IntoResponse {
    metrics(state).await
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.0.metrics.render())
}
