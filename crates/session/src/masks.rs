//! Which mask plan each agent frame gets, sans-IO.
//!
//! The guard script in the page reports the rectangles of masked and blocked elements
//! (with the scroll offset they were measured at). A frame is paired with the latest
//! reports: rectangles that scroll with the page are moved by the difference between the
//! report's and the frame's scroll offset, fixed ones stay. While things move, the union of
//! every layout the frame may show is painted (those of the last few animation frames before
//! its time, and those near its time). When the reports are not known to be current for the
//! page on screen (no report yet, another address, a silent guard), the whole frame is
//! hidden: when in doubt, hide.

use browser::GuardReport;
use frames::{MaskPlan, MaskRect, RawFrame};
use geometry::{add, exact, grown, hull, plan_of};
use model::Rect;
use std::time::{Duration, Instant};

/// A guard that has not spoken for this long is not trusted. It is silent while the page is
/// still, but a frame it has not spoken for waits for it (and makes the tab ask it), so a frame
/// planned this long after it last spoke is one from long ago.
const STALE_AFTER: Duration = Duration::from_millis(2500);

struct Report {
    report: GuardReport,
}

/// Reports kept for pairing with frames (a second of busy animation at most).
const N_KEPT: usize = 60;
/// Reports this much older or newer than a frame's time are candidates for what it shows on a
/// quiet machine, whatever the count of animation frames between.
const WINDOW_MS: f64 = 100.0;

/// The latest guard reports of one session's page.
#[derive(Default)]
pub(crate) struct MaskTracker {
    /// Newest last.
    reports: std::collections::VecDeque<Report>,
    /// The latest animation-frame time the guard has spoken for (report or tick).
    seen_until_ms: f64,
    /// The latest measurement time after which a script changed the DOM in the same frame.
    late_ms: f64,
    /// When the guard last spoke.
    last_heard: Option<Instant>,
    /// The page address on screen (from navigation events).
    page_url: String,
    /// The time of the latest report that masks other things than the one before it (a company
    /// rule, a field that appeared).
    set_changed_ms: f64,
    /// The time of the first report of the layout the latest report measures (reports that
    /// measure the same layout again, a heartbeat, do not move it).
    layout_since_ms: f64,
    /// The page came to rest on that layout: every frame drawn from this time on shows it, so
    /// it masks them exactly (`settle`).
    settled: Option<Settled>,
    /// Times (frames' timestamps) when the page showed something agents may not see at all (a
    /// PDF): from when, and until when once it went. Oldest first, the last `N_HIDDEN`.
    hidden: std::collections::VecDeque<(f64, Option<f64>)>,
    /// When the page last went from such a thing to another document.
    shown_again_ms: f64,
}

/// Spans of hidden times kept (frames wait at most `feed::MASK_WAIT`, so older ones never
/// matter).
const N_HIDDEN: usize = 8;

/// A layout the page rests on, and from when on frames show it.
#[derive(Clone, Copy, PartialEq)]
struct Settled {
    layout_since_ms: f64,
    drawn_from_ms: f64,
}

/// How far an exact mask reaches past the field's box, in CSS pixels (anti-aliased edges, a
/// focus ring).
const EXACT_MARGIN: f64 = 2.0;

impl MaskTracker {
    /// The page went somewhere else: reports of other addresses no longer count.
    pub(crate) fn on_navigation(&mut self, url: &str) {
        if url != self.page_url {
            self.page_url = url.to_owned();
            self.reports.retain(|r| r.report.url == url);
            self.settled = None;
        }
    }

    /// From `since_ms` on, frames may show what agents may not see at all: they are hidden
    /// whole until `show_whole_from`. A start from before the page last went to another
    /// document is of a response that never reached it, and changes nothing.
    pub(crate) fn hide_whole_from(&mut self, since_ms: f64) {
        if since_ms < self.shown_again_ms {
            return;
        }
        if self.hidden.back().is_some_and(|(_, until)| until.is_none()) {
            return;
        }
        self.hidden.push_back((since_ms, None));
        while self.hidden.len() > N_HIDDEN {
            self.hidden.pop_front();
        }
    }

    /// The page went to another document at `until_ms`: frames from then on are planned as usual.
    pub(crate) fn show_whole_from(&mut self, until_ms: f64) {
        self.shown_again_ms = self.shown_again_ms.max(until_ms);
        if let Some((since, until)) = self.hidden.back_mut() {
            if until.is_none() {
                *until = Some(until_ms.max(*since));
            }
        }
    }

    /// Whether a frame drawn at `time_ms` is hidden whole.
    pub(crate) fn is_hidden_whole(&self, time_ms: f64) -> bool {
        self.hidden
            .iter()
            .any(|(since, until)| time_ms >= *since && until.is_none_or(|u| time_ms < u))
    }

    /// A new report; says what changed.
    pub(crate) fn on_report(&mut self, report: GuardReport, now: Instant) -> ReportChange {
        let change = match self.reports.back() {
            None => ReportChange { outlines: true, masked_set: !report.masked.is_empty() },
            Some(c) => ReportChange {
                outlines: c.report.masked != report.masked
                    || c.report.blocked != report.blocked
                    || c.report.url != report.url,
                masked_set: c.report.masked.len() != report.masked.len()
                    || c.report.masked.iter().zip(&report.masked).any(|(a, b)| a.kind != b.kind),
            },
        };
        if change.masked_set {
            self.set_changed_ms = self.set_changed_ms.max(report.time_ms);
        }
        let same_layout = self.reports.back().is_some_and(|c| {
            (
                &c.report.url,
                c.report.scroll_x,
                c.report.scroll_y,
                &c.report.masked,
                &c.report.blocked,
            ) == (&report.url, report.scroll_x, report.scroll_y, &report.masked, &report.blocked)
        });
        if !same_layout {
            self.layout_since_ms = report.time_ms;
            self.settled = None;
        }
        if report.url != self.page_url {
            // The guard of the new document speaks before the navigation event arrives.
            self.page_url = report.url.clone();
            self.reports.clear();
        }
        self.seen_until_ms = self.seen_until_ms.max(report.time_ms);
        self.last_heard = Some(now);
        self.reports.push_back(Report { report });
        while self.reports.len() > N_KEPT {
            self.reports.pop_front();
        }
        change
    }

    /// The guard saw an animation frame at `time_ms` with nothing changed.
    pub(crate) fn on_tick(&mut self, time_ms: f64, now: Instant) {
        self.seen_until_ms = self.seen_until_ms.max(time_ms);
        self.last_heard = Some(now);
    }

    /// A script changed the DOM after the guard measured at `time_ms`.
    pub(crate) fn on_late(&mut self, time_ms: f64) {
        self.late_ms = self.late_ms.max(time_ms);
    }

    /// Whether the guard has measured the animation frame of a frame stamped `time_ms`. It
    /// measures only while the page moves (or when asked), so a frame it has not may show a
    /// change it was not told of (a caret, a video, a canvas): the tab asks it then.
    pub(crate) fn has_measured(&self, time_ms: f64) -> bool {
        time_ms <= self.seen_until_ms + browser::FRAME_TIME_SLACK_MS
    }

    /// Whether every report that can describe `frame` has arrived. A screencast frame shows
    /// the layout of an earlier animation frame (headless Chromium stamps a frame two
    /// animation frames after the one it was drawn in); once the guard has spoken for the
    /// frame's own time (give or take `FRAME_TIME_SLACK_MS`), the measurements around it are
    /// here. A script that changed the DOM after the guard measured at that time ("late") makes
    /// the frame wait for the guard's next animation frame, in case a frame ever shows the one
    /// it is stamped with. The guard's messages arrive in order, before the frames they
    /// describe (they are sent before the frame is painted).
    pub(crate) fn is_ready_for(&self, frame: &RawFrame) -> bool {
        let t = frame.meta.timestamp_ms;
        let slack = browser::FRAME_TIME_SLACK_MS;
        self.seen_until_ms > t + slack
            || (self.seen_until_ms >= t - slack && self.late_ms < t - slack)
    }

    /// The page is at rest: the guard measured an animation frame after its latest layout
    /// appeared (and after any late change) and found nothing moved. Gives that layout's mark
    /// for `settle`: a picture drawn from now on shows it.
    pub(crate) fn resting(&self, now: Instant) -> Option<f64> {
        let latest = self.reports.back()?;
        let fresh = self.last_heard.is_some_and(|t| now.duration_since(t) <= STALE_AFTER);
        let rests = self.seen_until_ms > self.layout_since_ms && self.seen_until_ms > self.late_ms;
        (fresh && rests && latest.report.url == self.page_url).then_some(self.layout_since_ms)
    }

    /// The page rests on the layout `mark` (`resting`), as known at `from_ms`: every frame
    /// drawn from then on shows that layout until the guard reports another, so a frame the
    /// guard has spoken for gets exact masks (`is_exact_for`). Says whether it is so (false:
    /// the page moved since `mark`).
    pub(crate) fn settle(&mut self, mark: f64, from_ms: f64, now: Instant) -> bool {
        let still = self.resting(now) == Some(mark);
        if still {
            self.settled = Some(Settled { layout_since_ms: mark, drawn_from_ms: from_ms });
        }
        still
    }

    /// Whether the guard has measured after `time_ms` (its word on a picture taken then).
    pub(crate) fn has_spoken_after(&self, time_ms: f64) -> bool {
        self.seen_until_ms > time_ms
    }

    /// Whether `frame` gets exact masks: the page rests, and the frame was drawn since it
    /// settled, at the scroll offset the resting layout was measured at.
    pub(crate) fn is_exact_for(&self, frame: &RawFrame) -> bool {
        let Some(latest) = self.reports.back() else { return false };
        if self.is_hidden_whole(frame.meta.timestamp_ms) {
            return false;
        }
        let same_scroll = (latest.report.scroll_x - frame.meta.scroll_x).abs() < 0.5
            && (latest.report.scroll_y - frame.meta.scroll_y).abs() < 0.5;
        same_scroll
            && self.settled.is_some_and(|s| {
                s.layout_since_ms == self.layout_since_ms
                    && frame.meta.timestamp_ms >= s.drawn_from_ms
            })
    }

    /// The plan for an agent's copy of `frame`.
    pub(crate) fn plan_for(&self, frame: &RawFrame, now: Instant) -> MaskPlan {
        self.plan(frame, now, false)
    }

    /// The plan for showing `frame` again now that the guard masks more or other things on a
    /// page that has not drawn since (a company rule changed, a field appeared): what covered it
    /// before, and what the latest report covers.
    pub(crate) fn plan_again_for(&self, frame: &RawFrame, now: Instant) -> MaskPlan {
        self.plan(frame, now, true)
    }

    fn plan(&self, frame: &RawFrame, now: Instant, with_latest: bool) -> MaskPlan {
        if self.is_hidden_whole(frame.meta.timestamp_ms) {
            return MaskPlan::HideAll;
        }
        // A frame from before the guard masked other things may come after the agent was
        // shown them masked (`plan_again_for`): it is covered by the latest report too, so what
        // was hidden stays hidden.
        let with_latest = with_latest || frame.meta.timestamp_ms <= self.set_changed_ms;
        let fresh = self.last_heard.is_some_and(|t| now.duration_since(t) <= STALE_AFTER);
        // The report standing at the frame's time: the newest not after it (the frame's own
        // animation frame's report counts, a clock tick either side).
        let standing = self.reports.iter().rposition(|r| {
            r.report.time_ms <= frame.meta.timestamp_ms + browser::FRAME_TIME_SLACK_MS
        });
        let Some(standing) = standing else { return MaskPlan::HideAll };
        if !fresh || self.reports[standing].report.url != self.page_url {
            return MaskPlan::HideAll;
        }
        if self.is_exact_for(frame) {
            if let Some(latest) = self.reports.back() {
                return exact(&latest.report);
            }
        }
        // A frame's timestamp is when Chromium drew it, which trails the animation frame whose
        // layout it shows: by two frames on a quiet machine, by 200 ms and more on a busy one,
        // but by only a few animation frames (`browser::MAX_FRAMES_BEHIND`). The reports of the
        // standing animation frame and of those before it, and every report within the window
        // around the frame's time, are candidates for what it shows.
        let mut first = standing;
        let mut n_behind = 0;
        while first > 0 {
            if self.reports[first - 1].report.time_ms < self.reports[first].report.time_ms {
                if n_behind == browser::MAX_FRAMES_BEHIND {
                    break;
                }
                n_behind += 1;
            }
            first -= 1;
        }
        let near = |t: f64| (t - frame.meta.timestamp_ms).abs() <= WINDOW_MS;
        let relevant: Vec<&Report> = self
            .reports
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                (*i >= first && *i <= standing)
                    || near(r.report.time_ms)
                    || (with_latest
                        && *i + 1 == self.reports.len()
                        && r.report.url == self.page_url)
            })
            .map(|(_, r)| r)
            .collect();
        // While the page moves, a frame's pixels may be a step ahead of or behind the reports:
        // grow every rectangle by the largest movement among them.
        let (mut motion_x, mut motion_y) = (0.0f64, 0.0f64);
        for r in &relevant {
            motion_x = motion_x.max((frame.meta.scroll_x - r.report.scroll_x).abs());
            motion_y = motion_y.max((frame.meta.scroll_y - r.report.scroll_y).abs());
        }
        let mut rects: Vec<MaskRect> = Vec::new();
        for r in relevant {
            for g in &r.report.masked {
                let scrolled = Rect {
                    x: g.rect.x + r.report.scroll_x - frame.meta.scroll_x,
                    y: g.rect.y + r.report.scroll_y - frame.meta.scroll_y,
                    ..g.rect
                };
                // A sticky element is fixed only while stuck; between the place it was reported
                // at and the place it would have scrolled to, it can be anywhere.
                let rect = if g.fixed { hull(g.rect, scrolled) } else { scrolled };
                if !add(&mut rects, grown(rect, motion_x, motion_y)) {
                    return MaskPlan::HideAll;
                }
            }
        }
        plan_of(rects)
    }

    /// Whether the latest report masks or reserves anything.
    pub(crate) fn has_marks(&self) -> bool {
        self.reports
            .back()
            .is_some_and(|c| !c.report.masked.is_empty() || !c.report.blocked.is_empty())
    }

    /// What agents see marked over a picture masked exactly by the latest report: the masked
    /// fields with what they are called (no value: a label, `redact`ed like titles), and the
    /// controls only the customer may use.
    pub(crate) fn agent_marks(&self) -> protocol::ServerMessage {
        let (masked, blocked) = self.outlines();
        let labels = match self.reports.back() {
            Some(c) if c.report.url == self.page_url => {
                c.report.masked.iter().map(|g| policy::redact::redact_text(&g.label)).collect()
            }
            _ => Vec::new(),
        };
        protocol::ServerMessage::Masks { masked, blocked, labels }
    }

    /// What the customer sees outlined: the latest report's rectangles, in viewport pixels.
    pub(crate) fn outlines(&self) -> (Vec<Rect>, Vec<Rect>) {
        match self.reports.back() {
            Some(c) if c.report.url == self.page_url => (
                c.report.masked.iter().map(|g| g.rect).collect(),
                c.report.blocked.iter().map(|g| g.rect).collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        }
    }
}

/// What a guard report changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReportChange {
    /// What the customer sees outlined (masked or blocked rectangles, or the address).
    pub(crate) outlines: bool,
    /// Which things are masked (their number or kinds), not only where they are.
    pub(crate) masked_set: bool,
}

mod geometry;

#[cfg(test)]
mod tests;
