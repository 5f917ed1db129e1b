//! beside as its web clients see it: the HTTP API (start, login, join, tickets, end) and a
//! participant's WebSocket, read by its own task so arrival times are not held up by the
//! measuring code.

use crate::feed::{Arrival, Feed};
use crate::pixels::{decode_eighth, Image};
use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use protocol::{ClientMessage, KeyKind, Modifiers, MouseButton, PointerKind};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpSocket;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// How long the bench's HTTP clients keep an idle connection for reuse.
pub(crate) const POOL_IDLE: Duration = Duration::from_secs(2);

/// The web client's keep-alive interval (`web/shared/connection.js`).
const PING_INTERVAL: Duration = Duration::from_secs(20);
/// Each viewer socket's receive buffer. A fixed size (no autotuning) makes a viewer that
/// stops reading push back on the server within a few frames instead of after megabytes;
/// it is several whole frames, so a reading viewer never waits on it.
const RECEIVE_BUFFER: u32 = 256 * 1024;

/// A session a customer started.
#[derive(Debug, Clone)]
pub(crate) struct Started {
    pub(crate) session_id: String,
    pub(crate) pin: String,
    pub(crate) customer_token: String,
}

/// beside's HTTP API at one address.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) addr: SocketAddr,
}

impl Api {
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An HTTP client as a browser on this origin would be: it sends the `Origin` header,
    /// keeps cookies when asked, and connects from `source` (each customer has its own
    /// address, as real customers do; the per-address limit on starts applies per source).
    pub(crate) fn client(
        &self,
        source: Option<IpAddr>,
        cookies: bool,
    ) -> anyhow::Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            reqwest::header::HeaderValue::from_str(&self.origin())
                .context("the server's origin is not a header value")?,
        );
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .cookie_store(cookies)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            // Connections kept for reuse close soon after their last request, so that the
            // soak, measuring the server's descriptors once idle, counts none of its own.
            .pool_idle_timeout(POOL_IDLE);
        if let Some(ip) = source {
            builder = builder.local_address(ip);
        }
        builder.build().context("cannot build an HTTP client")
    }

    pub(crate) async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut req = client.post(self.url(path)).json(&body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.with_context(|| format!("POST {path} failed"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {path} answered {status}: {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("POST {path} answered no JSON: {text}"))
    }

    /// A DELETE with the client's cookie; an answer that is not a success is an error.
    pub(crate) async fn delete(&self, client: &reqwest::Client, path: &str) -> anyhow::Result<()> {
        let res = client
            .delete(self.url(path))
            .header("Origin", self.origin())
            .send()
            .await
            .with_context(|| format!("DELETE {path} failed"))?;
        let status = res.status();
        if !status.is_success() {
            bail!("DELETE {path} answered {status}: {}", res.text().await.unwrap_or_default());
        }
        Ok(())
    }

    pub(crate) async fn start_session(
        &self,
        client: &reqwest::Client,
        company: &str,
        start_url: &str,
    ) -> anyhow::Result<Started> {
        let body = json!({ "company": company, "start_url": start_url, "locale": "en-US" });
        let res = self.post(client, "/api/v1/sessions", body, None).await?;
        let field = |name: &str| {
            res[name].as_str().map(str::to_owned).with_context(|| format!("no {name} in {res}"))
        };
        Ok(Started {
            session_id: field("session_id")?,
            pin: field("pin")?,
            customer_token: field("customer_token")?,
        })
    }

    /// Logs in; the returned client holds the agent's cookie.
    pub(crate) async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> anyhow::Result<reqwest::Client> {
        let client = self.client(None, true)?;
        let body = json!({ "email": email, "password": password });
        self.post(&client, "/api/v1/auth/login", body, None).await?;
        Ok(client)
    }

    /// Redeems a PIN; returns the agent's participant token.
    pub(crate) async fn join(&self, agent: &reqwest::Client, pin: &str) -> anyhow::Result<String> {
        let res = self.post(agent, "/api/v1/sessions/join", json!({ "pin": pin }), None).await?;
        res["agent_token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no agent_token in {res}"))
    }

    pub(crate) async fn end(
        &self,
        client: &reqwest::Client,
        session_id: &str,
        token: &str,
    ) -> anyhow::Result<()> {
        let path = format!("/api/v1/sessions/{session_id}/end");
        self.post(client, &path, json!({}), Some(token)).await.map(drop)
    }

    /// Opens a participant's WebSocket the way the web client does: a single-use ticket
    /// with the participant's token, then the upgrade with the server's own origin.
    pub(crate) async fn connect(
        &self,
        client: &reqwest::Client,
        session_id: &str,
        token: &str,
        name: &str,
        source: Option<IpAddr>,
    ) -> anyhow::Result<Viewer> {
        let path = format!("/api/v1/sessions/{session_id}/tickets");
        let res = self.post(client, &path, json!({}), Some(token)).await?;
        let ticket = res["ticket"].as_str().with_context(|| format!("no ticket in {res}"))?;
        // Frames as tiles, as the web client takes them.
        let url =
            format!("ws://{}/api/v1/sessions/{session_id}/ws?ticket={ticket}&tiles=1", self.addr);
        Viewer::connect(self.addr, &url, &self.origin(), name, source).await
    }

    /// The sum of a Prometheus metric's samples whose line starts with `prefix`
    /// (a name, optionally with some of its labels).
    pub(crate) async fn metric(&self, prefix: &str) -> anyhow::Result<f64> {
        Ok(sum_metric(&self.metrics_text().await?, prefix, ""))
    }

    /// The sum of a Prometheus metric's samples that carry `label` (e.g. `direction="finer"`).
    pub(crate) async fn metric_with(&self, name: &str, label: &str) -> anyhow::Result<f64> {
        Ok(sum_metric(&self.metrics_text().await?, name, label))
    }

    async fn metrics_text(&self) -> anyhow::Result<String> {
        reqwest::get(self.url("/metrics"))
            .await
            .context("GET /metrics failed")?
            .text()
            .await
            .context("GET /metrics sent no text")
    }
}

/// The number of the frame a frame message carries.
fn frame_seq(message: &[u8]) -> Option<u64> {
    match protocol::decode_message(message).ok()? {
        protocol::FrameMessage::Whole(header, _) => Some(header.seq),
        protocol::FrameMessage::Tiles(tiles, _) => Some(tiles.frame.seq),
    }
}

/// The luma DC step of Chromium's screencast at its quality 60.
const LUMA_DC_AT_60: u8 = 13;

/// The DC step of the first luminance quantisation table in a frame message (its first JPEG).
fn luma_dc_step(message: &[u8]) -> Option<u8> {
    let at = message.windows(2).position(|w| w == [0xFF, 0xDB])?;
    // Marker, length, the table's precision and id, then its steps in zig-zag order.
    (message.get(at + 4)? & 0x0F == 0).then(|| message.get(at + 5).copied()).flatten()
}

/// The sum of the samples whose line starts with `prefix` and contains `label`.
fn sum_metric(text: &str, prefix: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// One participant's live WebSocket.
pub(crate) struct Viewer {
    pub(crate) feed: Arc<Feed>,
    out: mpsc::UnboundedSender<String>,
    stall: watch::Sender<bool>,
    /// The rate the reader takes bytes at, as a link that carries no more would (0: as fast as
    /// they come).
    throttle: watch::Sender<u64>,
    /// Whether the reader decodes what arrives (off: it only counts).
    decoding: Arc<AtomicBool>,
    reader: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl Viewer {
    async fn connect(
        addr: SocketAddr,
        url: &str,
        origin: &str,
        name: &str,
        source: Option<IpAddr>,
    ) -> anyhow::Result<Viewer> {
        let socket = TcpSocket::new_v4().context("cannot create a socket")?;
        socket.set_recv_buffer_size(RECEIVE_BUFFER).context("cannot size the receive buffer")?;
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0)).with_context(|| format!("cannot bind to {ip}"))?;
        }
        let stream =
            socket.connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true).context("cannot set TCP_NODELAY")?;
        let mut req = url.into_client_request().context("bad WebSocket address")?;
        req.headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).context("bad origin header")?);
        let (ws, _) = tokio_tungstenite::client_async(req, stream)
            .await
            .with_context(|| format!("the WebSocket upgrade for {name} failed"))?;
        let (mut sink, mut stream) = ws.split();
        let feed = Feed::new(name);
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let (stall, mut stall_rx) = watch::channel(false);
        let (throttle, throttle_rx) = watch::channel(0u64);
        let decoding = Arc::new(AtomicBool::new(true));
        let reader = tokio::spawn({
            let feed = feed.clone();
            let decoding = decoding.clone();
            let acks = out.clone();
            async move {
                let mut picture = Rebuilt::default();
                loop {
                    while *stall_rx.borrow_and_update() {
                        if stall_rx.changed().await.is_err() {
                            break;
                        }
                    }
                    let msg = stream.next().await;
                    let at = Instant::now();
                    let rate = *throttle_rx.borrow();
                    if let (Some(Ok(m)), true) = (&msg, rate > 0) {
                        let secs = m.len() as f64 / rate as f64;
                        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                    }
                    match msg {
                        Some(Ok(Message::Binary(bytes))) => {
                            if luma_dc_step(&bytes).is_some_and(|step| step > LUMA_DC_AT_60) {
                                feed.count_coarse();
                            }
                            // Shown, as the web client says once it has drawn a frame (it
                            // decodes on its own machine; this reader stands for that).
                            if let Some(seq) = frame_seq(&bytes) {
                                let _ = acks.send(format!(r#"{{"type":"ack","seq":{seq}}}"#));
                            }
                            let decode = decoding.load(Ordering::Relaxed);
                            match picture.take_message(&bytes, at, decode) {
                                Some(arrival) => feed.push_frame(arrival, bytes.len()),
                                None => feed.count_bytes(bytes.len()),
                            }
                        }
                        Some(Ok(Message::Text(text))) => feed.push_text(text.as_str()),
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    }
                }
                feed.set_closed();
            }
        });
        let writer = tokio::spawn(async move {
            let mut ping = tokio::time::interval(PING_INTERVAL);
            ping.tick().await;
            loop {
                let text = tokio::select! {
                    m = out_rx.recv() => match m {
                        Some(text) => text,
                        None => break,
                    },
                    _ = ping.tick() => r#"{"type":"ping"}"#.to_owned(),
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink.send(Message::Close(None)).await;
        });
        Ok(Viewer { feed, out, stall, throttle, decoding, reader, writer })
    }

    pub(crate) fn send(&self, msg: &ClientMessage) -> anyhow::Result<()> {
        let text = serde_json::to_string(msg).context("client messages always serialize")?;
        self.out.send(text).ok().context("the connection's writer has stopped")
    }

    /// Stops reading the socket (the server's writes back up) or starts again.
    /// From now on frames are only counted, not decoded: what a viewer shows is no longer
    /// looked at (frame rates, bandwidth), and a real viewer decodes on its own machine, not
    /// on the one it measures. The bare CDP client decodes only what it looks at too.
    pub(crate) fn count_only(&self) {
        self.decoding.store(false, Ordering::Relaxed);
    }

    pub(crate) fn set_stalled(&self, stalled: bool) {
        self.stall.send_replace(stalled);
    }

    /// Reads at most `bytes_per_second` from now on, as a slow link would carry them (after
    /// each message, as long as that message took at this rate); 0 reads at full speed.
    pub(crate) fn set_throttle(&self, bytes_per_second: u64) {
        self.throttle.send_replace(bytes_per_second);
    }

    /// One pointer message with the left button: a move (nothing held), a press or a release.
    pub(crate) fn pointer(&self, kind: PointerKind, x: f64, y: f64) -> anyhow::Result<()> {
        let (button, buttons) = match kind {
            PointerKind::Move => (MouseButton::None, 0),
            PointerKind::Down => (MouseButton::Left, 1),
            PointerKind::Up => (MouseButton::Left, 0),
        };
        self.send(&ClientMessage::Pointer {
            kind,
            x,
            y,
            button,
            buttons,
            click_count: 1,
            modifiers: Modifiers::default(),
        })
    }

    /// A click at once: move, press, release.
    pub(crate) fn click(&self, x: f64, y: f64) -> anyhow::Result<()> {
        for kind in [PointerKind::Move, PointerKind::Down, PointerKind::Up] {
            self.pointer(kind, x, y)?;
        }
        Ok(())
    }

    /// Presses (with the text it types) or releases the key of `ch` (a letter, digit or space).
    pub(crate) fn key_event(&self, down: bool, ch: char) -> anyhow::Result<()> {
        let (key, code) = key_and_code(ch);
        self.send(&ClientMessage::Key {
            kind: if down { KeyKind::Down } else { KeyKind::Up },
            text: down.then(|| key.clone()),
            key,
            code,
            modifiers: Modifiers::default(),
        })
    }

    /// A key pressed and released at once.
    pub(crate) fn key(&self, ch: char) -> anyhow::Result<()> {
        self.key_event(true, ch)?;
        self.key_event(false, ch)
    }

    pub(crate) fn wheel(&self, x: f64, y: f64, delta_y: f64) -> anyhow::Result<()> {
        self.send(&ClientMessage::Wheel {
            x,
            y,
            delta_x: 0.0,
            delta_y,
            modifiers: Modifiers::default(),
        })
    }

    pub(crate) fn navigate(&self, url: &str) -> anyhow::Result<()> {
        self.send(&ClientMessage::Navigate { url: url.to_owned() })
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// DOM `key` and `code` of the key that types `ch` on a US keyboard.
/// The picture a client shows, rebuilt at 1/8 size from whole frames and tiles (tiles are cut
/// on 16-pixel blocks, so at 1/8 they land on whole pixels and equal the whole frame's).
#[derive(Default)]
struct Rebuilt {
    /// The frame shown, and its picture (`None` once frames are only counted).
    shown: Option<(u64, Option<Image>)>,
}

impl Rebuilt {
    /// The frame a binary message makes, timed at `at`; `None` for a message that is not a
    /// frame or tiles that do not apply to the frame shown. Without `decode`, frames are
    /// followed (tiles must still apply) but not drawn, and arrive without an image.
    fn take_message(&mut self, bytes: &bytes::Bytes, at: Instant, decode: bool) -> Option<Arrival> {
        match protocol::decode_message(bytes).ok()? {
            protocol::FrameMessage::Whole(header, jpeg) => {
                let offset = bytes.len() - jpeg.len();
                let image = if decode { decode_eighth(jpeg).ok() } else { None };
                self.shown = (image.is_some() || !decode).then(|| (header.seq, image.clone()));
                Some(Arrival {
                    at,
                    jpeg: bytes.slice(offset..),
                    image: image.map(Arc::new),
                    css: (header.meta.css_width, header.meta.css_height),
                    painted_unix_ms: header.meta.timestamp_ms,
                })
            }
            protocol::FrameMessage::Tiles(header, jpegs) => {
                let (seq, picture) = self.shown.as_mut()?;
                if *seq != header.base_seq {
                    self.shown = None;
                    return None;
                }
                *seq = header.frame.seq;
                let image = match (decode, picture.as_mut()) {
                    (true, Some(image)) => {
                        for (place, jpeg) in header.tiles.iter().zip(jpegs) {
                            let tile = decode_eighth(jpeg).ok()?;
                            image.paste(&tile, place.x as usize / 8, place.y as usize / 8);
                        }
                        Some(Arc::new(image.clone()))
                    }
                    // Decoding stopped: the picture is no longer kept up to date.
                    _ => {
                        *picture = None;
                        None
                    }
                };
                Some(Arrival {
                    at,
                    jpeg: bytes::Bytes::new(),
                    image,
                    css: (header.frame.meta.css_width, header.frame.meta.css_height),
                    painted_unix_ms: header.frame.meta.timestamp_ms,
                })
            }
        }
    }
}

pub(crate) fn key_and_code(ch: char) -> (String, String) {
    let code = match ch {
        'a'..='z' => format!("Key{}", ch.to_ascii_uppercase()),
        '0'..='9' => format!("Digit{ch}"),
        ' ' => "Space".to_owned(),
        _ => "Unidentified".to_owned(),
    };
    (ch.to_string(), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u64) -> protocol::FrameHeader {
        protocol::FrameHeader {
            seq,
            meta: model::FrameMeta {
                css_width: 1280,
                css_height: 720,
                scroll_x: 0.0,
                scroll_y: 0.0,
                timestamp_ms: 1.0,
            },
        }
    }

    #[test]
    fn tiles_are_drawn_over_the_frame_they_change_and_others_are_refused() {
        let jpeg: &[u8] = include_bytes!("testdata/probe-blue.jpeg");
        let whole = decode_eighth(jpeg).unwrap();
        let mut rebuilt = Rebuilt::default();
        let at = Instant::now();
        let first = bytes::Bytes::from(protocol::encode_frame(&header(1), jpeg));
        let arrival = rebuilt.take_message(&first, at, true).unwrap();
        assert_eq!(arrival.image.as_deref(), Some(&whole));
        // Tiles over the frame shown are drawn into it (`Image::paste` is tested on its own).
        let place = protocol::TileHeader { x: 0, y: 0, width: 1280, height: 720, len: 0 };
        let tiles = bytes::Bytes::from(protocol::encode_tiles(&header(2), 1, &[(place, jpeg)]));
        let arrival = rebuilt.take_message(&tiles, at, true).unwrap();
        assert_eq!(arrival.image.as_deref(), Some(&whole));
        assert!(arrival.jpeg.is_empty());
        // Tiles for a frame this client does not show are refused, and so is what follows.
        let stale = bytes::Bytes::from(protocol::encode_tiles(&header(4), 3, &[(place, jpeg)]));
        assert!(rebuilt.take_message(&stale, at, true).is_none());
        let next = bytes::Bytes::from(protocol::encode_tiles(&header(5), 4, &[(place, jpeg)]));
        assert!(rebuilt.take_message(&next, at, true).is_none());
    }

    #[test]
    fn counted_frames_follow_the_sequence_without_pictures() {
        let jpeg: &[u8] = include_bytes!("testdata/probe-blue.jpeg");
        let mut rebuilt = Rebuilt::default();
        let at = Instant::now();
        let first = bytes::Bytes::from(protocol::encode_frame(&header(1), jpeg));
        assert!(rebuilt.take_message(&first, at, true).unwrap().image.is_some());
        let place = protocol::TileHeader { x: 0, y: 0, width: 1280, height: 720, len: 0 };
        let tiles = bytes::Bytes::from(protocol::encode_tiles(&header(2), 1, &[(place, jpeg)]));
        let counted = rebuilt.take_message(&tiles, at, false).unwrap();
        assert!(counted.image.is_none());
        // Still following: the next tiles apply, and a stale one is refused.
        let next = bytes::Bytes::from(protocol::encode_tiles(&header(3), 2, &[(place, jpeg)]));
        assert!(rebuilt.take_message(&next, at, false).is_some());
        let stale = bytes::Bytes::from(protocol::encode_tiles(&header(5), 2, &[(place, jpeg)]));
        assert!(rebuilt.take_message(&stale, at, false).is_none());
        // Decoding again: tiles wait for a whole frame, which is drawn.
        let whole = bytes::Bytes::from(protocol::encode_frame(&header(6), jpeg));
        assert!(rebuilt.take_message(&whole, at, false).unwrap().image.is_none());
        let after = bytes::Bytes::from(protocol::encode_tiles(&header(7), 6, &[(place, jpeg)]));
        assert!(rebuilt.take_message(&after, at, true).unwrap().image.is_none());
        let again = bytes::Bytes::from(protocol::encode_frame(&header(8), jpeg));
        assert!(rebuilt.take_message(&again, at, true).unwrap().image.is_some());
    }

    #[test]
    fn metric_lines_are_summed_by_prefix_and_label() {
        let text = "# HELP beside_frames_dropped_total Frames not delivered.\n\
                    beside_frames_dropped_total{reason=\"slow_viewer\"} 12\n\
                    beside_frames_dropped_total{reason=\"mask_pending\"} 3\n\
                    beside_frames_sent_total{role=\"agent\"} 100\n\
                    beside_link_quality_changes_total{role=\"agent\",direction=\"coarser\"} 2\n\
                    beside_link_quality_changes_total{role=\"customer\",direction=\"coarser\"} 1\n\
                    beside_link_quality_changes_total{role=\"agent\",direction=\"finer\"} 2\n";
        let slow = "beside_frames_dropped_total{reason=\"slow_viewer\"}";
        assert_eq!(sum_metric(text, slow, ""), 12.0);
        assert_eq!(sum_metric(text, "beside_frames_dropped_total", ""), 15.0);
        assert_eq!(sum_metric(text, "nothing", ""), 0.0);
        let steps = "beside_link_quality_changes_total";
        assert_eq!(sum_metric(text, steps, "direction=\"coarser\""), 3.0);
        assert_eq!(sum_metric(text, steps, "direction=\"finer\""), 2.0);
    }

    #[test]
    fn keys_have_us_codes() {
        assert_eq!(key_and_code('w'), ("w".into(), "KeyW".into()));
        assert_eq!(key_and_code('8'), ("8".into(), "Digit8".into()));
        assert_eq!(key_and_code(' '), (" ".into(), "Space".into()));
    }
}
