//! The agent console in a CRM (F23): a console link made with an API token of scope
//! `sessions:join` logs its agent in once, by a bearer login that needs no cookie; another
//! company's agent gets no link, and a used link signs nobody in.

use crate::support::TestApp;
use model::AgentRole;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn post_with(app: &TestApp, bearer: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_console_link_signs_its_agent_in_once_without_a_cookie() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let password = "a long enough password";
    app.add_company_with("other", "otto@other.example", password, AgentRole::Agent).await;
    let (status, made) = app
        .post(&admin, "/api/v1/tokens", json!({"name": "CRM", "scopes": ["sessions:join"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let token = made["token"].as_str().unwrap();
    let (status, rules_token) =
        app.post(&admin, "/api/v1/tokens", json!({"name": "Rules", "scopes": ["rules"]})).await;
    assert_eq!(status, StatusCode::CREATED);

    // Only for an agent of the token's company, and only with the right scope.
    let (status, body) =
        post_with(&app, token, "/api/v1/console-links", json!({"agent": "otto@other.example"}))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = post_with(
        &app,
        rules_token["token"].as_str().unwrap(),
        "/api/v1/console-links",
        json!({"agent": "agent@demo.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, link) =
        post_with(&app, token, "/api/v1/console-links", json!({"agent": "AGENT@demo.example"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let url = link["url"].as_str().unwrap();
    let handoff = url.split("handoff=").nth(1).expect("a hand-off in the link");
    assert!(url.starts_with(&app.url("/agent?handoff=bsh_")), "{url}");

    // Traded once for a login the console sends as a bearer token.
    let client = reqwest::Client::new();
    let (status, login) =
        app.post(&client, "/api/v1/auth/handoff", json!({ "handoff": handoff })).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["me"]["email"], json!("agent@demo.example"));
    let frame_login = login["login_token"].as_str().unwrap();
    assert!(frame_login.starts_with("bsl_"));
    let (status, again) =
        app.post(&client, "/api/v1/auth/handoff", json!({ "handoff": handoff })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "single use: {again}");
    assert_eq!(again["error"], json!("invalid_link"));

    let me = client.get(app.url("/api/v1/auth/me")).bearer_auth(frame_login).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let started = app.start_session_at(None).await;
    let (status, joined) =
        post_with(&app, frame_login, "/api/v1/sessions/join", json!({"pin": started.pin})).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let (status, _) = post_with(&app, frame_login, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let me = client.get(app.url("/api/v1/auth/me")).bearer_auth(frame_login).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "signed out");

    let events = app.audited("console_link_created").await;
    assert!(events
        .iter()
        .any(|e| e.kind == "login_succeeded" && e.detail["via"] == "console_link"));
    for event in &events {
        let detail = event.detail.to_string();
        assert!(!detail.contains(&handoff[4..]) && !detail.contains(&frame_login[4..]), "{detail}");
    }
    app.stop().await;
}
