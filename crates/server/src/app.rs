//! The application state and the router.

use crate::limiter::{Backoff, Limiter};
use crate::{assets, routes, Settings};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use session::Registry;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// Wrong passwords for one account from one address before each further attempt must wait
/// (1 s, doubling with each further failure).
const LOGIN_FREE_FAILURES: u32 = 5;
/// Wrong passwords from one address, whatever the accounts, before it must wait likewise.
const LOGIN_FREE_FAILURES_PER_ADDRESS: u32 = 30;
/// The longest wait, and how long failures are remembered.
const LOGIN_MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) registry: Registry,
    pub(crate) store: Store,
    pub(crate) settings: Settings,
    pub(crate) metrics: PrometheusHandle,
    /// Failed logins per account and client address together: wrong passwords from one
    /// address never hold up the right one from another.
    pub(crate) login_failures: Backoff<(String, IpAddr)>,
    /// Failed logins per client address, whatever the account (one address trying many).
    pub(crate) login_failures_by_address: Backoff<IpAddr>,
    /// Session starts per client address (each one costs a browser context).
    pub(crate) sessions_by_ip: Limiter<IpAddr>,
    /// Console links not yet opened (`routes::console`).
    pub(crate) handoffs: crate::handoff::Handoffs,
}

impl AppState {
    pub fn new(
        registry: Registry,
        store: Store,
        settings: Settings,
        metrics: PrometheusHandle,
    ) -> AppState {
        AppState(Arc::new(Inner {
            registry,
            store,
            settings,
            metrics,
            login_failures: Backoff::new(
                LOGIN_FREE_FAILURES,
                Duration::from_secs(1),
                LOGIN_MAX_DELAY,
                LOGIN_MAX_DELAY,
            ),
            login_failures_by_address: Backoff::new(
                LOGIN_FREE_FAILURES_PER_ADDRESS,
                Duration::from_secs(1),
                LOGIN_MAX_DELAY,
                LOGIN_MAX_DELAY,
            ),
            sessions_by_ip: Limiter::new(30, Duration::from_secs(60)),
            handoffs: Default::default(),
        }))
    }
}

/// The whole HTTP surface, served by [`crate::serve`].
pub(crate) fn router(state: AppState) -> Router {
    let (api, paths) = routes::api().split_for_parts();
    let openapi = crate::openapi::Served::new(&crate::openapi::document(paths));
    let api = api
        .fallback(|| async {
            crate::error::ApiError::new(crate::ErrorCode::NotFound, "there is no such API route")
        })
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::access::enforce))
        .layer(axum::Extension(openapi))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin));
    Router::new()
        .nest("/api/v1", api)
        .merge(routes::health::router())
        .merge(assets::router())
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), cloud_browser_demo_only))
        .with_state(state)
}

/// The demo shop alone, for the cloud browser's loopback listener while the main one speaks
/// HTTPS (`crate::serve_demo`).
pub(crate) fn demo_router(state: AppState) -> Router {
    assets::demo_router()
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .with_state(state)
}

/// What a page in the cloud browser sees when it tries one of beside's own pages.
const REFUSED_PAGE: &str = "<!doctype html><meta charset=\"utf-8\"><title>Blocked</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>&#x26D4;</h1>\
<p>beside blocked this address.</p></body>";

/// The cloud browser reaches beside's own port for the demo shop only: its pages must not open
/// the agent console, the API, or the metrics, by whatever name they reach this host.
async fn cloud_browser_demo_only(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let from_cloud_browser = peer.is_some_and(|p| state.0.registry.from_cloud_browser(p));
    if from_cloud_browser && !is_demo_path(req.uri().path()) {
        metrics::counter!("beside_requests_refused_total", "reason" => "cloud_browser")
            .increment(1);
        return (
            StatusCode::FORBIDDEN,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            REFUSED_PAGE,
        )
            .into_response();
    }
    next.run(req).await
}

/// `/demo` and what lies under `/demo/`, with no way out of it spelled in the path.
fn is_demo_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (path == "/demo" || path.starts_with("/demo/"))
        && !path.contains("..")
        && !path.contains('\\')
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !lower.contains("%5c")
}

/// `/metrics` alone, for a listener of its own (`server.metrics_listen`): whoever reaches that
/// address may read it.
pub(crate) fn metrics_router(state: AppState) -> Router {
    routes::health::metrics_router().with_state(state)
}

/// Refuses state-changing requests whose `Origin` is foreign (defence in depth beside
/// SameSite=Strict cookies). Requests without `Origin` (API clients) pass. The embed's routes
/// (`routes::embed`) check `Origin` against the company's embed origins themselves.
async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let embed = path.strip_prefix("/api/v1").unwrap_or(path).starts_with("/embed/");
    if !embed && req.method() != Method::GET && req.method() != Method::HEAD {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let ok = origin.to_str().is_ok_and(|o| state.0.settings.origin_allowed(o));
            if !ok {
                metrics::counter!("beside_requests_refused_total", "reason" => "origin")
                    .increment(1);
                return crate::error::ApiError::new(
                    crate::ErrorCode::ForbiddenOrigin,
                    "requests from this origin are not accepted",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_demo = req.uri().path().starts_with("/demo/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !is_demo {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // A response with a stricter policy of its own (an uploaded logo) keeps it.
        h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ));
    }
    if state.0.settings.secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::is_demo_path;

    #[test]
    fn the_demo_shop_and_nothing_else_is_a_demo_path() {
        for ok in ["/demo", "/demo/", "/demo/checkout.html", "/demo/shop.css"] {
            assert!(is_demo_path(ok), "{ok}");
        }
        for bad in [
            "/agent",
            "/metrics",
            "/api/v1/sessions",
            "/demo/../agent",
            "/demo/%2e%2e/agent",
            "/demo/%2E%2e/metrics",
            "/demo%2f..%2fagent",
            "/demo/..\\agent",
            "/demonstration",
            "/c/demo",
        ] {
            assert!(!is_demo_path(bad), "{bad}");
        }
    }
}
