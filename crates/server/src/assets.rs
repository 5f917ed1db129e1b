//! The web UI and the demo shop, embedded in the binary and served as they are.

use crate::AppState;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
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
#[include = "embed/*"]
struct Web;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/agent") }))
        .route("/favicon.ico", get(|| async { file("shared/favicon.svg") }))
        .route("/c/{company}", get(|| async { file("customer/index.html") }))
        .route("/agent", get(|| async { file("agent/index.html") }))
        .route("/admin", get(|| async { file("admin/index.html") }))
        .route("/set-password", get(|| async { file("admin/set-password.html") }))
        .route("/embed.js", get(|q: Query<Versioned>, h: HeaderMap| async move {
            versioned("embed/embed.js", &q, &h)
        }))
        .route("/embed.css", get(|q: Query<Versioned>, h: HeaderMap| async move {
            versioned("embed/embed.css", &q, &h)
        }))
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

/// `?v=` of the embed's files: the version they were asked for.
#[derive(serde::Deserialize)]
pub(crate) struct Versioned {
    v: Option<String>,
}

/// The embed's files (`/embed.js`, `/embed.css`) for other sites: cached by browsers and
/// proxies, revalidated with their `ETag` (the version of both) after a few minutes; asked for
/// with the current version (`?v=`), kept for a year, since a new version has a new address.
fn versioned(path: &str, query: &Versioned, headers: &HeaderMap) -> Response {
    let version = embed_version();
    let etag = format!("\"{version}\"");
    let cache = if query.v.as_deref() == Some(version) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut res = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { file(path) };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    // Other sites load them: as a script and a stylesheet, never framed.
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    res
}

/// The version of the embed's files: the start of a SHA-256 over both.
pub(crate) fn embed_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        for path in ["embed/embed.js", "embed/embed.css"] {
            if let Some(f) = Web::get(path) {
                hash.update(&f.data);
            }
        }
        hex::encode(&hash.finalize()[..6])
    })
}

/// The languages of the catalogues; the embed speaks the page's, else English.
const LANGUAGES: &[&str] = &["en", "de", "nl", "pt", "es"];

/// The catalogue language for `asked` (`de`, `pt-BR`), English when it has none.
pub(crate) fn embed_language(asked: Option<&str>) -> &'static str {
    let primary = asked.unwrap_or("en").split('-').next().unwrap_or("en").to_ascii_lowercase();
    LANGUAGES.iter().copied().find(|l| *l == primary).unwrap_or("en")
}

/// The embed's words (`embed.*` of a catalogue) in `lang`, English where it lacks one.
pub(crate) fn embed_texts(lang: &str) -> std::collections::BTreeMap<String, String> {
    let read = |lang: &str| -> std::collections::BTreeMap<String, String> {
        Web::get(&format!("i18n/{lang}.json"))
            .and_then(|f| {
                serde_json::from_slice::<std::collections::BTreeMap<String, serde_json::Value>>(
                    &f.data,
                )
                .ok()
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| key.starts_with("embed."))
            .filter_map(|(key, value)| value.as_str().map(|v| (key, v.to_owned())))
            .collect()
    };
    let mut texts = read("en");
    texts.extend(read(lang));
    texts
}
