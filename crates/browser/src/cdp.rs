//! A small Chrome DevTools Protocol client over Chromium's debugging pipe.
//!
//! Chromium reads commands on its fd 3 and writes answers and events on its fd 4, each a JSON
//! object ended by a NUL byte. Answers are matched to callers by `id`; events are routed to the
//! tab that subscribed to their flattened `sessionId`, or, for browser-wide `Target.*` events, to
//! the tab whose target or browser context they name. When the pipe closes every pending call
//! fails at once and every subscriber's channel closes, so nothing waits for a timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::sync::{mpsc, oneshot, watch};

use crate::BrowserError;

/// How long any command may take before its caller gets [`BrowserError::Timeout`].
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// An event from Chromium, as routed to one subscriber.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) method: String,
    pub(crate) params: Value,
}

pub(crate) type EventSender = mpsc::UnboundedSender<Event>;

type Reply = Result<Value, BrowserError>;

/// A cheap-clone handle to one Chromium process's debugging pipe.
#[derive(Clone)]
pub(crate) struct Cdp {
    inner: Arc<Inner>,
}

struct Inner {
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    next_id: AtomicU64,
    state: Mutex<State>,
    closed: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    closed: bool,
    pending: HashMap<u64, (String, oneshot::Sender<Reply>)>,
    /// Subscribers by flattened session id.
    sessions: HashMap<String, EventSender>,
    /// Subscribers by target id or browser context id, for browser-wide `Target.*` events.
    targets: HashMap<String, EventSender>,
    /// Subscribers by browser context id to the browser's download events, which name no
    /// context: each subscriber is given every one and keeps its own.
    downloads: HashMap<String, EventSender>,
}

#[derive(Deserialize)]
struct Incoming {
    id: Option<u64>,
    result: Option<Value>,
    error: Option<IncomingError>,
    method: Option<String>,
    params: Option<Value>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

#[derive(Deserialize)]
struct IncomingError {
    message: String,
}

impl Cdp {
    /// Starts the reader and writer tasks on the parent's ends of the two pipes.
    pub(crate) fn start(from_chromium: pipe::Receiver, to_chromium: pipe::Sender) -> Cdp {
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (closed, _) = watch::channel(false);
        let cdp = Cdp {
            inner: Arc::new(Inner {
                outgoing,
                next_id: AtomicU64::new(1),
                state: Mutex::new(State::default()),
                closed,
            }),
        };
        tokio::spawn(write_loop(cdp.clone(), to_chromium, outgoing_rx));
        tokio::spawn(read_loop(cdp.clone(), from_chromium));
        cdp
    }

    /// Sends a command and waits for its answer, at most [`CALL_TIMEOUT`].
    pub(crate) async fn call(
        &self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
    ) -> Result<Value, BrowserError> {
        self.call_within(method, params, session_id, CALL_TIMEOUT).await
    }

    /// Sends a command and waits for its answer, at most `timeout`.
    pub(crate) async fn call_within(
        &self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, BrowserError> {
        let (tx, rx) = oneshot::channel();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut state = self.lock();
            if state.closed {
                return Err(BrowserError::BrowserGone);
            }
            state.pending.insert(id, (method.to_owned(), tx));
        }
        self.write(id, method, params, session_id);
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply,
            // The sender is only dropped without a reply when the connection closes.
            Ok(Err(_)) => Err(BrowserError::BrowserGone),
            Err(_) => {
                self.lock().pending.remove(&id);
                Err(BrowserError::Timeout { method: method.to_owned(), timeout })
            }
        }
    }

    /// Sends a command without waiting for its answer (screencast acknowledgements).
    pub(crate) fn send(&self, method: &str, params: Value, session_id: Option<&str>) {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.write(id, method, params, session_id);
    }

    fn write(&self, id: u64, method: &str, params: Value, session_id: Option<&str>) {
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session_id) = session_id {
            message["sessionId"] = Value::from(session_id);
        }
        let mut bytes = serde_json::to_vec(&message).expect("a JSON value always serialises");
        bytes.push(0);
        // A send error means the writer is gone; `close` has failed or will fail the call.
        let _ = self.inner.outgoing.send(bytes);
    }

    /// Routes events of a flattened session to `tx`.
    pub(crate) fn subscribe_session(&self, session_id: &str, tx: EventSender) {
        let mut state = self.lock();
        if !state.closed {
            state.sessions.insert(session_id.to_owned(), tx);
        }
    }

    /// Routes browser-wide `Target.*` events naming `key` (a target or context id) to `tx`.
    pub(crate) fn subscribe_target(&self, key: &str, tx: EventSender) {
        let mut state = self.lock();
        if !state.closed {
            state.targets.insert(key.to_owned(), tx);
        }
    }

    /// Routes the browser's `Browser.download*` events to `tx`, under `key` (a context id).
    pub(crate) fn subscribe_downloads(&self, key: &str, tx: EventSender) {
        let mut state = self.lock();
        if !state.closed {
            state.downloads.insert(key.to_owned(), tx);
        }
    }

    /// Stops routing events for these session, target and context ids.
    pub(crate) fn unsubscribe(&self, keys: &[&str]) {
        let mut state = self.lock();
        for key in keys {
            state.sessions.remove(*key);
            state.targets.remove(*key);
            state.downloads.remove(*key);
        }
    }

    /// Marks the connection dead: pending calls fail now, subscribers' channels close.
    pub(crate) fn close(&self) {
        let (pending, sessions, targets, downloads) = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            state.closed = true;
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.sessions),
                std::mem::take(&mut state.targets),
                std::mem::take(&mut state.downloads),
            )
        };
        for (_, (_, tx)) in pending {
            let _ = tx.send(Err(BrowserError::BrowserGone));
        }
        drop((sessions, targets, downloads));
        self.inner.closed.send_replace(true);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Resolves once the connection is closed.
    pub(crate) async fn closed(&self) {
        let mut rx = self.inner.closed.subscribe();
        // The sender lives in `inner`, which `self` keeps alive, so `wait_for` cannot fail.
        let _ = rx.wait_for(|closed| *closed).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().expect("the CDP state lock is never held across a panic")
    }

    fn dispatch(&self, incoming: Incoming) {
        if let Some(id) = incoming.id {
            let Some((method, tx)) = self.lock().pending.remove(&id) else {
                return;
            };
            let reply = match incoming.error {
                Some(error) => Err(BrowserError::Cdp { method, message: error.message }),
                None => Ok(incoming.result.unwrap_or(Value::Null)),
            };
            let _ = tx.send(reply);
            return;
        }
        let Some(method) = incoming.method else {
            return;
        };
        let params = incoming.params.unwrap_or(Value::Null);
        let state = self.lock();
        if let Some(session_id) = &incoming.session_id {
            if let Some(tx) = state.sessions.get(session_id) {
                let _ = tx.send(Event { method, params });
            }
            return;
        }
        if method.starts_with("Browser.download") {
            for tx in state.downloads.values() {
                let _ = tx.send(Event { method: method.clone(), params: params.clone() });
            }
            return;
        }
        if !method.starts_with("Target.") {
            return;
        }
        let mut keys: Vec<&str> = Vec::new();
        for key in [
            params.pointer("/targetInfo/targetId"),
            params.pointer("/targetInfo/browserContextId"),
            params.pointer("/targetInfo/openerId"),
            params.get("targetId"),
        ]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        {
            keys.push(key);
        }
        let mut subscribers: Vec<&EventSender> = Vec::new();
        for key in keys {
            if let Some(tx) = state.targets.get(key) {
                if !subscribers.iter().any(|seen| seen.same_channel(tx)) {
                    subscribers.push(tx);
                }
            }
        }
        if let Some(tx) = params.get("sessionId").and_then(Value::as_str).and_then(|id| {
            // `Target.detachedFromTarget` names the session that ended.
            state.sessions.get(id)
        }) {
            if !subscribers.iter().any(|seen| seen.same_channel(tx)) {
                subscribers.push(tx);
            }
        }
        for tx in subscribers {
            let _ = tx.send(Event { method: method.clone(), params: params.clone() });
        }
    }
}

async fn write_loop(
    cdp: Cdp,
    mut to_chromium: pipe::Sender,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    loop {
        tokio::select! {
            message = outgoing.recv() => {
                let Some(message) = message else { break };
                if let Err(error) = to_chromium.write_all(&message).await {
                    tracing::debug!(%error, "Writing to chromium's debugging pipe failed.");
                    break;
                }
            }
            () = cdp.closed() => break,
        }
    }
    cdp.close();
}

async fn read_loop(cdp: Cdp, mut from_chromium: pipe::Receiver) {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut scanned = 0;
    loop {
        let n = tokio::select! {
            res = from_chromium.read(&mut chunk) => match res {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) => {
                    tracing::debug!(%error, "Reading chromium's debugging pipe failed.");
                    break;
                }
            },
            () = cdp.closed() => break,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        while let Some(pos) = buf[scanned..].iter().position(|b| *b == 0) {
            let end = scanned + pos;
            match serde_json::from_slice::<Incoming>(&buf[start..end]) {
                Ok(incoming) => cdp.dispatch(incoming),
                Err(error) => tracing::warn!(%error, "Chromium sent a message that is not CDP."),
            }
            start = end + 1;
            scanned = start;
        }
        buf.drain(..start);
        scanned = buf.len();
    }
    cdp.close();
}
