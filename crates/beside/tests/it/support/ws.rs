//! A WebSocket participant for tests: sends protocol messages, waits for conditions.

use super::PATIENCE;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Something the server sent.
#[derive(Debug, Clone)]
pub enum Incoming {
    Text(Value),
    Frame(protocol::FrameHeader),
    Closed,
}

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every text message received so far, in order.
    pub texts: Vec<Value>,
    pub n_frames: usize,
    /// Frames received as tiles (a connection opened with `tiles=1`).
    pub n_tile_frames: usize,
    pub last_frame: Option<(protocol::FrameHeader, Vec<u8>)>,
    /// The tiles of the last frame received as tiles: where each goes and its JPEG.
    pub last_tiles: Vec<(protocol::TileHeader, Vec<u8>)>,
    /// With tiles: the page as the client shows it, rebuilt from whole frames and tiles
    /// (RGB, width, height), when `rebuild` is on.
    pub picture: Option<(Vec<u8>, usize, usize)>,
    /// The frame the rebuilt picture shows.
    pub picture_seq: Option<u64>,
    pub rebuild: bool,
    pub closed: bool,
}

impl Ws {
    pub async fn connect(
        url: &str,
        origin: &str,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = url.into_client_request()?;
        req.headers_mut().insert("Origin", HeaderValue::from_str(origin).expect("origin header"));
        let (stream, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Ws::of(stream))
    }

    /// Like `connect`, with a receive buffer of `bytes` that the kernel does not grow: a
    /// client that stops reading pushes back on the server after that much, as a slow link
    /// would, instead of after megabytes.
    pub async fn connect_with_receive_buffer(url: &str, origin: &str, bytes: u32) -> Ws {
        let mut req = url.into_client_request().expect("a WebSocket address");
        req.headers_mut().insert("Origin", HeaderValue::from_str(origin).expect("origin header"));
        let authority = req.uri().authority().expect("an address with a host").as_str();
        let addr: std::net::SocketAddr = authority.parse().expect("an IP address and port");
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.set_recv_buffer_size(bytes).expect("a receive buffer size");
        let tcp = socket.connect(addr).await.expect("the server accepts");
        let (stream, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(tcp))
            .await
            .expect("websocket opens");
        Ws::of(stream)
    }

    fn of(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Ws {
        Ws {
            stream,
            texts: Vec::new(),
            n_frames: 0,
            n_tile_frames: 0,
            last_frame: None,
            last_tiles: Vec::new(),
            picture: None,
            picture_seq: None,
            rebuild: false,
            closed: false,
        }
    }

    pub async fn send(&mut self, msg: Value) {
        self.stream.send(Message::Text(msg.to_string().into())).await.expect("send");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.stream.send(msg).await.expect("send");
    }

    async fn recv(&mut self) -> Incoming {
        loop {
            let msg = match self.stream.next().await {
                None | Some(Err(_)) => {
                    self.closed = true;
                    return Incoming::Closed;
                }
                Some(Ok(m)) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("server sends JSON");
                    self.texts.push(v.clone());
                    return Incoming::Text(v);
                }
                Message::Binary(b) => {
                    let message = protocol::decode_message(&b).expect("server sends valid frames");
                    self.n_frames += 1;
                    match message {
                        protocol::FrameMessage::Whole(h, jpeg) => {
                            assert_eq!(&jpeg[..2], b"\xff\xd8", "frames are JPEG");
                            if self.rebuild {
                                self.picture = Some(decode_rgb(jpeg));
                                self.picture_seq = Some(h.seq);
                            }
                            self.last_frame = Some((h.clone(), jpeg.to_vec()));
                            return Incoming::Frame(h);
                        }
                        protocol::FrameMessage::Tiles(t, jpegs) => {
                            self.n_tile_frames += 1;
                            self.last_tiles = t
                                .tiles
                                .iter()
                                .copied()
                                .zip(jpegs.iter().map(|j| j.to_vec()))
                                .collect();
                            if self.rebuild {
                                // As the web client: tiles change the frame it shows, or nothing.
                                assert_eq!(
                                    Some(t.base_seq),
                                    self.picture_seq,
                                    "tiles for a frame this client does not show"
                                );
                                self.picture_seq = Some(t.frame.seq);
                                let (picture, width, _) =
                                    self.picture.as_mut().expect("tiles come after a whole frame");
                                for (place, jpeg) in t.tiles.iter().zip(&jpegs) {
                                    let (rgb, w, h) = decode_rgb(jpeg);
                                    assert_eq!(
                                        (w, h),
                                        (place.width as usize, place.height as usize)
                                    );
                                    for row in 0..h {
                                        let from = row * w * 3;
                                        let to = ((place.y as usize + row) * *width
                                            + place.x as usize)
                                            * 3;
                                        picture[to..to + w * 3]
                                            .copy_from_slice(&rgb[from..from + w * 3]);
                                    }
                                }
                            }
                            self.last_frame = None;
                            return Incoming::Frame(t.frame);
                        }
                    }
                }
                Message::Close(_) => {
                    self.closed = true;
                    return Incoming::Closed;
                }
                _ => continue,
            }
        }
    }

    /// Receives until `f` picks something, or panics after `PATIENCE`.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut(&Incoming) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let incoming = match tokio::time::timeout_at(deadline, self.recv()).await {
                Ok(i) => i,
                Err(_) => panic!("timed out waiting for {what}; texts so far: {:?}", self.texts),
            };
            if let Some(v) = f(&incoming) {
                return v;
            }
            if matches!(incoming, Incoming::Closed) {
                panic!("connection closed while waiting for {what}; texts: {:?}", self.texts);
            }
        }
    }

    /// Waits for a text message of the given type that satisfies `pred`.
    pub async fn wait_text(&mut self, ty: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let what = format!("a `{ty}` message");
        self.wait_for(&what, |i| match i {
            Incoming::Text(v) if v["type"] == ty && pred(v) => Some(v.clone()),
            _ => None,
        })
        .await
    }

    /// Like `wait_text`, but a matching message received earlier counts too.
    pub async fn seen_or_wait_text(&mut self, ty: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.texts.iter().find(|v| v["type"] == ty && pred(v)) {
            return v.clone();
        }
        self.wait_text(ty, pred).await
    }

    pub async fn wait_welcome(&mut self) -> Value {
        self.wait_text("welcome", |_| true).await
    }

    pub async fn wait_frame(&mut self) -> protocol::FrameHeader {
        self.wait_for("a frame", |i| match i {
            Incoming::Frame(h) => Some(h.clone()),
            _ => None,
        })
        .await
    }

    /// Waits for the page title to become `title` (via `page` messages, or the `welcome` of a
    /// connection opened after the page had loaded).
    pub async fn wait_title(&mut self, title: &str) -> Value {
        if let Some(page) =
            self.texts.iter().rev().find(|v| v["type"] == "page" || v["type"] == "welcome")
        {
            if page["page"]["title"] == title {
                return page.clone();
            }
        }
        self.wait_text("page", |v| v["page"]["title"] == title).await
    }

    pub async fn wait_closed(&mut self) {
        if self.closed {
            return;
        }
        self.wait_for("the connection to close", |i| matches!(i, Incoming::Closed).then_some(()))
            .await
    }

    /// A left click at (x, y) in viewport CSS pixels.
    pub async fn click(&mut self, x: f64, y: f64) {
        for kind in ["move", "down", "up"] {
            let (button, buttons) = match kind {
                "move" => ("none", 0),
                "down" => ("left", 1),
                _ => ("left", 0),
            };
            self.send(json!({
                "type": "pointer", "kind": kind, "x": x, "y": y,
                "button": button, "buttons": buttons, "click_count": 1,
            }))
            .await;
        }
    }

    pub async fn navigate(&mut self, url: &str) {
        self.send(json!({ "type": "navigate", "url": url })).await;
    }
}

/// A JPEG as RGB pixels, width and height.
pub fn decode_rgb(jpeg: &[u8]) -> (Vec<u8>, usize, usize) {
    let image =
        turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).expect("frames are valid JPEG");
    (image.pixels, image.width, image.height)
}
