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
use policy::link::{Change, LinkQuality, Pacer};
use protocol::{ClientMessage, FrameHeader, ServerMessage, TileHeader, MAX_CLIENT_MESSAGE_BYTES};
use serde::Deserialize;
use session::{RawFrameView, SessionHandle, TicketError, TokenHolder, Viewer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

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
    let acks = Arc::new(Acks::default());
    let writer = tokio::spawn(write(sink, viewer, reply_rx, acks.clone(), holder.role, tiles));
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
                // Only this connection's writer cares which frames its client has shown.
                Ok(ClientMessage::Ack { seq }) => acks.shown(seq),
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

async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut viewer: Viewer,
    mut replies: mpsc::Receiver<ServerMessage>,
    acks: Arc<Acks>,
    role: Role,
    tiles: bool,
) {
    let mut frames = FrameWriter::new(role, tiles);
    // A client that acknowledges frames gets them paced by its acknowledgements.
    let mut pacer = Pacer::new();
    // How good a picture this viewer's link carries, from how long each message waits to be
    // handed over; checked while the frames go coarser, so they get finer on a still page too.
    let mut link = LinkQuality::new(Instant::now());
    let mut check_link = tokio::time::interval(policy::link::WINDOW);
    check_link.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // What the viewer shows, finer, once the link has room for it.
    let mut queued: Option<(u64, Vec<u8>)> = None;
    loop {
        let may_send = pacer.may_send(Instant::now());
        let give_up = pacer.give_up_at().map(tokio::time::Instant::from_std);
        let (msg, seq) = if let Some((seq, bytes)) = queued.take() {
            (Message::Binary(bytes.into()), Some(seq))
        } else {
            tokio::select! {
                biased;
                m = viewer.outbox.recv() => match m {
                    Some(m) => (Message::Text(m.to_json().into()), None),
                    None => break,
                },
                Some(m) = replies.recv() => (Message::Text(m.to_json().into()), None),
                () = acks.changed.notified() => {
                    pacer.acked(acks.seq.load(Ordering::Relaxed), Instant::now());
                    continue;
                }
                f = viewer.frames.next(), if may_send => match f {
                    Some(view) => match frames.message(view, link.quality()).await {
                        Some((seq, bytes)) => (Message::Binary(bytes.into()), Some(seq)),
                        None => continue,
                    },
                    None => break,
                },
                () = sleep_until_some(give_up), if !may_send => {
                    pacer.give_up();
                    continue;
                }
                _ = check_link.tick(), if link.is_reduced() => {
                    let now = Instant::now();
                    let held = pacer.take_held(now);
                    let change =
                        if held.is_zero() { link.idle(now) } else { link.sent(now, held) };
                    match change {
                        Change::Finer => quality_changed(role, "finer"),
                        Change::Coarser => quality_changed(role, "coarser"),
                        Change::Same => {}
                    }
                    if change != Change::Finer {
                        continue;
                    }
                    match frames.again(link.quality()).await {
                        Some((seq, bytes)) => (Message::Binary(bytes.into()), Some(seq)),
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
        if let Some(seq) = seq {
            pacer.sent(seq, started);
        }
        let waited = now.duration_since(started) + pacer.take_held(now);
        match link.sent(now, waited) {
            Change::Same => {}
            Change::Coarser => quality_changed(role, "coarser"),
            Change::Finer => {
                quality_changed(role, "finer");
                queued = frames.again(link.quality()).await;
            }
        }
    }
    let close = CloseFrame { code: axum::extract::ws::close_code::NORMAL, reason: "".into() };
    let _ = sink.send(Message::Close(Some(close))).await;
}

/// Sleeps until `at`; never wakes when there is no `at`.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
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

    /// The message for `view` with its frame number, or `None` when it changed nothing the
    /// client shows.
    async fn message(&mut self, view: RawFrameView, quality: Option<u8>) -> Option<(u64, Vec<u8>)> {
        let started = Instant::now();
        let role = self.role;
        let f = view.frame();
        let header = header_of(f);
        let base = self.last_sent.as_ref();
        let delta = view
            .delta()
            .filter(|d| self.tiles && !self.refresh && self.same_as == Some(d.base_seq));
        let bytes = match delta {
            Some(d)
                if d.tiles.is_empty()
                    && base.is_some_and(|b| b.meta.same_geometry(&header.meta)) =>
            {
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
        let seq = header.seq;
        self.same_as = Some(seq);
        self.last_sent = Some(header);
        self.refresh = false;
        metrics::histogram!("beside_frame_encode_seconds").record(started.elapsed().as_secs_f64());
        if let Some(age) = f.age_seconds() {
            metrics::histogram!("beside_frame_age_seconds", "stage" => role).record(age);
        }
        metrics::counter!("beside_frame_bytes_sent_total", "role" => role)
            .increment(bytes.len() as u64);
        self.latest = Some(view);
        Some((seq, bytes))
    }

    /// The latest frame again, whole, at `quality`; `None` before the first.
    async fn again(&mut self, quality: Option<u8>) -> Option<(u64, Vec<u8>)> {
        let view = self.latest.take()?;
        self.refresh = true;
        self.message(view, quality).await
    }
}

/// The frame header of `f`.
fn header_of(f: &frames::RawFrame) -> FrameHeader {
    FrameHeader { seq: f.seq, meta: f.meta }
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
