//! The application state and the router.

use crate::limiter::{Backoff, Limiter};
use crate::{assets, routes, ws, Settings};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use session::Registry;
use std::net::IpAddr;
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
        }))
    }
}

/// The whole HTTP surface. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(routes::sessions::router())
        .merge(routes::auth::router())
        .merge(routes::companies::router())
        .merge(routes::rules::router())
        .merge(ws::router())
        .fallback(|| async {
            crate::error::ApiError::new(crate::ErrorCode::NotFound, "there is no such API route")
        })
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin));
    Router::new()
        .nest("/api/v1", api)
        .merge(routes::health::router())
        .merge(assets::router())
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .with_state(state)
}

/// `/metrics` alone, for a listener of its own (`server.metrics_listen`): whoever reaches that
/// address may read it.
pub fn metrics_router(state: AppState) -> Router {
    routes::health::metrics_router().with_state(state)
}

/// Refuses state-changing requests whose `Origin` is foreign (defence in depth beside
/// SameSite=Strict cookies). Requests without `Origin` (API clients) pass.
async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
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
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; \
                 connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        );
    }
    if state.0.settings.secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}
