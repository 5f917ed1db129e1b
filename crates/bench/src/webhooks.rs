//! Webhook delivery (F23), one figure: a customer ends a session (`POST /sessions/{id}/end`
//! sent) → the bench's own receiver has read the whole `session.ended` delivery for that
//! session. Each sample is a session of its own, with the customer and an agent connected,
//! as in a real session; the receiver answers 200 at once. beside is started with the
//! receiver's address allowed (`BESIDE_WEBHOOKS_ALLOW_PRIVATE`).
//!
//! The receiver speaks just enough HTTP/1.1 for one request a connection (beside's deliverer
//! opens one connection per attempt).

use crate::pages::Page;
use crate::phases::{deadline, ms_since, Ctx, Pair, Plan};
use crate::report::Figures;
use crate::stats::summarize;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The largest request the receiver reads.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// A webhook receiver on loopback: every request's body, with when it was read whole.
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    got: mpsc::UnboundedReceiver<(Instant, Value)>,
}

impl Receiver {
    pub(crate) async fn start() -> anyhow::Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on loopback for the webhook receiver")?;
        let addr = listener.local_addr().context("the receiver has an address")?;
        let (tx, got) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Ok(Some(body)) = read_request(conn).await {
                        let _ = tx.send((Instant::now(), body));
                    }
                });
            }
        });
        Ok(Receiver { addr, got })
    }

    fn url(&self) -> String {
        format!("http://{}/hooks/beside", self.addr)
    }

    /// When the `session.ended` delivery of `session_id` arrived (others are skipped).
    async fn ended(&mut self, session_id: &str) -> anyhow::Result<Instant> {
        let until = deadline();
        loop {
            let next = tokio::time::timeout_at(until, self.got.recv()).await;
            let (at, body) = next
                .with_context(|| format!("no session.ended for {session_id} in time"))?
                .context("the receiver stopped")?;
            if body["type"] == "session.ended" && body["data"]["session_id"] == session_id {
                return Ok(at);
            }
        }
    }
}

/// Reads one request (head, then `Content-Length` bytes of body), answers `200`, and hands
/// back the body as JSON.
async fn read_request(mut conn: TcpStream) -> anyhow::Result<Option<Value>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head_end, length) = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        anyhow::ensure!(buf.len() <= MAX_REQUEST_BYTES, "the request is too large");
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (at + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        anyhow::ensure!(buf.len() <= MAX_REQUEST_BYTES, "the request is too large");
    }
    conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
    let _ = conn.shutdown().await;
    Ok(serde_json::from_slice(&buf[head_end..head_end + length]).ok())
}

fn samples(plan: &Plan) -> usize {
    (plan.events / 8).clamp(5, 15)
}

pub(crate) async fn webhooks(
    ctx: &Ctx,
    plan: &Plan,
    receiver: &mut Receiver,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let n = samples(plan);
    say!("webhooks: session ended → session.ended read by the receiver ({n})");
    let body = json!({ "url": receiver.url(), "events": ["session.ended"] });
    let hook = ctx.api.post(&ctx.agent, "/api/v1/webhooks", body, None).await?;
    let id = hook["id"].as_str().with_context(|| format!("no webhook id in {hook}"))?;
    let mut took = Vec::with_capacity(n);
    let res = async {
        for _ in 0..n {
            let pair = Pair::open(ctx, Page::Form).await?;
            let t0 = Instant::now();
            pair.end(ctx).await?;
            let at = receiver.ended(&pair.started.session_id).await?;
            took.push(ms_since(t0, at));
        }
        anyhow::Ok(())
    }
    .await;
    ctx.api.delete(&ctx.agent, &format!("/api/v1/webhooks/{id}")).await?;
    res?;
    figures.webhook_delivery = summarize(&took);
    Ok(())
}
