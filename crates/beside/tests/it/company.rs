//! The admin console's company settings (issue 15, F17, F21, F29): each field checked with its
//! own code and named, concurrent edits refused, the logo served as an image only, and every
//! change in the audit log, which administrators read filtered and a page at a time.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;

async fn patch(client: &reqwest::Client, app: &TestApp, body: Value) -> (StatusCode, Value) {
    let res = client.patch(app.url("/api/v1/company")).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn settings_are_checked_field_by_field_and_a_stale_edit_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (status, company) = get(&admin, &app, "/api/v1/company").await;
    assert_eq!(status, StatusCode::OK, "{company}");
    assert_eq!(company["version"], 0);
    assert_eq!(company["pin"], json!({"digits": 6, "ttl_secs": 600, "approval": false}));
    assert_eq!(company["navigation"], json!({"allow": [], "deny": []}));
    assert_eq!(company["logo_url"], Value::Null);

    for (body, code, field) in [
        (json!({"colors": {"primary": "#ffee00"}}), "low_contrast", "colors.primary"),
        (json!({"colors": {"primary": "blue"}}), "invalid_color", "colors.primary"),
        (json!({"colors": {"footer": "#000000"}}), "unknown_color", "colors.footer"),
        (json!({"texts": {"fr": {"customer.start": "Go"}}}), "unknown_language", "texts.fr"),
        (
            json!({"texts": {"de": {"agent.login_title": "x"}}}),
            "unknown_text_key",
            "texts.de.agent.login_title",
        ),
        (
            json!({"texts": {"en": {"customer.intro": "x".repeat(301)}}}),
            "text_too_long",
            "texts.en.customer.intro",
        ),
        (
            json!({"navigation": {"deny": ["ok.example", "https://bad.example/"]}}),
            "invalid_domain_pattern",
            "navigation.deny.1",
        ),
        (json!({"pin": {"digits": 5}}), "invalid_pin_digits", "pin.digits"),
        (json!({"pin": {"digits": 10}}), "invalid_pin_digits", "pin.digits"),
        (json!({"pin": {"ttl_secs": 5}}), "invalid_pin_ttl", "pin.ttl_secs"),
        (json!({"name": "  "}), "invalid_name", "name"),
        (json!({"start_url": "javascript:alert(1)"}), "invalid_start_url", "start_url"),
    ] {
        let (status, answer) = patch(&admin, &app, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!((answer["error"].as_str(), answer["field"].as_str()), (Some(code), Some(field)));
    }
    // What the console does not offer does not exist: recording and retention come later.
    let (status, _) = patch(&admin, &app, json!({"recording": "always"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let change = json!({
        "version": 0,
        "name": "Demo Shop",
        "colors": {"primary": "#0B5D1E", "header": "#FFF8E1"},
        "texts": {"de": {"customer.start": "Hilfe holen"}},
        "start_url": "shop.example/start",
        "navigation": {"allow": [], "deny": ["*.Ads.example", "tracker.example"]},
        "pin": {"digits": 8, "ttl_secs": 120, "approval": true},
    });
    let (status, changed) = patch(&admin, &app, change.clone()).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["version"], 1);
    assert_eq!(changed["colors"], json!({"header": "#fff8e1", "primary": "#0b5d1e"}));
    assert_eq!(changed["start_url"], "https://shop.example/start");
    assert_eq!(changed["navigation"]["deny"], json!(["*.ads.example", "tracker.example"]));
    assert_eq!(changed["pin"], json!({"digits": 8, "ttl_secs": 120, "approval": true}));

    // A second administrator still on version 0 is told, and nothing of theirs is taken.
    let (status, stale) = patch(&admin, &app, json!({"version": 0, "name": "Theirs"})).await;
    assert_eq!((status, stale["error"].as_str()), (StatusCode::CONFLICT, Some("settings_changed")));
    assert_eq!(get(&admin, &app, "/api/v1/company").await.1["name"], "Demo Shop");

    // The customer page's public facts carry the branding.
    let (_, facts) = get(&reqwest::Client::new(), &app, "/api/v1/companies/demo").await;
    assert_eq!(facts["colors"]["primary"], "#0b5d1e");
    assert_eq!(facts["texts"]["de"]["customer.start"], "Hilfe holen");

    // Every change is audited: who, what, when.
    let (status, audit) =
        get(&admin, &app, "/api/v1/audit?kind=company_settings_changed&agent=agent@demo.example")
            .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["agent"]["email"], "agent@demo.example");
    assert!(events[0]["at"].as_str().is_some());
    let changed_fields = events[0]["detail"]["changed"].as_object().unwrap();
    for field in ["name", "colors", "texts", "start_url", "navigation", "pin", "policy"] {
        assert!(changed_fields.contains_key(field), "{field} missing from {audit}");
    }

    // A plain agent reads the settings but changes nothing and reads no audit log.
    let plain = app.add_agent_to("demo", "plain@demo.example", "Plain").await;
    assert_eq!(patch(&plain, &app, json!({"name": "x"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&plain, &app, "/api/v1/audit").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&reqwest::Client::new(), &app, "/api/v1/audit").await.0,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn a_logo_is_an_image_only_and_the_audit_log_comes_in_pages() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let put = |body: Vec<u8>, kind: &'static str| {
        let req = admin.put(app.url("/api/v1/company/logo")).header("content-type", kind);
        async move {
            let res = req.body(body).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10" fill="#0b5d1e"/></svg>"##;
    let (status, body) = put(b"\x89PNG\r\n\x1a\nnot really".to_vec(), "image/svg+xml").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("invalid_logo"))
    );
    let (status, body) = put(svg.to_vec(), "image/png").await;
    assert_eq!(body["error"], "invalid_logo", "{status}");
    let (status, body) = put(vec![0xff; store::MAX_LOGO_BYTES + 1], "image/jpeg").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("logo_too_large"))
    );
    let (status, body) = put(svg.to_vec(), "image/svg+xml").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let logo_url = body["logo_url"].as_str().unwrap().to_owned();
    assert!(logo_url.starts_with("/api/v1/companies/demo/logo?v="), "{logo_url}");

    // Served to anyone (the customer page shows it), as an image whose scripts never run.
    let res = reqwest::get(app.url(&logo_url)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/svg+xml");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let csp = header("content-security-policy");
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), svg);

    let res = admin.delete(app.url("/api/v1/company/logo")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(reqwest::get(app.url(&logo_url)).await.unwrap().status(), StatusCode::NOT_FOUND);

    // Two logo changes were audited (refused uploads change nothing); read them one
    // page at a time, newest first.
    let mut kinds = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/api/v1/audit?kind=company_logo_changed&limit=1&after={after}");
        let (status, page) = get(&admin, &app, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for event in page["events"].as_array().unwrap() {
            kinds.push(event["detail"].clone());
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        kinds,
        [json!({"removed": true}), json!({"type": "image/svg+xml", "bytes": svg.len()})]
    );
    for (query, field) in [("limit=0", "limit"), ("from=yesterday", "from"), ("kind=nope", "kind")]
    {
        let (status, body) = get(&admin, &app, &format!("/api/v1/audit?{query}")).await;
        assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_company_chooses_how_long_its_pins_are_and_how_long_they_live() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (status, body) = patch(&admin, &app, json!({"pin": {"digits": 9, "ttl_secs": 120}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = time::OffsetDateTime::now_utc();
    let started = app.start_session_at(None).await;
    let digits: String = started.pin.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits.len(), 9, "{}", started.pin);
    let expires = time::OffsetDateTime::parse(
        &started.expires_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = (expires - before).whole_seconds();
    assert!((115..=125).contains(&ttl), "the PIN lives {ttl} s");
    let (status, joined) = app.join(&admin, &started.pin).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    app.stop().await;
}

#[tokio::test]
async fn a_session_under_way_goes_on_as_it_started_when_the_settings_change() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let click = app.site.url("click");
    let started = app.start_session_at(Some(&click)).await;
    let mut customer = app.connect(&started.session_id, &started.customer_token).await;
    customer.wait_title("clicks:0").await;

    // The administrator changes the PIN, denies the very site the session is on, hides PDFs
    // and recolours the page while the customer is on it.
    let change = json!({
        "pin": {"digits": 8, "ttl_secs": 120, "approval": false},
        "navigation": {"deny": ["127.0.0.1"]},
        "pdfs": {"agents": "hide"},
        "colors": {"primary": "#0b5d1e"},
    });
    let (status, body) = patch(&admin, &app, change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pdfs"]["agents"], "hide");

    // The session goes on with what it started with: its page still opens, its six-digit PIN
    // still lets an agent in, and a renewed PIN is of the same kind.
    customer.navigate(&format!("{click}?again")).await;
    customer
        .wait_text("page", |v| v["page"]["url"].as_str().is_some_and(|u| u.ends_with("?again")))
        .await;
    customer.wait_title("clicks:0").await;
    let path = format!("/api/v1/sessions/{}/pin", started.session_id);
    let (status, renewed) = app.post_as(&started.customer_token, &path).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let digits = |pin: &str| pin.chars().filter(char::is_ascii_digit).count();
    assert_eq!(digits(renewed["pin"].as_str().unwrap()), 6, "{renewed}");
    let (status, joined) = app.join(&admin, renewed["pin"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    customer.send(json!({ "type": "ping" })).await;
    customer.wait_text("pong", |_| true).await;

    // A session started after the change has all of it.
    let next = app.start_session_at(None).await;
    assert_eq!(digits(&next.pin), 8, "{}", next.pin);
    let mut second = app.connect(&next.session_id, &next.customer_token).await;
    second.wait_welcome().await;
    second.navigate(&click).await;
    let rejected = second.wait_text("rejected", |_| true).await;
    assert_eq!(rejected["code"], "domain_not_allowed", "{rejected}");
    app.stop().await;
}
