//! Clicks, typing, shortcuts and scrolling reach the page.

use browser::{Input, Modifiers, Tab};
use serde_json::json;

use crate::support::{self, click, eventually};

async fn key(tab: &Tab, key: &str, code: &str, text: Option<&str>, modifiers: Modifiers) {
    for down in [true, false] {
        let input = Input::Key {
            down,
            key: key.into(),
            code: code.into(),
            text: text.map(Into::into),
            modifiers,
        };
        tab.dispatch(input).await.unwrap();
    }
}

/// Types each character as a key press, as a client's keyboard would.
async fn type_keys(tab: &Tab, text: &str) {
    for c in text.chars() {
        let code = match c {
            'a'..='z' => format!("Key{}", c.to_ascii_uppercase()),
            'A'..='Z' => format!("Key{c}"),
            ',' => "Comma".into(),
            ' ' => "Space".into(),
            _ => String::new(),
        };
        let shift = c.is_ascii_uppercase();
        let s = c.to_string();
        key(tab, &s, &code, Some(&s), Modifiers { shift, ..Modifiers::default() }).await;
    }
}

async fn shortcut(tab: &Tab, letter: char) {
    let ctrl = Modifiers { ctrl: true, ..Modifiers::default() };
    let code = format!("Key{}", letter.to_ascii_uppercase());
    tab.dispatch(Input::Key {
        down: true,
        key: "Control".into(),
        code: "ControlLeft".into(),
        text: None,
        modifiers: ctrl,
    })
    .await
    .unwrap();
    key(tab, &letter.to_string(), &code, None, ctrl).await;
    tab.dispatch(Input::Key {
        down: false,
        key: "Control".into(),
        code: "ControlLeft".into(),
        text: None,
        modifiers: Modifiers::default(),
    })
    .await
    .unwrap();
}

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

    type_keys(&tab, "abc").await;
    shortcut(&tab, 'a').await;
    shortcut(&tab, 'c').await;
    key(&tab, "End", "End", None, Modifiers::default()).await;
    shortcut(&tab, 'v').await;
    eventually(&tab, NAME, json!("abcabc")).await;
    shortcut(&tab, 'z').await;
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
