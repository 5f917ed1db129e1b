//! The WebSocket of one participant: origin and ticket checks, then a reader that feeds the
//! session and a writer that sends its messages and its frames. What frames go, and when, is the
//! session's `ViewerStream`'s to say; this only moves bytes.

use crate::error::{ApiError, ErrorBody};
use crate::{AppState, ErrorCode};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use model::SessionId;
use protocol::{
    ClientMessage, RejectCode, ServerMessage, MAX_CLIENT_FRAME_BYTES, MAX_CLIENT_MESSAGE_BYTES,
};
use serde::Deserialize;
use session::{Next, Outgoing, SessionHandle, TicketError, TokenHolder, Viewer, ViewerStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A connection that sends nothing (not even the clients' 20 s ping) for this long is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TicketQuery {
    ticket: String,
    /// `1`: the client applies tiles (frames sent as their changes); any other value or none:
    /// whole frames only.
    tiles: Option<String>,
}

/// A participant's WebSocket: opened with a single-use ticket (`POST
/// /sessions/{id}/tickets`) and an `Origin` beside serves.
#[utoipa::path(
    get,
    path = "/sessions/{id}/ws",
    params(("id" = SessionId, Path, description = "The session's id."), TicketQuery),
    security(()),
    responses(
        (status = 101, description = "Switching to the WebSocket of the session (see docs/protocol.md)."),
        (status = 401, description = "`invalid_ticket`: unknown, used or expired", body = ErrorBody),
        (status = 403, description = "`forbidden_origin`: the `Origin` is not one beside serves", body = ErrorBody),
        (status = 404, description = "`not_found`: not a session id", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
    )
)]
async fn upgrade(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<TicketQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| state.0.settings.origin_allowed(o));
    if !origin_ok {
        metrics::counter!("beside_connections_refused_total", "reason" => "origin").increment(1);
        return Err(ApiError::new(
            ErrorCode::ForbiddenOrigin,
            "WebSocket connections from this origin are not accepted",
        ));
    }
    let id = SessionId::parse(&id)
        .map_err(|_| ApiError::new(ErrorCode::NotFound, "there is no such session"))?;
    let tiles = query.tiles.as_deref() == Some("1");
    let (handle, holder) =
        state.0.registry.redeem_ticket(&id, &query.ticket).await.map_err(|e| {
            metrics::counter!("beside_connections_refused_total", "reason" => "ticket")
                .increment(1);
            match e {
                TicketError::SessionEnded => {
                    ApiError::new(ErrorCode::SessionEnded, "this session has ended")
                }
                _ => ApiError::new(
                    ErrorCode::InvalidTicket,
                    "the ticket is unknown, used or expired",
                ),
            }
        })?;
    // Messages up to the frame limit are read, so that one too large for the protocol is
    // refused with a code and the connection stays open; beyond it the connection closes.
    Ok(ws
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| serve(socket, handle, holder, tiles)))
}

async fn serve(socket: WebSocket, handle: SessionHandle, holder: TokenHolder, tiles: bool) {
    let Some(viewer) = handle.connect(&holder.participant).await else {
        let mut socket = socket;
        let ended = ServerMessage::Ended { reason: protocol::EndReason::ServerShutdown, by: None };
        let _ = socket.send(Message::Text(ended.to_json().into())).await;
        return;
    };
    metrics::gauge!("beside_connections_active").increment(1.0);
    let connection = viewer.connection;
    let (sink, mut stream) = socket.split();
    let (reply_tx, reply_rx) = mpsc::channel::<ServerMessage>(16);
    let acks = Arc::new(Acks::default());
    let writer = tokio::spawn(write(sink, viewer, reply_rx, acks.clone(), tiles));
    let mut writer = writer;
    loop {
        let next = tokio::select! {
            res = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => res,
            // The writer ends when the session ends or replaces this connection.
            _ = &mut writer => break,
        };
        let msg = match next {
            Err(_) => {
                tracing::info!(session_id = %holder.session, "A silent connection was closed.");
                break;
            }
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => break,
            Ok(Some(Ok(msg))) => msg,
        };
        match msg {
            Message::Text(text) if text.len() > MAX_CLIENT_MESSAGE_BYTES => {
                metrics::counter!("beside_messages_rejected_total", "reason" => "too_large")
                    .increment(1);
                let reply = ServerMessage::Error {
                    code: RejectCode::MessageTooLarge,
                    message: format!(
                        "a message may have at most {MAX_CLIENT_MESSAGE_BYTES} bytes; this one \
                         had {}",
                        text.len()
                    ),
                };
                let _ = reply_tx.try_send(reply);
            }
            Message::Text(text) => match protocol::parse_client_message(&text) {
                // Only this connection's writer cares which frames its client has shown.
                Ok(ClientMessage::Ack { seq }) => acks.shown(seq),
                Ok(m) => handle.client_message(&holder.participant, connection, m).await,
                Err(e) => {
                    metrics::counter!("beside_messages_rejected_total", "reason" => "malformed")
                        .increment(1);
                    let reply = ServerMessage::Error {
                        code: RejectCode::InvalidMessage,
                        message: format!("the message was not understood: {e}"),
                    };
                    let _ = reply_tx.try_send(reply);
                }
            },
            Message::Binary(_) => {
                let reply = ServerMessage::Error {
                    code: RejectCode::InvalidMessage,
                    message: "binary messages are not accepted".into(),
                };
                let _ = reply_tx.try_send(reply);
            }
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => break,
        }
    }
    drop(reply_tx);
    handle.disconnect(&holder.participant, connection).await;
    metrics::gauge!("beside_connections_active").decrement(1.0);
}

/// The newest frame a connection's client says it has shown, from its reader to its writer.
#[derive(Default)]
struct Acks {
    seq: AtomicU64,
    changed: Notify,
}

impl Acks {
    fn shown(&self, seq: u64) {
        self.seq.fetch_max(seq, Ordering::Relaxed);
        self.changed.notify_one();
    }
}

/// What the writer sends next.
enum Outbound {
    Text(String),
    Frame(Outgoing),
}

/// Moves a connection's messages and frames to its socket; its frames come from a
/// [`ViewerStream`], which decides what goes and when.
async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    viewer: Viewer,
    mut replies: mpsc::Receiver<ServerMessage>,
    acks: Arc<Acks>,
    tiles: bool,
) {
    let mut outbox = viewer.outbox;
    let mut stream = ViewerStream::new(viewer.frames, tiles, Instant::now());
    // What the viewer shows, finer, once the link has room for it.
    let mut again: Option<Outgoing> = None;
    loop {
        let may_send = stream.may_send(Instant::now());
        let wake = stream.wake_at(may_send).map(tokio::time::Instant::from_std);
        let next = match again.take() {
            Some(out) => Outbound::Frame(out),
            None => tokio::select! {
                biased;
                m = outbox.recv() => match m {
                    Some(m) => {
                        if m == (ServerMessage::Paused { paused: true }) {
                            // From here on this viewer gets no frame, not even the last one
                            // again when the link gets room.
                            stream.forget_latest();
                        }
                        Outbound::Text(m.to_json())
                    }
                    None => break,
                },
                Some(m) = replies.recv() => Outbound::Text(m.to_json()),
                () = acks.changed.notified() => {
                    stream.on_ack(acks.seq.load(Ordering::Relaxed), Instant::now());
                    continue;
                }
                next = stream.next_frame(), if may_send => match next {
                    Next::Send(out) => Outbound::Frame(out),
                    Next::Unchanged => continue,
                    Next::Ended => break,
                },
                () = sleep_until_some(wake) => match stream.on_wake(Instant::now()) {
                    Some(out) => Outbound::Frame(out),
                    None => continue,
                },
            },
        };
        let (msg, seq) = match next {
            Outbound::Text(text) => (Message::Text(text.into()), None),
            Outbound::Frame(out) => {
                let seq = out.seq();
                let Some(bytes) = encode(out).await else { break };
                (Message::Binary(bytes.into()), Some(seq))
            }
        };
        let started = Instant::now();
        if sink.send(msg).await.is_err() {
            return;
        }
        again = stream.on_sent(seq, started, Instant::now());
    }
    let close = CloseFrame { code: axum::extract::ws::close_code::NORMAL, reason: "".into() };
    let _ = sink.send(Message::Close(Some(close))).await;
}

/// A frame message's bytes; requantising (a few ms for a 720p frame) runs off the async
/// threads. `None` when the runtime is shutting down.
async fn encode(out: Outgoing) -> Option<Vec<u8>> {
    if out.is_heavy() {
        tokio::task::spawn_blocking(move || out.encode()).await.ok()
    } else {
        Some(out.encode())
    }
}

/// Sleeps until `at`; never wakes when there is no `at`.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
