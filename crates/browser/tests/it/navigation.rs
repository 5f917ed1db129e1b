//! Page state, history, languages, and new windows that become tabs.

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
async fn new_windows_become_tabs_of_the_same_context() {
    let (browser, site) = support::start().await;
    let opts = support::options(support::url(site, "/popup"));
    let (context, mut new_tabs) = browser.new_context(&opts).await.unwrap();
    let (tab, mut rx) = context.open_tab(&opts.url, true).await.unwrap();
    wait_page(&mut rx, |p| p.title == "Popup").await;
    tab.evaluate("document.cookie = 'shared=yes; path=/'").await.unwrap();
    let click = |modifiers: Modifiers, button: MouseButton, held: u8| {
        [
            (MouseKind::Move, MouseButton::None, 0),
            (MouseKind::Down, button, held),
            (MouseKind::Up, button, 0),
        ]
        .map(|(kind, button, buttons)| Input::Mouse {
            kind,
            x: 50.0,
            y: 25.0,
            button,
            buttons,
            click_count: 1,
            modifiers,
        })
    };
    let target = support::url(site, "/target").to_string();

    // A target=_blank link: a new tab in front, in the same context (it has the cookie).
    for input in click(Modifiers::default(), MouseButton::Left, 1) {
        tab.dispatch(input).await.unwrap();
    }
    let mut first = new_tabs.recv().await.expect("the link opens a tab");
    assert!(!first.background, "a target=_blank link comes to the front");
    wait_page(&mut first.events, |p| p.url == target && p.title == "Target").await;
    assert_eq!(first.tab.evaluate("document.cookie").await.unwrap(), "shared=yes");

    // A Ctrl-click and a middle click open tabs in the background.
    let ctrl = Modifiers { ctrl: true, ..Modifiers::default() };
    for input in click(ctrl, MouseButton::Left, 1) {
        tab.dispatch(input).await.unwrap();
    }
    let second = new_tabs.recv().await.expect("the Ctrl-click opens a tab");
    assert!(second.background, "a Ctrl-click opens a tab in the background");
    for input in click(Modifiers::default(), MouseButton::Middle, 4) {
        tab.dispatch(input).await.unwrap();
    }
    assert!(new_tabs.recv().await.expect("the middle click opens a tab").background);

    // window.open, also of a window its opener writes into, and window.close().
    tab.evaluate("window.open('/target?second'); 1").await.unwrap();
    let mut opened = new_tabs.recv().await.expect("window.open opens a tab");
    assert!(!opened.background);
    let second = support::url(site, "/target?second").to_string();
    wait_page(&mut opened.events, |p| p.url == second).await;
    tab.evaluate("const w = window.open(''); w.location = '/plain?late'; 1").await.unwrap();
    let mut late = new_tabs.recv().await.expect("window.open('') opens a tab");
    let late_url = support::url(site, "/plain?late").to_string();
    wait_page(&mut late.events, |p| p.url == late_url).await;
    opened.tab.evaluate("window.close(); 1").await.unwrap();
    loop {
        match opened.events.recv().await {
            Some(browser::TabEvent::Closed) => break,
            Some(browser::TabEvent::Lost) | None => panic!("a closed window is not a lost browser"),
            Some(_) => {}
        }
    }

    // Tabs beside opens itself are not new windows.
    let (own, mut own_rx) = context.open_tab(&support::url(site, "/plain"), false).await.unwrap();
    wait_page(&mut own_rx, |p| p.title == "Plain").await;
    assert!(new_tabs.try_recv().is_err(), "a tab beside opened is not reported as a new window");
    own.close().await.unwrap();
    context.close().await;
    browser.shutdown().await;
}

#[tokio::test]
async fn a_crashed_page_is_reported_and_reloaded() {
    let (browser, site) = support::start().await;
    let (tab, mut rx) = support::open(&browser, support::url(site, "/plain")).await;
    tab.evaluate("window.marker = 1").await.unwrap();
    tab.restart(support::WAIT).await;
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
async fn the_locale_reaches_the_page_and_its_requests_and_follows_a_change() {
    let (browser, site) = support::start().await;
    let mut opts = support::options(support::url(site, "/plain"));
    opts.locale = model::Locale {
        languages: vec!["de-DE".into(), "en".into()],
        time_zone: Some("Asia/Tokyo".into()),
    };
    let (tab, mut rx) = browser.new_tab(opts).await.unwrap();
    wait_page(&mut rx, |p| p.title == "Plain").await;
    assert_eq!(tab.evaluate("navigator.language").await.unwrap(), "de-DE");
    assert_eq!(tab.evaluate("navigator.languages.join()").await.unwrap(), "de-DE,de,en");
    assert_eq!(tab.evaluate("new Intl.NumberFormat().format(1234.5)").await.unwrap(), "1.234,5");
    let zone = "Intl.DateTimeFormat().resolvedOptions().timeZone";
    assert_eq!(tab.evaluate(zone).await.unwrap(), "Asia/Tokyo");
    assert_eq!(tab.evaluate("new Date(0).getTimezoneOffset()").await.unwrap(), -540);
    let ua = tab.evaluate("navigator.userAgent").await.unwrap();
    assert!(!ua.as_str().unwrap().contains("Headless"), "{ua}");
    tab.navigate(&support::url(site, "/headers")).await.unwrap();
    support::eventually(
        &tab,
        "document.body ? document.body.innerText.includes('accept-language: de-de,de;q=0.9,en;q=0.8') : false",
        serde_json::json!(true),
    )
    .await;

    // The customer continues on another device: the page on screen follows at once.
    let moved = model::Locale {
        languages: vec!["pt-BR".into()],
        time_zone: Some("America/Sao_Paulo".into()),
    };
    tab.set_locale(&moved).await.unwrap();
    assert_eq!(tab.evaluate(zone).await.unwrap(), "America/Sao_Paulo");
    assert_eq!(tab.evaluate("navigator.languages.join()").await.unwrap(), "pt-BR,pt");
    assert_eq!(tab.evaluate("new Intl.NumberFormat().format(1234.5)").await.unwrap(), "1.234,5");
    tab.reload().await.unwrap();
    support::eventually(
        &tab,
        "document.body ? document.body.innerText.includes('accept-language: pt-br,pt;q=0.9') : false",
        serde_json::json!(true),
    )
    .await;
    browser.shutdown().await;
}
