//! Page state, history, and new windows that open in place.

use browser::{Input, Modifiers, MouseButton, MouseKind};

use crate::support::{self, wait_page};

#[tokio::test]
async fn page_info_follows_navigation_and_history() {
    let (browser, site) = support::start().await;
    let plain = support::url(site, "/plain").to_string();
    let target = support::url(site, "/target");
    let (tab, mut rx) =
        browser.new_tab(support::options(support::url(site, "/plain"))).await.expect("tab opens");
    wait_page(&mut rx, |p| p.url == plain && !p.loading && p.title == "Plain").await;

    tab.navigate(&target).await.unwrap();
    let page =
        wait_page(&mut rx, |p| p.url == target.as_str() && p.can_go_back && p.title == "Target")
            .await;
    assert!(!page.can_go_forward);

    tab.back().await.unwrap();
    wait_page(&mut rx, |p| p.url == plain && p.can_go_forward && !p.can_go_back).await;
    tab.forward().await.unwrap();
    wait_page(&mut rx, |p| p.url == target.as_str()).await;
    tab.reload().await.unwrap();

    let refused = tab.navigate(&url::Url::parse("file:///etc/passwd").unwrap()).await;
    assert!(refused.is_err(), "only web addresses open");
    browser.shutdown().await;
}

#[tokio::test]
async fn new_windows_open_in_the_same_tab() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/popup")).await;
    for (kind, button, buttons) in [
        (MouseKind::Move, MouseButton::None, 0),
        (MouseKind::Down, MouseButton::Left, 1),
        (MouseKind::Up, MouseButton::Left, 0),
    ] {
        let input = Input::Mouse {
            kind,
            x: 50.0,
            y: 25.0,
            button,
            buttons,
            click_count: 1,
            modifiers: Modifiers::default(),
        };
        tab.dispatch(input).await.unwrap();
    }
    let target = support::url(site, "/target").to_string();
    wait_page(&mut rx, |p| p.url == target).await;

    tab.evaluate("window.open('/target?second'); 1").await.unwrap();
    let second = support::url(site, "/target?second").to_string();
    wait_page(&mut rx, |p| p.url == second).await;

    tab.evaluate("const w = window.open(''); w.location = '/plain?late'; 1").await.unwrap();
    let late = support::url(site, "/plain?late").to_string();
    wait_page(&mut rx, |p| p.url == late).await;
    browser.shutdown().await;
}

#[tokio::test]
async fn a_crashed_page_is_reported_and_reloaded() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/plain")).await;
    tab.evaluate("window.marker = 1").await.unwrap();
    tab.crash_renderer();
    tokio::time::timeout(support::WAIT, async {
        while !matches!(rx.recv().await, Some(browser::TabEvent::Crashed)) {}
    })
    .await
    .expect("the crash is reported");
    support::eventually(&tab, "document.title + (window.marker || 0)", serde_json::json!("Plain0"))
        .await;
    support::wait_frame(&mut rx, |_| true).await;
    browser.shutdown().await;
}

#[tokio::test]
async fn the_locale_reaches_the_page_and_its_requests() {
    let (browser, site) = support::start().await;
    let mut opts = support::options(support::url(site, "/plain"));
    opts.locale = Some("de-DE".into());
    let (tab, mut rx) = browser.new_tab(opts).await.unwrap();
    wait_page(&mut rx, |p| p.title == "Plain").await;
    assert_eq!(tab.evaluate("navigator.language").await.unwrap(), "de-DE");
    assert_eq!(tab.evaluate("new Intl.NumberFormat().format(1234.5)").await.unwrap(), "1.234,5");
    let ua = tab.evaluate("navigator.userAgent").await.unwrap();
    assert!(!ua.as_str().unwrap().contains("Headless"), "{ua}");
    tab.navigate(&support::url(site, "/headers")).await.unwrap();
    support::eventually(
        &tab,
        "document.body ? document.body.innerText.includes('accept-language: de-de,de;q=0.9') : false",
        serde_json::json!(true),
    )
    .await;
    browser.shutdown().await;
}
