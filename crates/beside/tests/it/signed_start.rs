//! Signed starts (issue 10): a company can require that its own site signs each session start.
//! The tokens here are signed the way a company's site would, with a plain HMAC-SHA256, not
//! with beside's own code.

use crate::support::TestApp;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// `v1.<expires>.<reference>.<hex HMAC-SHA256(secret, "v1.<company>.<expires>.<reference>")>`,
/// as docs/security.md tells a company to make it.
fn sign(secret: &str, company: &str, expires: i64, reference: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v1.{company}.{expires}.{reference}").as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("v1.{expires}.{reference}.{signature}")
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn start(app: &TestApp, company: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "company": company, "locale": "en" });
    if let Some(token) = token {
        body["start_token"] = json!(token);
    }
    app.post(&reqwest::Client::new(), "/api/v1/sessions", body).await
}

fn assert_refused(answer: (StatusCode, Value), code: &str) {
    let (status, body) = answer;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some(code)), "{body}");
    assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{body}");
}

// See: issue 10 — "Companies can require a signed start token from their own site".
#[tokio::test]
async fn a_signed_company_starts_sessions_only_from_tokens_its_site_signed() {
    let app = TestApp::spawn().await;
    let password = "a long enough password";
    app.add_company_with("acme", "admin@acme.example", password, model::AgentRole::Admin).await;
    app.add_company_with("other", "admin@other.example", password, model::AgentRole::Admin).await;
    let admin = app.login("admin@acme.example", password).await;

    // Open by default: a start needs no token.
    let (status, body) = start(&app, "acme", None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let res = admin
        .patch(app.url("/api/v1/company"))
        .json(&json!({ "start": { "mode": "signed" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let shown: Value = res.json().await.unwrap();
    assert_eq!(shown["start"], json!({ "mode": "signed", "has_secret": true }), "{shown}");
    assert!(!shown.to_string().contains("bss_"), "GET/PATCH never show the secret: {shown}");
    let (status, body) = app.post(&admin, "/api/v1/company/start-secret", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();

    assert_refused(start(&app, "acme", None).await, "start_token_required");
    for bad in ["", "garbage", "v1.1.2.3", &sign(&secret, "acme", now() + 600, "a b")] {
        assert_refused(start(&app, "acme", Some(bad)).await, "start_token_invalid");
    }
    let wrong_key = sign("bss_not-the-secret", "acme", now() + 600, "");
    assert_refused(start(&app, "acme", Some(&wrong_key)).await, "start_token_invalid");
    let other_company = sign(&secret, "other", now() + 600, "");
    assert_refused(start(&app, "acme", Some(&other_company)).await, "start_token_invalid");
    let far_future = sign(&secret, "acme", now() + 2 * 24 * 3600, "");
    assert_refused(start(&app, "acme", Some(&far_future)).await, "start_token_invalid");
    let expired = sign(&secret, "acme", now() - 5, "order-7");
    assert_refused(start(&app, "acme", Some(&expired)).await, "start_token_expired");

    let good = sign(&secret, "acme", now() + 600, "order-42");
    let (status, body) = start(&app, "acme", Some(&good)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let events = app.audited("start_token_accepted").await;
    let accepted = events.iter().find(|e| e.kind == "start_token_accepted").unwrap();
    assert_eq!(accepted.detail["reference"], "order-42");
    assert_eq!(
        accepted.session.as_ref().map(|s| s.to_string()),
        body["session_id"].as_str().map(String::from)
    );
    assert!(events
        .iter()
        .any(|e| e.kind == "start_token_refused" && e.detail["error"] == "start_token_expired"));
    assert!(events.iter().any(|e| e.kind == "start_secret_read"));
    assert!(
        events.iter().all(|e| !e.detail.to_string().contains(&secret)),
        "the audit never holds the secret"
    );

    // A renewed secret: tokens of the old one stop working at once.
    let (status, body) =
        app.post(&admin, "/api/v1/company/start-secret", json!({ "renew": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = body["secret"].as_str().unwrap().to_owned();
    assert_ne!(renewed, secret);
    let old = sign(&secret, "acme", now() + 600, "");
    assert_refused(start(&app, "acme", Some(&old)).await, "start_token_invalid");

    // Another company stays open, and a token is not looked at there.
    let (status, body) = start(&app, "other", Some("garbage")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn only_administrators_read_the_start_secret_and_it_is_never_printed_by_accident() {
    let app = TestApp::spawn().await;
    let agent = app.add_agent_to("demo", "plain@demo.example", "Plain Agent").await;
    let (status, body) = app.post(&agent, "/api/v1/company/start-secret", json!({})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let res = reqwest::Client::new().post(app.url("/api/v1/company/start-secret")).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::UNAUTHORIZED);

    // The command line sets the mode and prints the secret; `company show` never does.
    let out = app.command_line(&["company", "set", "demo", "--start", "signed"]);
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && shown.contains("start: signed"), "{shown}");
    assert!(!shown.contains("bss_"), "{shown}");
    let out = app.command_line(&["company", "start-secret", "demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("bss_"), "{secret}");
    let out = app.command_line(&["company", "set", "demo", "--start", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));

    // The running server reads the mode and the secret from the database on each start.
    assert_refused(start(&app, "demo", None).await, "start_token_required");
    let token = sign(&secret, "demo", now() + 60, "");
    let (status, body) = start(&app, "demo", Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}
