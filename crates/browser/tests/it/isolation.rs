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
