//! Pairing frames with the guard's reports, case by case.

use super::*;
use browser::GuardRect;

fn frame(t: f64, scroll_y: f64) -> RawFrame {
    RawFrame {
        seq: 1,
        jpeg: bytes::Bytes::new(),
        meta: model::FrameMeta {
            css_width: 1280,
            css_height: 720,
            scroll_x: 0.0,
            scroll_y,
            timestamp_ms: t,
        },
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
        label: String::new(),
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
    assert_eq!(ys(&t.plan_for(&frame(620.0, 0.0), now)), vec![100.0, 130.0, 160.0, 190.0, 220.0]);
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
    let times = [1400.0, 1500.0, 1600.0, 1600.0, 1700.0, 1800.0, 1800.0, 1900.0, 2000.0, 2100.0];
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
    let change =
        t.on_report(report(URL, 200.0, 0.0, vec![field(50.0, false), field(300.0, false)]), now);
    assert!(change.masked_set);
    // A frame stamped before that (still on its way) gets the new mask as well, so the
    // agent, shown the element masked already, does not see it again.
    assert_eq!(ys(&t.plan_for(&frame(120.0, 0.0), now)), vec![50.0, 300.0]);
    // Frames after it are covered by the reports of their own time, as always.
    t.on_report(report(URL, 300.0, 0.0, vec![field(60.0, false), field(300.0, false)]), now);
    assert_eq!(ys(&t.plan_for(&frame(316.0, 0.0), now)), vec![50.0, 300.0, 60.0]);
}

#[test]
fn once_the_page_rests_a_picture_drawn_after_gets_the_resting_layout_alone() {
    // See: issue 9 (after a scroll, the agent's view stayed covered by one wide block).
    let now = Instant::now();
    let mut t = MaskTracker::default();
    t.on_navigation(URL);
    // A scroll: each animation frame moves the field up.
    for (i, y) in [200.0, 160.0, 120.0, 80.0].into_iter().enumerate() {
        let at = 100.0 + 16.7 * i as f64;
        t.on_report(report(URL, at, 200.0 - y, vec![field(y, false)]), now);
    }
    let last = frame(170.0, 120.0);
    let MaskPlan::Rects(wide) = t.plan_for(&last, now) else { panic!("masked") };
    assert!(wide[0].rect.height > 200.0, "moving: grown by the movement, {wide:?}");
    assert!(!t.is_exact_for(&last));
    // Not resting until the guard measured a later animation frame with nothing changed.
    assert_eq!(t.resting(now), None);
    t.on_tick(167.0, now);
    let mark = t.resting(now).expect("the page rests");
    // The same layout measured again (a heartbeat) keeps it resting.
    t.on_report(report(URL, 180.0, 120.0, vec![field(80.0, false)]), now);
    assert_eq!(t.resting(now), Some(mark));
    // Known at 190: frames drawn from then on show it.
    assert!(t.settle(mark, 190.0, now));
    let picture = frame(190.0, 120.0);
    assert!(t.is_exact_for(&picture));
    let MaskPlan::Rects(rects) = t.plan_for(&picture, now) else { panic!("masked") };
    assert_eq!(rects.len(), 1, "one field, once");
    assert_eq!(
        rects[0].rect,
        Rect { x: 8.0, y: 78.0, width: 104.0, height: 24.0 },
        "its box and a margin"
    );
    // Frames drawn before the picture was asked for may show earlier layouts.
    assert!(!t.is_exact_for(&last));
    // Another scroll offset, or a move of the page, ends it.
    assert!(!t.is_exact_for(&frame(250.0, 100.0)));
    t.on_report(report(URL, 260.0, 130.0, vec![field(70.0, false)]), now);
    assert!(!t.is_exact_for(&frame(270.0, 130.0)));
    assert_eq!(t.resting(now), None);
}

#[test]
fn a_page_that_moved_after_the_picture_was_asked_for_never_settles() {
    let now = Instant::now();
    let mut t = MaskTracker::default();
    t.on_navigation(URL);
    t.on_report(report(URL, 100.0, 0.0, vec![field(50.0, false)]), now);
    t.on_tick(120.0, now);
    let mark = t.resting(now).unwrap();
    t.on_report(report(URL, 140.0, 0.0, vec![field(60.0, false)]), now);
    t.on_tick(200.0, now);
    assert!(!t.settle(mark, 150.0, now));
    assert!(!t.is_exact_for(&frame(130.0, 0.0)));
}

#[test]
fn a_page_agents_may_not_see_at_all_hides_its_frames_whole_by_time() {
    let now = Instant::now();
    let mut t = MaskTracker::default();
    t.on_navigation(URL);
    t.on_report(report(URL, 100.0, 0.0, vec![]), now);
    t.on_tick(400.0, now);
    assert_eq!(t.plan_for(&frame(150.0, 0.0), now), MaskPlan::Clear);
    t.hide_whole_from(200.0);
    assert_eq!(t.plan_for(&frame(150.0, 0.0), now), MaskPlan::Clear, "drawn before");
    assert_eq!(t.plan_for(&frame(250.0, 0.0), now), MaskPlan::HideAll);
    assert!(!t.is_exact_for(&frame(250.0, 0.0)));
    t.show_whole_from(300.0);
    assert_eq!(t.plan_for(&frame(299.0, 0.0), now), MaskPlan::HideAll, "a late frame of it");
    assert_eq!(t.plan_for(&frame(320.0, 0.0), now), MaskPlan::Clear);
    // A response stopped before the page went elsewhere never reached it.
    t.hide_whole_from(280.0);
    assert_eq!(t.plan_for(&frame(320.0, 0.0), now), MaskPlan::Clear);
    t.hide_whole_from(350.0);
    assert_eq!(t.plan_for(&frame(360.0, 0.0), now), MaskPlan::HideAll);
    assert_eq!(t.plan_for(&frame(250.0, 0.0), now), MaskPlan::HideAll, "the first span is kept");
}
