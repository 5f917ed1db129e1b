//! Clicks, typing, shortcuts and scrolling reach the page.

use browser::{Input, Modifiers};
use serde_json::json;

use crate::support::{self, click, eventually, key, shortcut, type_keys};

const NAME: &str = "document.getElementById('name').value";

#[tokio::test]
async fn clicks_typing_shortcuts_and_wheel_reach_the_page() {
    let (browser, site) = support::start().await;
    let (tab, _rx) = support::open(&browser, support::url(site, "/form")).await;

    click(&tab, 60.0, 30.0).await;
    eventually(&tab, "window.clicks || 0", json!(1)).await;

    click(&tab, 100.0, 85.0).await;
    eventually(&tab, "document.activeElement.id", json!("name")).await;
    type_keys(&tab, "Grüße, ação, ").await;
    tab.dispatch(Input::Composition("你".into())).await.unwrap();
    tab.dispatch(Input::Composition("你好".into())).await.unwrap();
    tab.dispatch(Input::InsertText("你好".into())).await.unwrap();
    eventually(&tab, NAME, json!("Grüße, ação, 你好")).await;

    key(&tab, "Tab", "Tab", None, Modifiers::default()).await;
    eventually(&tab, "document.activeElement.id", json!("other")).await;

    click(&tab, 100.0, 85.0).await;
    shortcut(&tab, 'a').await;
    key(&tab, "Backspace", "Backspace", None, Modifiers::default()).await;
    eventually(&tab, NAME, json!("")).await;

    shortcut(&tab, 'z').await;
    eventually(&tab, NAME, json!("Grüße, ação, 你好")).await;
    shortcut(&tab, 'a').await;
    type_keys(&tab, "abc").await;
    eventually(&tab, NAME, json!("abc")).await;

    key(&tab, "Enter", "Enter", None, Modifiers::default()).await;
    eventually(&tab, "window.submitted || null", json!("abc")).await;

    let wheel = Input::Wheel {
        x: 400.0,
        y: 400.0,
        delta_x: 0.0,
        delta_y: 600.0,
        modifiers: Modifiers::default(),
    };
    tab.dispatch(wheel).await.unwrap();
    eventually(&tab, "window.scrollY > 0", json!(true)).await;
    browser.shutdown().await;
}
