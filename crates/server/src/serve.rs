//! Serving the routes on a listener: every connection is tuned for frames, every request runs in
//! its own span, and a shutdown lets open requests finish.

use crate::tls::{Tls, TlsListener};
use crate::{demo_router, metrics_router, router, AppState};
use axum::extract::Request;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tower_http::trace::TraceLayer;

/// Unsent bytes a connection's kernel buffer holds at most (`TCP_NOTSENT_LOWAT`): about one
/// 720p frame.
const UNSENT_BYTES: u32 = 128 * 1024;

/// Serves `state`'s routes on `listener` until `shutdown` completes, then until the open
/// connections are done: plain HTTP, or HTTPS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Tls>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router(state)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        // `tap_io` for its `ConnectInfo<SocketAddr>`: the client's address, as over plain HTTP.
        Some(tls) => {
            let listener = TlsListener::new(listener, tls).tap_io(|_| {});
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await
        }
        None => {
            let listener = listener.tap_io(|stream| tune(stream));
            axum::serve(listener, service).with_graceful_shutdown(shutdown).await
        }
    }
}

/// Frames and cursor messages are small and latency-bound: no Nagle delay behind them. And
/// little unsent data waits in the kernel: a viewer whose link is slower than its frames holds
/// up its connection's writer after about a frame instead of after megabytes (seconds of old
/// frames), so it gets the newest frame next (latest wins) and its link is found slow at once
/// (frames go coarser, `policy::link`).
pub(crate) fn tune(stream: &TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "Could not set TCP_NODELAY on a connection.");
    }
    let socket = socket2::SockRef::from(stream);
    if let Err(error) = socket.set_tcp_notsent_lowat(UNSENT_BYTES) {
        tracing::debug!(%error, "Could not set TCP_NOTSENT_LOWAT on a connection.");
    }
}

/// After a failed `accept`: a client that gave up is nothing; anything else (out of file
/// descriptors) is told and waited out, as axum's own listener does.
pub(crate) async fn after_accept_error(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "Could not accept a connection; trying again in a second.");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// A request's span: its method and path. Never its query, which carries connection tickets.
fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

/// Serves `/metrics` alone on `listener` (`server.metrics_listen`): whoever reaches that address
/// may read it. Runs until dropped.
pub async fn serve_metrics(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let service = metrics_router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await
}

/// Serves the demo shop alone, over plain HTTP, on a loopback `listener` of its own: the cloud
/// browser's way to it while the main listener speaks HTTPS with a certificate for the public
/// name. Runs until dropped.
pub async fn serve_demo(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let service = demo_router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await
}

/// Answers every request on `listener` (`tls.redirect_listen`) with a permanent redirect to
/// the same path over HTTPS on `https_port`, and nothing else. Runs until dropped.
pub async fn serve_redirect(listener: TcpListener, https_port: u16) -> std::io::Result<()> {
    let app =
        axum::Router::new().fallback(move |headers: axum::http::HeaderMap, uri: Uri| async move {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            match host.and_then(|h| https_address(h, https_port, &uri)) {
                Some(target) => Redirect::permanent(&target).into_response(),
                None => bad_host(),
            }
        });
    axum::serve(listener, app).await
}

fn bad_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This address serves HTTPS only; the request names no valid host to send you to.",
    )
        .into_response()
}

/// `https://<host>[:port]<path?query>` for a request to `host` (a `Host` header, its port
/// dropped); `None` when it is not a host name or address.
fn https_address(host: &str, https_port: u16, uri: &Uri) -> Option<String> {
    let parsed = url::Url::parse(&format!("http://{host}/")).ok()?;
    if parsed.username() != "" || parsed.password().is_some() || parsed.path() != "/" {
        return None;
    }
    let name = parsed.host_str()?;
    let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    Some(format!("https://{name}{port}{path}"))
}

#[cfg(test)]
mod tests {
    use super::https_address;

    #[test]
    fn plain_requests_go_to_the_same_place_over_https() {
        let uri = |s: &str| s.parse().unwrap();
        assert_eq!(
            https_address("cobrowse.example.com", 443, &uri("/agent?pin=123")).as_deref(),
            Some("https://cobrowse.example.com/agent?pin=123")
        );
        assert_eq!(
            https_address("127.0.0.1:8080", 8443, &uri("/c/acme")).as_deref(),
            Some("https://127.0.0.1:8443/c/acme")
        );
        assert_eq!(
            https_address("[::1]:80", 8443, &uri("/")).as_deref(),
            Some("https://[::1]:8443/")
        );
        for bad in ["", "evil.example/path", "user@evil.example", "a b", "evil.example:99999"] {
            assert_eq!(https_address(bad, 443, &uri("/")), None, "{bad}");
        }
    }
}
