//! The cloud browser cannot reach the server's own network (F17): loopback, private,
//! link-local and metadata addresses in any spelling, nor non-web schemes.

use crate::support::site::Canary;
use crate::support::TestApp;

#[tokio::test]
async fn the_cloud_browser_cannot_reach_local_or_private_addresses() {
    let canary = Canary::start("127.0.0.1:0").await;
    let canary6 = Canary::start("[::1]:0").await;
    let app = TestApp::spawn().await;
    let started = app.start_session_at(Some(&app.site.url("click"))).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_title("clicks:0").await;

    let port = canary.addr.port();
    let port6 = canary6.addr.port();
    let targets = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::1]:{port6}/"),
        format!("https://127.0.0.1:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
    ];
    for (i, target) in targets.iter().enumerate() {
        // Between targets, an allowed page proves the browser is still working.
        customer.navigate(&app.site.url("click")).await;
        customer
            .wait_text("page", |v| {
                v["page"]["title"] == "clicks:0" && v["page"]["loading"] == false
            })
            .await;
        customer.navigate(target).await;
        let page = customer
            .wait_text("page", |v| {
                v["page"]["loading"] == false && v["page"]["title"] != "clicks:0"
            })
            .await;
        assert_ne!(page["page"]["title"], "canary reached", "target {i} {target} was reached");
    }
    // The private network's own pages never saw a connection.
    assert_eq!(canary.hits(), 0, "IPv4 canary was reached");
    assert_eq!(canary6.hits(), 0, "IPv6 canary was reached");

    // Non-web schemes are refused before they reach the browser.
    for target in [
        "file:///etc/passwd",
        "chrome://settings",
        "javascript:alert(1)",
        "view-source:http://example.com",
    ] {
        customer.navigate(target).await;
        let rejected = customer.wait_text("rejected", |_| true).await;
        assert_eq!(rejected["code"], "scheme_not_allowed", "{target}");
        customer.texts.clear();
        customer.send(serde_json::json!({"type":"ping"})).await;
        customer.wait_text("pong", |_| true).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn an_allowed_private_address_is_reachable() {
    let canary = Canary::start("127.0.0.1:0").await;
    let allowed = canary.addr.to_string();
    let app = TestApp::spawn_with(move |c| c.browser.allow_private.push(allowed)).await;
    let started = app.start_session_at(Some(&format!("http://{}/", canary.addr))).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_title("canary reached").await;
    assert!(canary.hits() > 0);
    app.stop().await;
}

/// A company's deny list (F17) holds for every request of its sessions, not only for what the
/// address bar opens: a page's image from a denied site never reaches it either.
#[tokio::test]
async fn a_denied_site_is_refused_in_the_address_bar_and_as_a_sub_resource() {
    let canary = Canary::start("127.0.0.1:0").await;
    let port = canary.addr.port();
    // Reachable by the name `localhost` (an exception), so only the company's list stops it.
    let by_name = format!("localhost:{port}");
    let app = TestApp::spawn_with(move |c| c.browser.allow_private.push(by_name)).await;
    let embed = format!("{}?src=http://localhost:{port}/pixel", app.site.url("embed"));

    // Without a list the page's image reaches the other site (the canary answers a page, so
    // the image fails either way): this test could see a leak.
    let open = app.start_session_at(Some(&embed)).await;
    let mut customer = app.connect(&open.session_id, &open.customer_token).await;
    customer.wait_title("img failed").await;
    assert!(canary.hits() > 0, "the control run reached the other site");
    customer.send(serde_json::json!({"type": "end"})).await;
    customer.wait_text("ended", |_| true).await;

    let admin = app.demo_agent().await;
    let body = serde_json::json!({"navigation": {"deny": ["localhost"]}});
    let res = admin.patch(app.url("/api/v1/company")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let before = canary.hits();
    let denied = app.start_session_at(Some(&embed)).await;
    let mut customer = app.connect(&denied.session_id, &denied.customer_token).await;
    customer.wait_title("img failed").await;
    assert_eq!(canary.hits(), before, "the denied site was reached as a sub-resource");

    customer.navigate(&format!("http://LocalHost:{port}/")).await;
    let rejected = customer.wait_text("rejected", |_| true).await;
    assert_eq!(rejected["code"], "domain_not_allowed", "{rejected}");
    // The page a person may open is still opened.
    customer.navigate(&app.site.url("click")).await;
    customer.wait_title("clicks:0").await;
    assert_eq!(canary.hits(), before, "the denied site was reached from the address bar");
    app.stop().await;
}
