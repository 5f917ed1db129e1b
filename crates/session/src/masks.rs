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
}

impl MaskTracker {
    /// The page went somewhere else: reports of other addresses no longer count.
    pub(crate) fn on_navigation(&mut self, url: &str) {
        if url != self.page_url {
            self.page_url = url.to_owned();
            self.reports.retain(|r| r.report.url == url);
        }
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

    /// Whether every report that can describe `frame` has arrived. A screencast frame shows
    /// the layout of an earlier animation frame (headless Chromium stamps a frame two
    /// animation frames after the one it was drawn in); once the guard has spoken for the
    /// frame's own time (give or take `FRAME_TIME_SLACK_MS`), the measurements around it are
    /// here. A script that changed the DOM after the guard measured at that time ("late") makes
    /// the frame wait for the guard's next animation frame, in case a frame ever shows the one
    /// it is stamped with. The guard's messages arrive in order, before the frames they
    /// describe (they are sent before the frame is painted).
    pub(crate) fn is_ready_for(&self, frame: &RawFrame) -> bool {
        let t = frame.timestamp_ms;
        let slack = browser::FRAME_TIME_SLACK_MS;
        self.seen_until_ms > t + slack
            || (self.seen_until_ms >= t - slack && self.late_ms < t - slack)
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
        // A frame from before the guard masked other things may come after the agent was
        // shown them masked (`plan_again_for`): it is covered by the latest report too, so what
        // was hidden stays hidden.
        let with_latest = with_latest || frame.timestamp_ms <= self.set_changed_ms;
        let fresh = self.last_heard.is_some_and(|t| now.duration_since(t) <= STALE_AFTER);
        // The report standing at the frame's time: the newest not after it (the frame's own
        // animation frame's report counts, a clock tick either side).
        let standing = self
            .reports
            .iter()
            .rposition(|r| r.report.time_ms <= frame.timestamp_ms + browser::FRAME_TIME_SLACK_MS);
        let Some(standing) = standing else { return MaskPlan::HideAll };
        if !fresh || self.reports[standing].report.url != self.page_url {
            return MaskPlan::HideAll;
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
        let near = |t: f64| (t - frame.timestamp_ms).abs() <= WINDOW_MS;
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
            motion_x = motion_x.max((frame.scroll_x - r.report.scroll_x).abs());
            motion_y = motion_y.max((frame.scroll_y - r.report.scroll_y).abs());
        }
        let mut rects: Vec<MaskRect> = Vec::new();
        for r in relevant {
            for g in &r.report.masked {
                let scrolled = Rect {
                    x: g.rect.x + r.report.scroll_x - frame.scroll_x,
                    y: g.rect.y + r.report.scroll_y - frame.scroll_y,
                    ..g.rect
                };
                // A sticky element is fixed only while stuck; between the place it was reported
                // at and the place it would have scrolled to, it can be anywhere.
                let rect = if g.fixed { hull(g.rect, scrolled) } else { scrolled };
                let rect = Rect {
                    x: rect.x - motion_x,
                    y: rect.y - motion_y,
                    width: rect.width + 2.0 * motion_x,
                    height: rect.height + 2.0 * motion_y,
                };
                if !(rect.x.is_finite()
                    && rect.y.is_finite()
                    && rect.width.is_finite()
                    && rect.height.is_finite())
                {
                    return MaskPlan::HideAll;
                }
                // The same place in several reports (a page moving elsewhere) is painted once.
                if !rects.iter().any(|m| m.rect == rect) {
                    rects.push(MaskRect { rect });
                }
            }
        }
        if rects.is_empty() {
            MaskPlan::Clear
        } else {
            MaskPlan::Rects(rects)
        }
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

/// The smallest rectangle holding both.
fn hull(a: Rect, b: Rect) -> Rect {
    let x = a.x.min(b.x);
    let y = a.y.min(b.y);
    Rect {
        x,
        y,
        width: (a.x + a.width).max(b.x + b.width) - x,
        height: (a.y + a.height).max(b.y + b.height) - y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use browser::GuardRect;

    fn frame(t: f64, scroll_y: f64) -> RawFrame {
        RawFrame {
            seq: 1,
            jpeg: bytes::Bytes::new(),
            css_width: 1280,
            css_height: 720,
            scroll_x: 0.0,
            scroll_y,
            timestamp_ms: t,
        }
    }

    fn report(url: &str, t: f64, scroll_y: f64, masked: Vec<GuardRect>) -> GuardReport {
        GuardReport {
            seq: 1,
            url: url.into(),
            time_ms: t,
            scroll_x: 0.0,
            scroll_y,
            masked,
            blocked: Vec::new(),
        }
    }

    fn field(y: f64, fixed: bool) -> GuardRect {
        GuardRect {
            rect: Rect { x: 10.0, y, width: 100.0, height: 20.0 },
            fixed,
            kind: "card_number".into(),
        }
    }

    fn ys(plan: &MaskPlan) -> Vec<f64> {
        match plan {
            MaskPlan::Rects(r) => r.iter().map(|m| m.rect.y).collect(),
            other => panic!("expected rects, got {other:?}"),
        }
    }

    const URL: &str = "http://shop/checkout";

    #[test]
    fn without_a_report_the_agent_sees_nothing() {
        let t = MaskTracker::default();
        assert!(!t.is_ready_for(&frame(1.0, 0.0)));
        assert_eq!(t.plan_for(&frame(1.0, 0.0), Instant::now()), MaskPlan::HideAll);
    }

    #[test]
    fn a_frame_waits_until_the_guard_has_spoken_for_its_animation_frame() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 100.0, 0.0, vec![field(50.0, false)]), now);
        assert!(!t.is_ready_for(&frame(116.7, 0.0)));
        // The guard measured in the frame's own animation frame (its clock coarsened).
        t.on_tick(116.6, now);
        assert!(t.is_ready_for(&frame(116.7, 0.0)));
        t.on_tick(116.8, now);
        assert!(t.is_ready_for(&frame(116.7, 0.0)));
    }

    #[test]
    fn a_dom_change_after_the_measurement_makes_its_frame_wait_for_the_next() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 116.7, 0.0, vec![field(50.0, false)]), now);
        t.on_late(116.7);
        assert!(!t.is_ready_for(&frame(116.7, 0.0)));
        t.on_report(report(URL, 133.4, 0.0, vec![field(90.0, false)]), now);
        assert!(t.is_ready_for(&frame(116.7, 0.0)));
        // Both layouts cover it: the one measured and the one after the change.
        assert_eq!(ys(&t.plan_for(&frame(116.7, 0.0), now)), vec![50.0, 90.0]);
        // A change after an earlier measurement holds no later frame back.
        assert!(t.is_ready_for(&frame(133.4, 0.0)));
    }

    #[test]
    fn rects_follow_the_frames_scroll_and_fixed_ones_cover_their_whole_range() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 100.0, 100.0, vec![field(300.0, false), field(5.0, true)]), now);
        // Both agree: the field moves exactly with the page.
        assert_eq!(ys(&t.plan_for(&frame(110.0, 100.0), now)), vec![300.0, 5.0]);
        // The frame is 40 px further down: the field moved up by 40 and, the page being in
        // motion, grows by 40 on each side; the fixed (or sticky) one covers everything between
        // where it is and where it would have scrolled to.
        let plan = t.plan_for(&frame(110.0, 140.0), now);
        assert_eq!(ys(&plan), vec![220.0, -75.0]);
        let MaskPlan::Rects(rects) = plan else { unreachable!() };
        assert_eq!(rects[0].rect.height, 100.0);
        assert_eq!(rects[1].rect.height, 20.0 + 40.0 + 80.0);
    }

    #[test]
    fn a_frame_is_covered_by_the_layouts_around_its_time() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 100.0, 0.0, vec![field(100.0, true)]), now);
        t.on_report(report(URL, 116.0, 0.0, vec![field(130.0, true)]), now);
        t.on_report(report(URL, 133.0, 0.0, vec![field(160.0, true)]), now);
        t.on_report(report(URL, 400.0, 0.0, vec![field(190.0, true)]), now);
        // A frame of time 120 shows a layout from around its time, not the much later one.
        assert_eq!(ys(&t.plan_for(&frame(120.0, 0.0), now)), vec![100.0, 130.0, 160.0]);
        // Much later, still every one of the last layouts (it may show any of them).
        t.on_report(report(URL, 600.0, 0.0, vec![field(220.0, true)]), now);
        assert_eq!(
            ys(&t.plan_for(&frame(620.0, 0.0), now)),
            vec![100.0, 130.0, 160.0, 190.0, 220.0]
        );
    }

    #[test]
    fn a_frame_drawn_long_after_its_layout_is_still_covered() {
        // A busy machine: the frame is stamped long after the animation frame whose layout it
        // shows, up to `MAX_FRAMES_BEHIND` animation frames behind the last one the guard
        // measured before its time. The guard measured twice in some animation frames (before
        // and after a script's change).
        assert_eq!(browser::MAX_FRAMES_BEHIND, 5);
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        let times =
            [1400.0, 1500.0, 1600.0, 1600.0, 1700.0, 1800.0, 1800.0, 1900.0, 2000.0, 2100.0];
        for (i, time) in times.into_iter().enumerate() {
            t.on_report(report(URL, time, 0.0, vec![field(10.0 * i as f64, true)]), now);
        }
        // At 2010 the standing animation frame is 2000's: the five before it count, 1400's does
        // not; 2100's is within the window of the frame's time.
        assert_eq!(
            ys(&t.plan_for(&frame(2010.0, 0.0), now)),
            vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
        );
        // Where nothing moved, one rectangle for all of them.
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        for time in [1000.0, 1016.0, 1033.0, 1050.0] {
            t.on_report(report(URL, time, 0.0, vec![field(50.0, true)]), now);
        }
        assert_eq!(ys(&t.plan_for(&frame(1050.0, 0.0), now)), vec![50.0]);
    }

    #[test]
    fn another_address_or_a_silent_guard_hides_everything() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation("http://shop/a");
        t.on_report(report("http://shop/a", 10.0, 0.0, vec![]), now);
        assert_eq!(t.plan_for(&frame(20.0, 0.0), now), MaskPlan::Clear);
        t.on_navigation("http://shop/b");
        assert_eq!(t.plan_for(&frame(20.0, 0.0), now), MaskPlan::HideAll);
        t.on_report(report("http://shop/b", 30.0, 0.0, vec![]), now);
        assert_eq!(t.plan_for(&frame(40.0, 0.0), now), MaskPlan::Clear);
        assert_eq!(t.plan_for(&frame(40.0, 0.0), now + Duration::from_secs(3)), MaskPlan::HideAll);
        // A frame from before any report of this page shows an unknown layout.
        assert_eq!(t.plan_for(&frame(25.0, 0.0), now), MaskPlan::HideAll);
    }

    #[test]
    fn a_frame_shown_again_gets_what_the_latest_report_masks_too() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        let first = t.on_report(report(URL, 100.0, 0.0, vec![field(50.0, false)]), now);
        assert_eq!(first, ReportChange { outlines: true, masked_set: true });
        let f = frame(120.0, 0.0);
        assert_eq!(ys(&t.plan_for(&f, now)), vec![50.0]);
        // Moved: the same things are masked elsewhere.
        let moved = t.on_report(report(URL, 130.0, 0.0, vec![field(60.0, false)]), now);
        assert_eq!(moved, ReportChange { outlines: true, masked_set: false });
        // Much later a company rule masks one more thing (scrolled by 20 since the frame).
        let mut more = report(URL, 900.0, 20.0, vec![field(40.0, false), field(200.0, false)]);
        more.masked[1].kind = "company_rule".into();
        assert!(t.on_report(more, now).masked_set);
        // Shown again, the frame is covered by it too, where the frame shows it (20 further
        // down), every rectangle grown by the scroll since (the first field's latest place is
        // where it was at 130, painted once). And as the frame is older than the report that
        // masks more, a plan made for it now is the same.
        assert_eq!(ys(&t.plan_again_for(&f, now)), vec![30.0, 40.0, 200.0]);
        assert_eq!(ys(&t.plan_for(&f, now)), vec![30.0, 40.0, 200.0]);
    }

    #[test]
    fn nonsense_rects_hide_everything() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 1.0, f64::NAN, vec![field(1.0, false)]), now);
        assert_eq!(t.plan_for(&frame(2.0, 0.0), now), MaskPlan::HideAll);
    }

    #[test]
    fn a_frame_from_before_something_new_was_masked_is_covered_by_the_latest_report_too() {
        let now = Instant::now();
        let mut t = MaskTracker::default();
        t.on_navigation(URL);
        t.on_report(report(URL, 100.0, 0.0, vec![field(50.0, false)]), now);
        // A company rule masks a second element from 200 ms on.
        let change = t
            .on_report(report(URL, 200.0, 0.0, vec![field(50.0, false), field(300.0, false)]), now);
        assert!(change.masked_set);
        // A frame stamped before that (still on its way) gets the new mask as well, so the
        // agent, shown the element masked already, does not see it again.
        assert_eq!(ys(&t.plan_for(&frame(120.0, 0.0), now)), vec![50.0, 300.0]);
        // Frames after it are covered by the reports of their own time, as always.
        t.on_report(report(URL, 300.0, 0.0, vec![field(60.0, false), field(300.0, false)]), now);
        assert_eq!(ys(&t.plan_for(&frame(316.0, 0.0), now)), vec![50.0, 300.0, 60.0]);
    }
}
