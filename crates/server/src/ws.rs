//! The WebSocket of one participant: origin and ticket checks, then a reader that feeds
//! the session and a writer that sends its messages and the latest frame.

use crate::error::ApiError;
use crate::{AppState, ErrorCode};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use model::{Role, SessionId};
use policy::link::{Change, LinkQuality};
use protocol::{FrameHeader, ServerMessage, TileHeader, MAX_CLIENT_MESSAGE_BYTES};
use serde::Deserialize;
use session::{RawFrameView, SessionHandle, TicketError, TokenHolder, Viewer};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A connection that sends nothing (not even the clients' 20 s ping) for this long is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/sessions/{id}/ws", get(upgrade))
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: String,
    /// `1`: the client applies tiles (frames sent as their changes); any other value or none:
    /// whole frames only.
    tiles: Option<String>,
}

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
    let (handle, holder) = state.0.registry.redeem_ticket(&id, &query.ticket).map_err(|e| {
        metrics::counter!("beside_connections_refused_total", "reason" => "ticket").increment(1);
        match e {
            TicketError::SessionEnded => {
                ApiError::new(ErrorCode::SessionEnded, "this session has ended")
            }
            _ => ApiError::new(ErrorCode::InvalidTicket, "the ticket is unknown, used or expired"),
        }
    })?;
    Ok(ws
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(socket, handle, holder, tiles)))
}

async fn serve(socket: WebSocket, handle: SessionHandle, holder: TokenHolder, tiles: bool) {
    let Some(viewer) = handle.connect(&holder.participant).await else {
        let mut socket = socket;
        let ended = ServerMessage::Ended { reason: protocol::EndReason::ServerShutdown };
        let _ = socket.send(Message::Text(ended.to_json().into())).await;
        return;
    };
    metrics::gauge!("beside_connections_active").increment(1.0);
    let connection = viewer.connection;
    let (sink, mut stream) = socket.split();
    let (reply_tx, reply_rx) = mpsc::channel::<ServerMessage>(16);
    let writer = tokio::spawn(write(sink, viewer, reply_rx, holder.role, tiles));
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
            Message::Text(text) => match protocol::parse_client_message(&text) {
                Ok(m) => handle.client_message(&holder.participant, connection, m).await,
                Err(e) => {
                    metrics::counter!("beside_messages_rejected_total", "reason" => "malformed")
                        .increment(1);
                    let reply = ServerMessage::Error {
                        code: "invalid_message".into(),
                        message: format!("the message was not understood: {e}"),
                    };
                    let _ = reply_tx.try_send(reply);
                }
            },
            Message::Binary(_) => {
                let reply = ServerMessage::Error {
                    code: "invalid_message".into(),
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

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut viewer: Viewer,
    mut replies: mpsc::Receiver<ServerMessage>,
    role: Role,
    tiles: bool,
) {
    let mut frames = FrameWriter::new(role, tiles);
    // How good a picture this viewer's link carries, from how long each message waits to be
    // handed over; checked while the frames go coarser, so they get finer on a still page too.
    let mut link = LinkQuality::new(Instant::now());
    let mut check_link = tokio::time::interval(policy::link::WINDOW);
    check_link.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // What the viewer shows, finer, once the link has room for it.
    let mut queued: Option<Message> = None;
    loop {
        let msg = if let Some(msg) = queued.take() {
            msg
        } else {
            tokio::select! {
                biased;
                m = viewer.outbox.recv() => match m {
                    Some(m) => Message::Text(m.to_json().into()),
                    None => break,
                },
                Some(m) = replies.recv() => Message::Text(m.to_json().into()),
                f = viewer.frames.next() => match f {
                    Some(view) => match frames.message(view, link.quality()).await {
                        Some(bytes) => Message::Binary(bytes.into()),
                        None => continue,
                    },
                    None => break,
                },
                _ = check_link.tick(), if link.is_reduced() => {
                    if link.idle(Instant::now()) != Change::Finer {
                        continue;
                    }
                    quality_changed(role, "finer");
                    match frames.again(link.quality()).await {
                        Some(bytes) => Message::Binary(bytes.into()),
                        None => continue,
                    }
                }
            }
        };
        let started = Instant::now();
        if sink.send(msg).await.is_err() {
            return;
        }
        let now = Instant::now();
        match link.sent(now, now.duration_since(started)) {
            Change::Same => {}
            Change::Coarser => quality_changed(role, "coarser"),
            Change::Finer => {
                quality_changed(role, "finer");
                queued =
                    frames.again(link.quality()).await.map(|bytes| Message::Binary(bytes.into()));
            }
        }
    }
    let close = CloseFrame { code: axum::extract::ws::close_code::NORMAL, reason: "".into() };
    let _ = sink.send(Message::Close(Some(close))).await;
}

fn quality_changed(role: Role, direction: &'static str) {
    metrics::counter!("beside_link_quality_changes_total", "role" => role.as_str(), "direction" => direction)
        .increment(1);
}

/// Turns one viewer's frames into binary messages: whole, or as tiles against what the client
/// shows, at the quality the viewer's link carries.
struct FrameWriter {
    role: &'static str,
    tiles: bool,
    /// The frame this connection got last, and the newest frame known to look exactly like it
    /// (frames that changed nothing are not sent): tiles against that one apply to what the
    /// client shows.
    last_sent: Option<FrameHeader>,
    same_as: Option<u64>,
    /// The latest frame, to send again when the link gets room on a still page.
    latest: Option<RawFrameView>,
    /// The next frame goes whole (the quality went finer: tiles would leave the rest coarse).
    refresh: bool,
}

impl FrameWriter {
    fn new(role: Role, tiles: bool) -> FrameWriter {
        FrameWriter {
            role: role.as_str(),
            tiles,
            last_sent: None,
            same_as: None,
            latest: None,
            refresh: false,
        }
    }

    /// The message for `view`, or `None` when it changed nothing the client shows.
    async fn message(&mut self, view: RawFrameView, quality: Option<u8>) -> Option<Vec<u8>> {
        let started = Instant::now();
        let role = self.role;
        let f = view.frame();
        let header = header_of(f);
        let base = self.last_sent.as_ref();
        let delta = view
            .delta()
            .filter(|d| self.tiles && !self.refresh && self.same_as == Some(d.base_seq));
        let bytes = match delta {
            Some(d) if d.tiles.is_empty() && base.is_some_and(|b| same_geometry(b, &header)) => {
                // Nothing changed: nothing is sent, and tiles against this frame apply to what
                // the client shows.
                self.same_as = Some(header.seq);
                metrics::counter!("beside_frames_unchanged_total", "role" => role).increment(1);
                self.latest = Some(view);
                return None;
            }
            Some(d) => {
                let jpegs =
                    at_quality(role, d.tiles.iter().map(|t| t.jpeg.clone()).collect(), quality)
                        .await;
                let tiles: Vec<(TileHeader, &[u8])> = d
                    .tiles
                    .iter()
                    .zip(&jpegs)
                    .map(|(t, jpeg)| {
                        let place =
                            TileHeader { x: t.x, y: t.y, width: t.width, height: t.height, len: 0 };
                        (place, jpeg.as_ref())
                    })
                    .collect();
                metrics::counter!("beside_frames_sent_total", "role" => role, "kind" => "tiles")
                    .increment(1);
                let shown = base.map_or(d.base_seq, |b| b.seq);
                protocol::encode_tiles(&header, shown, &tiles)
            }
            None => {
                metrics::counter!("beside_frames_sent_total", "role" => role, "kind" => "whole")
                    .increment(1);
                let jpeg = at_quality(role, vec![f.jpeg.clone()], quality).await;
                protocol::encode_frame(&header, &jpeg[0])
            }
        };
        self.same_as = Some(header.seq);
        self.last_sent = Some(header);
        self.refresh = false;
        metrics::histogram!("beside_frame_encode_seconds").record(started.elapsed().as_secs_f64());
        if let Some(age) = f.age_seconds() {
            metrics::histogram!("beside_frame_age_seconds", "stage" => role).record(age);
        }
        metrics::counter!("beside_frame_bytes_sent_total", "role" => role)
            .increment(bytes.len() as u64);
        self.latest = Some(view);
        Some(bytes)
    }

    /// The latest frame again, whole, at `quality`; `None` before the first.
    async fn again(&mut self, quality: Option<u8>) -> Option<Vec<u8>> {
        let view = self.latest.take()?;
        self.refresh = true;
        self.message(view, quality).await
    }
}

/// The frame header of `f`.
fn header_of(f: &frames::RawFrame) -> FrameHeader {
    FrameHeader {
        seq: f.seq,
        css_width: f.css_width,
        css_height: f.css_height,
        scroll_x: f.scroll_x,
        scroll_y: f.scroll_y,
        timestamp_ms: f.timestamp_ms,
    }
}

/// `jpegs` at `quality` (`None`: as they are), each as it is when it cannot be made coarser.
/// Requantising a 720p frame takes a few ms, so it runs off the async threads.
async fn at_quality(role: &'static str, jpegs: Vec<Bytes>, quality: Option<u8>) -> Vec<Bytes> {
    let Some(quality) = quality else { return jpegs };
    let originals = jpegs.clone();
    let work = move || {
        let mut n = 0;
        let out: Vec<Bytes> = jpegs
            .into_iter()
            .map(|jpeg| match frames::requantize(&jpeg, quality) {
                Some(coarse) => {
                    n += 1;
                    coarse
                }
                None => jpeg,
            })
            .collect();
        (out, n)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok((out, n)) => {
            metrics::counter!("beside_frames_requantized_total", "role" => role).increment(n);
            out
        }
        // The runtime is shutting down: the frames as they are.
        Err(_) => originals,
    }
}

/// Whether two frames show the page at the same size and scroll offset.
fn same_geometry(a: &FrameHeader, b: &FrameHeader) -> bool {
    a.css_width == b.css_width
        && a.css_height == b.css_height
        && a.scroll_x == b.scroll_x
        && a.scroll_y == b.scroll_y
}
