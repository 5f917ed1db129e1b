//! The web UI and the demo shop, embedded in the binary and served as they are.

use crate::AppState;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/"]
#[include = "shared/*"]
#[include = "customer/*"]
#[include = "agent/*"]
#[include = "i18n/*"]
#[include = "demo/*"]
struct Web;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/agent") }))
        .route("/favicon.ico", get(|| async { file("shared/favicon.svg") }))
        .route("/c/{company}", get(|| async { file("customer/index.html") }))
        .route("/agent", get(|| async { file("agent/index.html") }))
        .route("/assets/{*path}", get(|Path(path): Path<String>| async move { file(&path) }))
        .route("/demo", get(|| async { Redirect::to("/demo/") }))
        .route("/demo/", get(|| async { file("demo/index.html") }))
        .route(
            "/demo/{*path}",
            get(|Path(path): Path<String>| async move { file(&format!("demo/{path}")) }),
        )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn file(path: &str) -> Response {
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match Web::get(path) {
        Some(f) => (
            [(header::CONTENT_TYPE, content_type(path)), (header::CACHE_CONTROL, "no-cache")],
            f.data.into_owned(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response(),
    }
}
