//! `/healthz` (alive), `/readyz` (can take sessions), `/metrics` (Prometheus).

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let browser = state.0.registry.browser_healthy();
    let capacity = state.0.registry.has_capacity();
    let database = state.0.store.ping().await.is_ok();
    let ready = browser && capacity && database;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "browser": browser,
        "capacity": capacity,
        "database": database,
        "sessions_active": state.0.registry.n_active(),
    });
    (status, Json(body))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.0.metrics.render())
}
