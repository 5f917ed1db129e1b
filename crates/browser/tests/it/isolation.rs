//! A new tab never sees an earlier tab's cookies or storage.

use serde_json::json;

use crate::support;

#[tokio::test]
async fn cookies_and_storage_do_not_survive_into_a_new_tab() {
    let (browser, site) = support::start().await;
    let (first, _rx) = support::open(&browser, support::url(site, "/plain")).await;
    first
        .evaluate(
            "document.cookie = 'k=v; path=/; max-age=3600'; localStorage.setItem('k', 'v'); 1",
        )
        .await
        .unwrap();
    assert_eq!(first.evaluate("document.cookie").await.unwrap(), json!("k=v"));
    assert_eq!(first.evaluate("localStorage.getItem('k')").await.unwrap(), json!("v"));
    first.close().await.unwrap();

    let (second, _rx) = support::open(&browser, support::url(site, "/plain")).await;
    assert_eq!(second.evaluate("document.cookie").await.unwrap(), json!(""));
    assert_eq!(second.evaluate("localStorage.getItem('k')").await.unwrap(), json!(null));
    browser.shutdown().await;
}

/// Headless Chromium keeps one clipboard for the whole browser process, so clipboard shortcuts
/// never reach it: a session could otherwise paste what another copied. (Sessions copy and paste
/// with clipboards of their own; the integration tests cover that.)
#[tokio::test]
async fn clipboard_shortcuts_never_reach_chromium() {
    let (browser, site) = support::start().await;
    let (first, _rx1) = support::open(&browser, support::url(site, "/form")).await;
    let (second, _rx2) = support::open(&browser, support::url(site, "/form")).await;
    let keydowns =
        "window.keys = []; addEventListener('keydown', (e) => keys.push((e.ctrlKey ? 'ctrl+' : '') + e.key), true); 1";
    first.evaluate(keydowns).await.unwrap();
    second.evaluate(keydowns).await.unwrap();

    support::click(&first, 100.0, 85.0).await;
    support::eventually(&first, "document.activeElement.id", json!("name")).await;
    support::type_keys(&first, "secret").await;
    support::shortcut(&first, 'a').await;
    support::shortcut(&first, 'c').await;
    support::shortcut(&first, 'x').await;
    support::eventually(&first, "document.getElementById('name').value", json!("secret")).await;

    support::click(&second, 100.0, 85.0).await;
    support::eventually(&second, "document.activeElement.id", json!("name")).await;
    support::shortcut(&second, 'v').await;
    support::type_keys(&second, "x").await;
    support::eventually(&second, "document.getElementById('name').value", json!("x")).await;
    // The pages saw the select-all and the typing, never the clipboard shortcuts.
    assert_eq!(first.evaluate("keys.includes('ctrl+a')").await.unwrap(), json!(true));
    let shortcuts = "keys.filter((k) => ['ctrl+c', 'ctrl+x', 'ctrl+v'].includes(k)).length";
    assert_eq!(first.evaluate(shortcuts).await.unwrap(), json!(0));
    assert_eq!(second.evaluate(shortcuts).await.unwrap(), json!(0));
    assert_eq!(second.evaluate("keys.includes('x')").await.unwrap(), json!(true));
    browser.shutdown().await;
}
