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
