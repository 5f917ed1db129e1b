//! Frames arrive at the viewport's size and follow its changes.

use browser::TabEvent;

use crate::support::{self, wait_frame};

#[tokio::test]
async fn frames_have_the_viewport_size_and_follow_it() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) =
        browser.new_tab(support::options(support::url(site, "/form"))).await.unwrap();
    let frame = wait_frame(&mut rx, |_| true).await;
    assert_eq!((frame.meta.css_width, frame.meta.css_height), (1280, 720));
    assert_eq!(&frame.jpeg[..2], &[0xff, 0xd8], "frames are JPEG");

    let phone = model::Viewport { width: 390, height: 844, device_scale_factor: 2.0, mobile: true };
    tab.set_viewport(phone).await.unwrap();
    let frame = wait_frame(&mut rx, |f| f.meta.css_width == 390).await;
    assert_eq!(frame.meta.css_height, 844);
    assert_eq!(tab.evaluate("screen.width").await.unwrap(), 390);

    tab.close().await.unwrap();
    tab.close().await.unwrap();
    assert!(tab.evaluate("1").await.is_err(), "a closed tab refuses commands");
    while let Ok(Some(event)) =
        tokio::time::timeout(std::time::Duration::from_secs(1), rx.recv()).await
    {
        assert!(!matches!(event, TabEvent::Lost), "closing is not losing");
    }
    browser.shutdown().await;
}

/// The masking pairs a frame with the guard's reports of the animation frames before its
/// timestamp: the layout a frame shows is one of the last `MAX_FRAMES_BEHIND + 1` animation
/// frames the guard measured. A page that scrolls to a new offset on every animation frame
/// tells which one each frame shows.
#[tokio::test]
async fn a_frame_shows_one_of_the_last_few_animation_frames() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/scroller")).await;
    // (animation frame time, scroll offset), in the order the guard measured them.
    let mut measured: Vec<(f64, f64)> = Vec::new();
    let mut behind = vec![0usize; browser::MAX_FRAMES_BEHIND + 2];
    let (mut n_frames, mut n_unmatched) = (0, 0);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while n_frames < 300 {
        let event = tokio::time::timeout_at(deadline, rx.recv()).await;
        match event.expect("300 frames within a minute").expect("tab events go on") {
            TabEvent::Guard(report) => measured.push((report.time_ms, report.scroll_y)),
            TabEvent::Frame(frame) if !measured.is_empty() => {
                let t = frame.meta.timestamp_ms + browser::FRAME_TIME_SLACK_MS;
                let standing = measured.iter().rposition(|(time, _)| *time <= t);
                let shown =
                    measured.iter().rposition(|(_, y)| (*y - frame.meta.scroll_y).abs() < 0.5);
                let (Some(standing), Some(shown)) = (standing, shown) else {
                    // The first frames after the listening began may show layouts measured
                    // before it: as many as a frame may trail, no more.
                    n_unmatched += 1;
                    assert!(
                        n_unmatched <= browser::MAX_FRAMES_BEHIND + 1,
                        "frames show layouts the guard never measured"
                    );
                    continue;
                };
                assert!(shown <= standing, "a frame shows a layout from after its timestamp");
                behind[(standing - shown).min(browser::MAX_FRAMES_BEHIND + 1)] += 1;
                n_frames += 1;
            }
            _ => {}
        }
    }
    eprintln!("frames by animation frames behind the last one measured before them: {behind:?}");
    assert_eq!(
        behind[browser::MAX_FRAMES_BEHIND + 1],
        0,
        "frames showed layouts more than {} animation frames old",
        browser::MAX_FRAMES_BEHIND
    );
    tab.close().await.unwrap();
    browser.shutdown().await;
}
