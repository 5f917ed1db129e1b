//! A dead Chromium is noticed at once and replaced; Chromium never runs as root.

use std::time::{Duration, Instant};

use browser::TabEvent;

use crate::support::{self, wait_frame};

#[tokio::test]
async fn killed_chromium_is_noticed_within_a_second_and_replaced() {
    let (browser, site) = support::start().await;
    let (_tab, mut rx) = support::open(&browser, support::url(site, "/plain")).await;
    assert!(browser.is_healthy());
    assert!(browser.version().starts_with("Chromium/"), "{}", browser.version());
    let pid = browser.pid().unwrap();

    let killed_at = Instant::now();
    let status =
        std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(status.success());
    let lost = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match rx.recv().await {
                Some(TabEvent::Lost) => return true,
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await;
    assert_eq!(lost, Ok(true), "the tab learns of the dead browser within 1 s");
    assert!(killed_at.elapsed() < Duration::from_secs(1));

    let (_tab, mut rx) =
        browser.new_tab(support::options(support::url(site, "/form"))).await.unwrap();
    wait_frame(&mut rx, |_| true).await;
    assert!(browser.is_healthy());
    assert_ne!(browser.pid(), Some(pid));
    browser.shutdown().await;
    assert!(!browser.is_healthy());
}

#[tokio::test]
async fn chromium_does_not_run_as_root() {
    let (browser, _site) = support::start().await;
    let pid = browser.pid().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uids: Vec<u32> = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(uids.iter().all(|uid| *uid != 0), "chromium runs as root: {uids:?}");
    browser.shutdown().await;
}
