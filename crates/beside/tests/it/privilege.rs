//! Least privilege (issue 10): the data directory is beside's alone, /metrics goes to allowed
//! addresses only, and the cloud browser reaches beside's own port for the demo shop only.

use crate::support::TestApp;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The real and effective uid and gid of a process, from /proc.
fn ids_of(pid: u32) -> (u32, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u32 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    };
    (field("Uid:"), field("Gid:"))
}

// See: issue 10 — Chromium's unprivileged user could read beside.db: the data directory was
// created with default permissions.
#[tokio::test]
async fn issue_10_the_data_directory_is_readable_by_beside_only() {
    let app = TestApp::spawn_with(|c| c.data_dir = c.data_dir.join("private")).await;
    let dir = app.data_dir.path().join("private");
    assert_eq!(mode(&dir), 0o700);
    // The demo login was written, so SQLite's journal files exist too.
    for name in ["beside.db", "beside.db-wal", "beside.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    let (uid, gid) = ids_of(app.browser_pid);
    let own_uid = ids_of(std::process::id()).0;
    if uid != own_uid {
        // beside runs as root and Chromium as its own user: that user reads nothing of it.
        for path in [dir.clone(), dir.join("beside.db")] {
            let out = Command::new("setpriv")
                .args([format!("--reuid={uid}"), format!("--regid={gid}"), "--clear-groups".into()])
                .arg("cat")
                .arg(&path)
                .output()
                .unwrap();
            assert!(!out.status.success(), "Chromium's user read {}", path.display());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("Permission denied"), "{stderr}");
        }
    }
    app.stop().await;
}

/// A client whose connections come from `ip` (any 127.x address reaches the server on Linux).
fn client_from(ip: &str) -> reqwest::Client {
    let ip: std::net::IpAddr = ip.parse().unwrap();
    reqwest::Client::builder().local_address(ip).build().unwrap()
}

async fn get_status(client: &reqwest::Client, url: &str, forwarded_for: Option<&str>) -> u16 {
    let mut req = client.get(url);
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap().status().as_u16()
}

// See: issue 10 — /metrics was served to anyone who could reach beside.
#[tokio::test]
async fn issue_10_metrics_are_served_to_allowed_addresses_only() {
    let app = TestApp::spawn_with(|c| c.server.metrics_allow = vec!["127.0.0.1".into()]).await;
    let url = app.url("/metrics");
    assert_eq!(get_status(&client_from("127.0.0.1"), &url, None).await, 200);
    assert_eq!(get_status(&client_from("127.0.0.2"), &url, None).await, 403);
    // Through a local proxy that is not a trusted one, a visitor is not local.
    assert_eq!(get_status(&client_from("127.0.0.1"), &url, Some("203.0.113.5")).await, 403);
    app.stop().await;

    // Behind a trusted proxy, the client it forwards for decides.
    let app = TestApp::spawn_with(|c| {
        c.server.metrics_allow = vec!["10.0.0.0/8".into()];
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let url = app.url("/metrics");
    let proxy = client_from("127.0.0.1");
    assert_eq!(get_status(&proxy, &url, Some("10.1.2.3")).await, 200);
    assert_eq!(get_status(&proxy, &url, Some("10.1.2.3, 203.0.113.5")).await, 403);
    assert_eq!(get_status(&proxy, &url, None).await, 403);
    app.stop().await;

    // On a listener of its own, and only there.
    let app = TestApp::spawn_with(|c| c.server.metrics_listen = Some("127.0.0.1:0".into())).await;
    let own = format!("http://{}/metrics", app.metrics_addr.unwrap());
    let client = client_from("127.0.0.1");
    assert_eq!(get_status(&client, &app.url("/metrics"), None).await, 404);
    let res = client.get(&own).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("beside_"));
    app.stop().await;
}

// See: issue 10 — the cloud browser could open every page of beside's own port: the agent
// console, the customer page, the API and the metrics.
#[tokio::test]
async fn issue_10_the_cloud_browser_reaches_only_the_demo_shop_of_beside() {
    let app = TestApp::spawn().await;
    let started = app.start_session_at(None).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_title("Beside Outfitters — Shop").await;
    for path in ["/agent", "/metrics", "/c/demo", "/api/v1/companies/demo", "/demo/%2e%2e/agent"] {
        customer.navigate(&app.url(path)).await;
        customer
            .wait_text("page", |v| v["page"]["title"] == "Blocked" && v["page"]["loading"] == false)
            .await;
        // Back to the shop, which stays reachable.
        customer.navigate(&app.url("/demo/cart.html")).await;
        customer.wait_title("Beside Outfitters — Your cart").await;
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("beside_requests_refused_total{reason=\"cloud_browser\"}"),
        "{metrics}"
    );
    app.stop().await;
}
