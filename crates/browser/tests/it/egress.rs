//! The page reaches the allowed test site but no other loopback, private or metadata address.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use tokio::net::TcpListener;

use crate::support::{self, eventually};

/// A listener that counts the connections it gets.
async fn canary(addr: &str) -> Option<(u16, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind(addr).await.ok()?;
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    Some((port, count))
}

#[tokio::test]
async fn pages_cannot_reach_loopback_private_or_metadata_addresses() {
    let (browser, site) = support::start().await;
    let (tab, _rx) = support::open(&browser, support::url(site, "/plain")).await;
    assert_eq!(tab.evaluate("document.title").await.unwrap(), json!("Plain"));

    let (v4_port, v4_count) = canary("127.0.0.1:0").await.unwrap();
    let v6 = canary("[::1]:0").await;
    let mut blocked = vec![
        format!("http://127.0.0.1:{v4_port}/"),
        format!("http://2130706433:{v4_port}/"),
        format!("http://0x7f.1:{v4_port}/"),
        format!("http://localhost:{v4_port}/"),
        format!("http://127.0.0.1:{}/", site.port() + 1),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ];
    if let Some((v6_port, _)) = &v6 {
        blocked.push(format!("http://[::1]:{v6_port}/"));
    }
    for address in &blocked {
        tab.navigate(&url::Url::parse(address).unwrap()).await.unwrap();
        eventually(
            &tab,
            "(document.body && document.body.innerText || '').includes('beside blocked this address')",
            json!(true),
        )
        .await;
    }
    // Subresources and scripts are held to the same rule.
    tab.navigate(&support::url(site, "/plain")).await.unwrap();
    eventually(&tab, "document.title", json!("Plain")).await;
    let probe = format!(
        "fetch('http://127.0.0.1:{v4_port}/x', {{mode: 'no-cors'}}).then(() => 'done', () => 'failed')"
    );
    tab.evaluate(&probe).await.unwrap();

    assert_eq!(v4_count.load(Ordering::SeqCst), 0, "the loopback canary was reached");
    if let Some((_, v6_count)) = v6 {
        assert_eq!(v6_count.load(Ordering::SeqCst), 0, "the IPv6 loopback canary was reached");
    }
    browser.shutdown().await;
}

// See: issue 10 — Chromium called update and component servers (update.googleapis.com,
// accounts.google.com, clients2.google.com) through the egress proxy at start.
#[tokio::test]
async fn chromium_s_own_calls_never_reach_the_egress_proxy() {
    let (browser, site) = support::start().await;
    let (tab, _rx) = support::open(&browser, support::url(site, "/plain")).await;
    assert_eq!(tab.evaluate("document.title").await.unwrap(), json!("Plain"));
    let ours = format!("127.0.0.1:{}", site.port());
    // Chromium calls home in its first seconds (account checks, on-demand components): watch
    // until its own door has seen such a call, or for the test's patience if it makes none.
    let deadline = tokio::time::Instant::now() + support::WAIT;
    loop {
        let (pages, own) = browser.egress_requests();
        let foreign: Vec<&String> = pages.iter().filter(|h| **h != ours).collect();
        assert!(foreign.is_empty(), "the egress proxy saw Chromium's own calls: {foreign:?}");
        if !own.is_empty() || tokio::time::Instant::now() >= deadline {
            // Whatever Chromium asked for by itself went to the door that refuses all.
            assert!(own.iter().all(|h| *h != ours), "{own:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (pages, _) = browser.egress_requests();
    assert!(pages.contains(&ours), "{pages:?}");
    browser.shutdown().await;
}
