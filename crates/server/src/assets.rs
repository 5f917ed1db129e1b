//! The web UI and the demo shop, embedded in the binary and served as they are.

use crate::AppState;
use axum::extract::Path;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/"]
#[include = "shared/*"]
#[include = "customer/*"]
#[include = "agent/*"]
#[include = "admin/*"]
#[include = "i18n/*"]
#[include = "demo/*"]
struct Web;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/agent") }))
        .route("/favicon.ico", get(|| async { file("shared/favicon.svg") }))
        .route("/c/{company}", get(|| async { file("customer/index.html") }))
        .route("/agent", get(|| async { file("agent/index.html") }))
        .route("/admin", get(|| async { file("admin/index.html") }))
        .route("/set-password", get(|| async { file("admin/set-password.html") }))
        .route("/assets/{*path}", get(|Path(path): Path<String>| async move { file(&path) }))
        .merge(demo_router())
        .fallback(not_found)
}

/// The demo shop alone.
pub(crate) fn demo_router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(|| async { Redirect::to("/demo/") }))
        .route("/demo/", get(|| async { file("demo/index.html") }))
        .route(
            "/demo/{*path}",
            get(|Path(path): Path<String>| async move { file(&format!("demo/{path}")) }),
        )
}

/// What no route answers: a page address with a trailing slash (`/agent/`, `/c/acme/`) goes to
/// the address without it; anything else is a plain 404.
async fn not_found(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    if (method == Method::GET || method == Method::HEAD) && !trimmed.is_empty() && trimmed != path {
        // Only the path's own characters: "//evil.example/" trimmed must not become a
        // scheme-relative address that leaves this site.
        if !trimmed.starts_with("//") {
            let target = match uri.query() {
                Some(query) => format!("{trimmed}?{query}"),
                None => trimmed.to_owned(),
            };
            return Redirect::permanent(&target).into_response();
        }
    }
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found")
        .into_response()
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
