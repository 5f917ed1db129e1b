//! Serving the routes on a listener: every connection is tuned for frames, every request runs in
//! its own span, and a shutdown lets open requests finish.

use crate::{metrics_router, router, AppState};
use axum::extract::Request;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Unsent bytes a connection's kernel buffer holds at most (`TCP_NOTSENT_LOWAT`): about one
/// 720p frame.
const UNSENT_BYTES: u32 = 128 * 1024;

/// Serves `state`'s routes on `listener` until `shutdown` completes, then until the open
/// connections are done.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router(state)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .into_make_service_with_connect_info::<SocketAddr>();
    // Frames and cursor messages are small and latency-bound: no Nagle delay behind them.
    // And little unsent data waits in the kernel: a viewer whose link is slower than its
    // frames holds up its connection's writer after about a frame instead of after
    // megabytes (seconds of old frames), so it gets the newest frame next (latest wins)
    // and its link is found slow at once (frames go coarser, `policy::link`).
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "Could not set TCP_NODELAY on a connection.");
        }
        let socket = socket2::SockRef::from(&*stream);
        if let Err(error) = socket.set_tcp_notsent_lowat(UNSENT_BYTES) {
            tracing::debug!(%error, "Could not set TCP_NOTSENT_LOWAT on a connection.");
        }
    });
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
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
