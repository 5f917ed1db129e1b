//! What one viewer receives: every frame is stamped with the moment its message arrived
//! (before anything is decoded), counted, kept as the latest, and handed to whoever is
//! recording at the time. Both beside's viewers and the bare CDP client fill a `Feed`.

use bytes::Bytes;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

/// One frame as it arrived.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// When the message holding it was read from the socket.
    pub(crate) at: Instant,
    /// The whole frame's JPEG (empty when the frame came as tiles).
    pub(crate) jpeg: Bytes,
    /// The picture at 1/8 size, when the reader had to build it (frames sent as tiles).
    pub(crate) image: Option<Arc<crate::pixels::Image>>,
    /// The viewport (CSS pixels) the frame shows.
    pub(crate) css: (u32, u32),
    /// Chromium's timestamp of the frame, milliseconds since the Unix epoch.
    pub(crate) painted_unix_ms: f64,
}

/// Frames and bytes received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) frames: u64,
    /// Payload bytes of every message (frames and text), as the socket delivered them.
    pub(crate) bytes: u64,
    /// Frame messages whose JPEGs the server made coarser than Chromium's quality 60.
    pub(crate) coarse: u64,
}

/// How many text messages a feed keeps (the newest).
const TEXTS_KEPT: usize = 512;
/// How many of a connection's first frames a feed keeps, for `record_from_start`.
const EARLY_FRAMES_KEPT: usize = 32;

pub(crate) struct Feed {
    pub(crate) name: String,
    frames: AtomicU64,
    bytes: AtomicU64,
    coarse: AtomicU64,
    inner: Mutex<Inner>,
    changed: Notify,
}

#[derive(Default)]
struct Inner {
    latest: Option<Arc<Arrival>>,
    first_frame_at: Option<Instant>,
    /// The first `EARLY_FRAMES_KEPT` frames.
    early: Vec<Arc<Arrival>>,
    recorders: Vec<mpsc::UnboundedSender<Arc<Arrival>>>,
    /// Text messages with their running number.
    texts: VecDeque<(u64, Value)>,
    n_texts: u64,
    closed: bool,
}

impl Feed {
    pub(crate) fn new(name: impl Into<String>) -> Arc<Feed> {
        Arc::new(Feed {
            name: name.into(),
            frames: AtomicU64::new(0),
            coarse: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("the feed lock is never held across a panic")
    }

    pub(crate) fn push_frame(&self, arrival: Arrival, wire_bytes: usize) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(wire_bytes as u64, Ordering::Relaxed);
        let arrival = Arc::new(arrival);
        {
            let mut inner = self.lock();
            inner.first_frame_at.get_or_insert(arrival.at);
            if inner.early.len() < EARLY_FRAMES_KEPT {
                inner.early.push(arrival.clone());
            }
            inner.recorders.retain(|r| r.send(arrival.clone()).is_ok());
            inner.latest = Some(arrival);
        }
        self.changed.notify_waiters();
    }

    /// A text message; one that is not JSON is counted but not kept.
    pub(crate) fn push_text(&self, text: &str) {
        self.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            let mut inner = self.lock();
            inner.n_texts += 1;
            let n = inner.n_texts;
            inner.texts.push_back((n, value));
            if inner.texts.len() > TEXTS_KEPT {
                inner.texts.pop_front();
            }
        }
        self.changed.notify_waiters();
    }

    pub(crate) fn count_coarse(&self) {
        self.coarse.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_bytes(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn set_closed(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }

    pub(crate) fn counters(&self) -> Counters {
        Counters {
            frames: self.frames.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            coarse: self.coarse.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn latest(&self) -> Option<Arc<Arrival>> {
        self.lock().latest.clone()
    }

    /// Every frame that arrives from now on, until the receiver is dropped.
    pub(crate) fn record(&self) -> mpsc::UnboundedReceiver<Arc<Arrival>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().recorders.push(tx);
        rx
    }

    /// Every frame since the connection opened (its first `EARLY_FRAMES_KEPT`, then all
    /// that arrive from now on), until the receiver is dropped.
    pub(crate) fn record_from_start(&self) -> mpsc::UnboundedReceiver<Arc<Arrival>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = self.lock();
        for arrival in &inner.early {
            let _ = tx.send(arrival.clone());
        }
        inner.recorders.push(tx);
        rx
    }

    /// The running number of the newest text message (0 before the first).
    pub(crate) fn text_mark(&self) -> u64 {
        self.lock().n_texts
    }

    /// Waits until `check` finds something in the feed, the feed closes, or `deadline`.
    async fn wait<T>(
        &self,
        what: &str,
        deadline: tokio::time::Instant,
        mut check: impl FnMut(&Inner) -> Option<T>,
    ) -> anyhow::Result<T> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let inner = self.lock();
                if let Some(found) = check(&inner) {
                    return Ok(found);
                }
                if inner.closed {
                    anyhow::bail!("{}: the connection closed while waiting for {what}", self.name);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                anyhow::bail!("{}: timed out waiting for {what}", self.name);
            }
        }
    }

    /// When the first frame arrived.
    pub(crate) async fn first_frame(
        &self,
        deadline: tokio::time::Instant,
    ) -> anyhow::Result<Instant> {
        self.wait("the first frame", deadline, |i| i.first_frame_at).await
    }

    /// The first text message after `mark` of type `ty` that satisfies `pred`.
    pub(crate) async fn text_after(
        &self,
        mark: u64,
        ty: &str,
        deadline: tokio::time::Instant,
        pred: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        Ok(self.numbered_text_after(mark, ty, deadline, pred).await?.1)
    }

    /// Like `text_after`, with the message's running number (a mark to wait after it).
    pub(crate) async fn numbered_text_after(
        &self,
        mark: u64,
        ty: &str,
        deadline: tokio::time::Instant,
        pred: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<(u64, Value)> {
        self.wait(&format!("a `{ty}` message"), deadline, |i| {
            i.texts.iter().find(|(n, v)| *n > mark && v["type"] == ty && pred(v)).cloned()
        })
        .await
    }

    /// Whether the newest text message of type `ty` satisfies `pred`, now or by `deadline`.
    pub(crate) async fn latest_text_until(
        &self,
        ty: &str,
        deadline: tokio::time::Instant,
        pred: impl Fn(&Value) -> bool,
    ) -> bool {
        self.wait(&format!("a `{ty}` message"), deadline, |i| {
            i.texts.iter().rev().find(|(_, v)| v["type"] == ty).filter(|(_, v)| pred(v)).map(|_| ())
        })
        .await
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn arrival(n: u8) -> Arrival {
        Arrival {
            at: Instant::now(),
            jpeg: Bytes::from(vec![n]),
            image: None,
            css: (1280, 720),
            painted_unix_ms: 0.0,
        }
    }

    #[tokio::test]
    async fn recorders_see_only_what_arrives_while_they_record() {
        let feed = Feed::new("test");
        feed.push_frame(arrival(1), 10);
        let mut rec = feed.record();
        feed.push_frame(arrival(2), 10);
        feed.push_text(r#"{"type":"pong"}"#);
        assert_eq!(rec.recv().await.unwrap().jpeg[0], 2);
        assert!(rec.try_recv().is_err());
        drop(rec);
        feed.push_frame(arrival(3), 10);
        let mut all = feed.record_from_start();
        feed.push_frame(arrival(4), 10);
        for n in 1..=4 {
            assert_eq!(all.recv().await.unwrap().jpeg[0], n);
        }
        assert_eq!(feed.counters(), Counters { frames: 4, bytes: 40 + 15, coarse: 0 });
        assert_eq!(feed.latest().unwrap().jpeg[0], 4);
    }

    #[tokio::test]
    async fn waits_end_with_the_message_or_the_deadline() {
        let feed = Feed::new("test");
        let mark = feed.text_mark();
        let soon = tokio::time::Instant::now() + Duration::from_millis(50);
        assert!(feed.first_frame(soon).await.is_err());
        let waiter = {
            let feed = feed.clone();
            tokio::spawn(async move {
                let later = tokio::time::Instant::now() + Duration::from_secs(5);
                feed.text_after(mark, "page", later, |v| v["title"] == "b").await
            })
        };
        feed.push_text(r#"{"type":"page","title":"a"}"#);
        feed.push_text(r#"{"type":"page","title":"b"}"#);
        assert_eq!(waiter.await.unwrap().unwrap()["title"], "b");
        feed.set_closed();
        let later = tokio::time::Instant::now() + Duration::from_secs(5);
        assert!(feed.first_frame(later).await.is_err());
    }
}
