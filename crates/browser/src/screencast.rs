//! Screencast frames: decoding them from Chromium, and handing them to the tab's owner so that a
//! slow owner drops frames instead of holding up Chromium's acknowledgements.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use crate::{GuardReport, TabEvent};
use model::FrameMeta;

/// One picture of the page as JPEG, with where and when it was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub jpeg: Bytes,
    pub meta: FrameMeta,
}

/// Decodes a `Page.screencastFrame` event; returns the frame and the number to acknowledge.
pub(crate) fn decode_frame(params: &Value) -> Option<(Option<Frame>, i64)> {
    let ack = params.get("sessionId")?.as_i64()?;
    let frame = (|| {
        let data = params.get("data")?.as_str()?;
        let jpeg = base64::engine::general_purpose::STANDARD.decode(data).ok()?;
        let meta = params.get("metadata")?;
        let number = |name: &str| meta.get(name).and_then(Value::as_f64);
        // The offset is where the visual viewport is in the page, in CSS pixels; a pinch-zoomed
        // page moves that many times the zoom in the picture, so the offset is given in the
        // picture's units, as the guard gives its own (1 on a page nobody zoomed).
        let zoom = number("pageScaleFactor").filter(|z| z.is_finite() && *z > 0.0).unwrap_or(1.0);
        Some(Frame {
            jpeg: Bytes::from(jpeg),
            meta: FrameMeta {
                css_width: number("deviceWidth")?.round() as u32,
                css_height: number("deviceHeight")?.round() as u32,
                scroll_x: number("scrollOffsetX").unwrap_or(0.0) * zoom,
                scroll_y: number("scrollOffsetY").unwrap_or(0.0) * zoom,
                timestamp_ms: number("timestamp").unwrap_or(0.0) * 1000.0,
            },
        })
    })();
    Some((frame, ack))
}

/// Whether a frame shows the page at the size it is emulated at. While Chromium takes a
/// screenshot of an emulated page (`Page.captureScreenshot`, the still picture) it emulates it
/// again at another scale, and the screencast frames it draws meanwhile say the page is that
/// much larger (a 390 px phone page as 780 px): mapped by that size, masks and outlines land
/// at the wrong place. Such frames are not used; the frames after the screenshot are right.
pub(crate) fn fits(meta: &FrameMeta, viewport: model::Viewport) -> bool {
    meta.css_width.abs_diff(viewport.width) <= 1 && meta.css_height.abs_diff(viewport.height) <= 1
}

/// `Page.startScreencast` parameters for a viewport: frames at CSS size times the scale.
pub(crate) fn start_params(viewport: model::Viewport, quality: u8) -> Value {
    let scale = viewport.device_scale_factor;
    json!({
        "format": "jpeg",
        "quality": quality,
        "maxWidth": (f64::from(viewport.width) * scale).round() as u32,
        "maxHeight": (f64::from(viewport.height) * scale).round() as u32,
        "everyNthFrame": 1,
    })
}

/// Delivers a tab's events to its owner: every page event in order, but only the latest guard
/// report and the latest frame (the report first, so a frame finds the map that was current).
///
/// The tab's event task never waits on the owner; a forwarder task does.
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    notify: Notify,
}

#[derive(Default)]
struct OutboxState {
    frame: Option<Frame>,
    guard: Option<GuardReport>,
    tick: Option<f64>,
    /// The latest "late" mark, delivered before any frame.
    late: Option<f64>,
    events: VecDeque<TabEvent>,
    finished: bool,
}

impl Outbox {
    /// Starts the forwarder into `tx`.
    pub(crate) fn start(tx: mpsc::Sender<TabEvent>) -> Arc<Outbox> {
        let outbox =
            Arc::new(Outbox { state: Mutex::new(OutboxState::default()), notify: Notify::new() });
        tokio::spawn(forward(outbox.clone(), tx));
        outbox
    }

    pub(crate) fn push_frame(&self, frame: Frame) {
        let replaced = self.lock().frame.replace(frame).is_some();
        if replaced {
            metrics::counter!("beside_frames_dropped_total", "reason" => "session_busy")
                .increment(1);
        }
        self.notify.notify_one();
    }

    /// Every report is kept (they are small, at most one per animation frame): the session
    /// pairs each frame with the reports around its time.
    pub(crate) fn push_guard(&self, report: GuardReport) {
        self.lock().events.push_back(TabEvent::Guard(report));
        self.notify.notify_one();
    }

    pub(crate) fn push_tick(&self, time_ms: f64) {
        self.lock().tick = Some(time_ms);
        self.notify.notify_one();
    }

    pub(crate) fn push_late(&self, time_ms: f64) {
        let mut state = self.lock();
        state.late = Some(state.late.map_or(time_ms, |t| t.max(time_ms)));
        drop(state);
        self.notify.notify_one();
    }

    pub(crate) fn push_event(&self, event: TabEvent) {
        self.lock().events.push_back(event);
        self.notify.notify_one();
    }

    /// Delivers what is queued, then closes the owner's channel.
    pub(crate) fn finish(&self) {
        self.lock().finished = true;
        self.notify.notify_one();
    }

    /// Whether its tab is gone (what is pushed now reaches nobody).
    pub(crate) fn is_finished(&self) -> bool {
        self.lock().finished
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        self.state.lock().expect("the outbox lock is never held across a panic")
    }
}

async fn forward(outbox: Arc<Outbox>, tx: mpsc::Sender<TabEvent>) {
    loop {
        let next = {
            let mut state = outbox.lock();
            match state.events.pop_front() {
                Some(event) => Some(event),
                None if state.late.is_some() => state.late.take().map(TabEvent::GuardLate),
                None => match (state.guard.take(), state.tick.take(), state.frame.take()) {
                    (Some(report), tick, frame) => {
                        // A tick older than the report says nothing new.
                        state.tick = tick.filter(|t| *t > report.time_ms);
                        state.frame = frame;
                        Some(TabEvent::Guard(report))
                    }
                    (None, Some(tick), frame) => {
                        state.frame = frame;
                        Some(TabEvent::GuardTick(tick))
                    }
                    (None, None, Some(frame)) => Some(TabEvent::Frame(frame)),
                    (None, None, None) if state.finished => return,
                    (None, None, None) => None,
                },
            }
        };
        match next {
            Some(event) => {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            None => outbox.notify.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u8) -> Frame {
        Frame {
            jpeg: Bytes::from(vec![n]),
            meta: FrameMeta { css_width: 1, css_height: 1, ..FrameMeta::default() },
        }
    }

    #[tokio::test]
    async fn a_slow_owner_gets_the_latest_frame_and_every_event() {
        let (tx, mut rx) = mpsc::channel(1);
        let outbox = Outbox::start(tx);
        for n in 0..10 {
            outbox.push_frame(frame(n));
        }
        outbox.push_event(TabEvent::Crashed);
        outbox.push_frame(frame(42));
        outbox.push_event(TabEvent::Lost);
        outbox.finish();
        let mut got = Vec::new();
        while let Some(event) = rx.recv().await {
            got.push(event);
        }
        assert!(got.iter().any(|e| matches!(e, TabEvent::Crashed)));
        assert!(
            matches!(got.last(), Some(TabEvent::Frame(f)) if f.jpeg[0] == 42)
                || matches!(got.last(), Some(TabEvent::Lost))
        );
        assert!(got.len() <= 5, "{got:?}");
    }

    #[tokio::test]
    async fn a_slow_owner_gets_the_latest_guard_report_before_the_latest_frame() {
        let (tx, mut rx) = mpsc::channel(1);
        let outbox = Outbox::start(tx);
        for seq in 1..=5 {
            outbox.push_guard(GuardReport { seq, ..GuardReport::default() });
            outbox.push_frame(frame(seq as u8));
        }
        outbox.finish();
        let mut got = Vec::new();
        while let Some(event) = rx.recv().await {
            got.push(event);
        }
        let last_guard = got.iter().rposition(|e| matches!(e, TabEvent::Guard(r) if r.seq == 5));
        let last_frame =
            got.iter().rposition(|e| matches!(e, TabEvent::Frame(f) if f.jpeg[0] == 5));
        assert!(last_guard.unwrap() < last_frame.unwrap(), "{got:?}");
        assert!(got.len() <= 6, "{got:?}");
    }

    #[test]
    fn only_frames_of_the_emulated_size_fit() {
        let phone =
            model::Viewport { width: 390, height: 606, device_scale_factor: 3.0, mobile: true };
        let meta = |w, h| FrameMeta { css_width: w, css_height: h, ..FrameMeta::default() };
        assert!(fits(&meta(390, 606), phone));
        assert!(fits(&meta(390, 605), phone), "a rounded half pixel");
        assert!(!fits(&meta(780, 1212), phone), "drawn during a screenshot");
        assert!(!fits(&meta(1280, 720), phone), "drawn before the emulation");
    }

    #[test]
    fn frames_are_decoded_with_their_metadata() {
        let params = json!({
            "data": "/9j/", "sessionId": 7,
            "metadata": { "deviceWidth": 390.0, "deviceHeight": 844.0, "scrollOffsetX": 0.0,
                          "scrollOffsetY": 120.5, "timestamp": 1700000000.25, "offsetTop": 0,
                          "pageScaleFactor": 1 }
        });
        let (frame, ack) = decode_frame(&params).unwrap();
        let frame = frame.unwrap();
        assert_eq!(ack, 7);
        assert_eq!(
            (frame.meta.css_width, frame.meta.css_height, frame.meta.scroll_y),
            (390, 844, 120.5)
        );
        assert_eq!(&frame.jpeg[..], &[0xff, 0xd8, 0xff]);
        assert_eq!(frame.meta.timestamp_ms, 1_700_000_000_250.0);
    }

    #[test]
    fn a_zoomed_pages_offset_is_in_the_pictures_units() {
        let params = json!({
            "data": "/9j/", "sessionId": 8,
            "metadata": { "deviceWidth": 390.0, "deviceHeight": 844.0, "scrollOffsetX": 20.0,
                          "scrollOffsetY": 100.0, "timestamp": 1.0, "pageScaleFactor": 2.5 }
        });
        let frame = decode_frame(&params).unwrap().0.unwrap();
        assert_eq!((frame.meta.scroll_x, frame.meta.scroll_y), (50.0, 250.0));
        assert_eq!((frame.meta.css_width, frame.meta.css_height), (390, 844));
    }
}
