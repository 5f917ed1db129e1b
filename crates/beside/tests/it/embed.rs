//! The one-line embed (issue 16, F22): the company's embed origins, checked strictly and kept
//! as browsers send them, and the site's own reference for a session, kept with its record.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;

async fn patch_company(
    client: &reqwest::Client,
    app: &TestApp,
    body: Value,
) -> (StatusCode, Value) {
    let res = client.patch(app.url("/api/v1/company")).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn embed_origins_are_checked_entry_by_entry_and_kept_normalised() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let company: Value =
        admin.get(app.url("/api/v1/company")).send().await.unwrap().json().await.unwrap();
    assert_eq!(company["embed_origins"], json!([]));

    for (origins, field, names) in [
        (json!(["https://shop.example", "https://*.shop.example"]), "embed_origins.1", "*.shop"),
        (json!(["https://shop.example/help"]), "embed_origins.0", "shop.example/help"),
        (json!(["https://shop.example?x"]), "embed_origins.0", "?x"),
        (json!(["https://shop.example#a"]), "embed_origins.0", "#a"),
        (json!(["ftp://shop.example"]), "embed_origins.0", "ftp://"),
        (json!(["shop.example"]), "embed_origins.0", "shop.example"),
        (json!(["https://u:p@shop.example"]), "embed_origins.0", "u:p@"),
        (json!(["ok.example", ""]), "embed_origins.0", "ok.example"),
    ] {
        let (status, answer) =
            patch_company(&admin, &app, json!({ "embed_origins": origins })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{origins} → {answer}");
        assert_eq!(answer["error"], "invalid_embed_origin", "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(names), "the message names the bad entry: {message}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("https://s{i}.example")).collect();
    let (status, answer) = patch_company(&admin, &app, json!({ "embed_origins": many })).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("too_many_embed_origins"))
    );

    let (status, changed) = patch_company(
        &admin,
        &app,
        json!({ "embed_origins": [" HTTPS://Shop.Example:443/ ", "http://127.0.0.1:8081", "https://shop.example"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["embed_origins"], json!(["https://shop.example", "http://127.0.0.1:8081"]));
    let audited = app.audited("company_settings_changed").await;
    let want = json!(["https://shop.example", "http://127.0.0.1:8081"]);
    assert!(
        audited.iter().any(|e| e.detail["changed"]["embed_origins"] == want),
        "the change is audited with the origins: {audited:?}"
    );
    let (status, cleared) = patch_company(&admin, &app, json!({ "embed_origins": [] })).await;
    assert_eq!((status, cleared["embed_origins"].clone()), (StatusCode::OK, json!([])));

    // An agent who is not an administrator reads them but cannot change them.
    let agent = app.add_agent_to("demo", "ann@demo.example", "Ann").await;
    let (status, _) =
        patch_company(&agent, &app, json!({ "embed_origins": ["https://a.example"] })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_sites_reference_is_checked_kept_and_shown_to_the_agent() {
    let app = TestApp::spawn().await;
    let customer = reqwest::Client::new();
    for (reference, code) in [
        (json!("x".repeat(101)), "invalid_reference"),
        (json!("T-1\nSet-Cookie: x"), "invalid_reference"),
        (json!("T-1\u{202e}"), "invalid_reference"),
        (json!(42), "invalid_request"),
    ] {
        let body = json!({ "company": "demo", "reference": reference });
        let (status, answer) = app.post(&customer, "/api/v1/sessions", body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{answer}"
        );
    }
    let body = json!({ "company": "demo", "reference": "  Ticket #4711 – Müller " });
    let (status, started) = app.post(&customer, "/api/v1/sessions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let id = started["session_id"].as_str().unwrap();

    let agent = app.demo_agent().await;
    let facts: Value = agent
        .get(app.url(&format!("/api/v1/sessions/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(facts["reference"], "Ticket #4711 – Müller", "{facts}");
    let record = app.store().await.session(&id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(record.reference.as_deref(), Some("Ticket #4711 – Müller"));

    // Without one, there is none.
    let (_, plain) = app.post(&customer, "/api/v1/sessions", json!({ "company": "demo" })).await;
    let id = plain["session_id"].as_str().unwrap();
    let facts: Value = agent
        .get(app.url(&format!("/api/v1/sessions/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(facts["reference"], Value::Null);
}

/// The demo company with `origins` as its embed origins.
async fn with_embed_origins(app: &TestApp, origins: &[&str]) {
    let admin = app.demo_agent().await;
    let (status, body) = patch_company(&admin, app, json!({ "embed_origins": origins })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_embeds_api_answers_only_its_companys_embed_origins_with_cors() {
    let app = TestApp::spawn().await;
    let site = "http://127.0.0.1:9";
    with_embed_origins(&app, &[site]).await;
    let client = reqwest::Client::new();

    // A listed origin reads the launcher's settings, with CORS for that origin alone.
    let res = client
        .get(app.url("/api/v1/embed/demo?lang=de-AT"))
        .header("origin", site)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], site);
    assert_eq!(res.headers()["vary"], "Origin");
    let config: Value = res.json().await.unwrap();
    assert_eq!(config["lang"], "de");
    assert_eq!(config["texts"]["embed.launcher"], "Hilfe zu dieser Seite");
    let stylesheet = config["stylesheet"].as_str().unwrap();

    // Another origin, none, or another company's name: refused, and nothing a page can read.
    for (origin, path) in [
        (Some("http://127.0.0.1:10"), "/api/v1/embed/demo"),
        (Some("http://evil.example"), "/api/v1/embed/demo"),
        (Some("null"), "/api/v1/embed/demo"),
        (None, "/api/v1/embed/demo"),
        (Some(site), "/api/v1/embed/nosuchcompany"),
    ] {
        let mut req = client.get(app.url(path));
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?} {path}");
        assert!(res.headers().get("access-control-allow-origin").is_none(), "{origin:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "origin_not_allowed");
    }

    // The preflight of a start: allowed for the listed origin only.
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/embed/demo/sessions"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let res = preflight(site).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["access-control-allow-origin"], site);
    assert!(res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("content-type"));
    let res = preflight("http://127.0.0.1:10").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // A start from the listed origin must be at one of its own pages.
    let start = |origin: &'static str, body: Value| {
        client
            .post(app.url("/api/v1/embed/demo/sessions"))
            .header("origin", origin)
            .json(&body)
            .send()
    };
    let res = start(site, json!({ "start_url": "https://elsewhere.example/" })).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["access-control-allow-origin"], site, "the script reads why");
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_start_url");
    let res =
        start("http://127.0.0.1:10", json!({ "start_url": "http://127.0.0.1:10/" })).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = start(site, json!({ "start_url": format!("{site}/help"), "reference": "x\ny" }))
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_reference");

    // The script and its stylesheet: versioned and cached.
    let res = client.get(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let etag = res.headers()["etag"].clone();
    let script = res.bytes().await.unwrap();
    assert!(script.len() <= 15 * 1024, "embed.js has {} bytes", script.len());
    let res = client.get(app.url("/embed.js")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = client.get(app.url(stylesheet)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn an_embedded_start_opens_the_page_when_the_company_allows_it_and_follows_the_session() {
    let app = TestApp::spawn().await;
    let site = "http://127.0.0.1:9";
    with_embed_origins(&app, &[site]).await;
    let admin = app.demo_agent().await;
    let (status, body) =
        patch_company(&admin, &app, json!({ "navigation": { "deny": ["127.0.0.1"] } })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let client = reqwest::Client::new();
    let res = client
        .post(app.url("/api/v1/embed/demo/sessions"))
        .header("origin", site)
        .json(&json!({ "start_url": format!("{site}/cart?x=1"), "reference": "T-9" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let started: Value = res.json().await.unwrap();
    let id = started["session_id"].as_str().unwrap();
    let token = started["customer_token"].as_str().unwrap();
    let record = app.store().await.session(&id.parse().unwrap()).await.unwrap().unwrap();
    // The company denies that site: the session starts at its own start page instead.
    assert!(!record.start_url.starts_with(site), "{}", record.start_url);
    assert_eq!(record.reference.as_deref(), Some("T-9"));

    let status_of = |token: &str| {
        client
            .get(app.url(&format!("/api/v1/embed/demo/sessions/{id}")))
            .header("origin", site)
            .bearer_auth(token.to_owned())
            .send()
    };
    let res = status_of(token).await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], site);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "waiting");
    let res = status_of("not-the-token").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = client
        .post(app.url(&format!("/api/v1/embed/demo/sessions/{id}/end")))
        .header("origin", site)
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Ending is asynchronous: the status says so once the session's task has stopped.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let res = status_of(token).await.unwrap();
        let body: Value = res.json().await.unwrap();
        if body["state"] == "ended" || body["error"] == "session_ended" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the session did not end: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
