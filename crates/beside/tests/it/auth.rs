//! Agent login: Argon2id, an HttpOnly SameSite=Strict cookie, logout, limits.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let client = app.browser_client();
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email":"AGENT@demo.example","password": app.demo_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["beside_agent=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "no TLS here, so no Secure flag: {cookie}");
    let me: serde_json::Value =
        client.get(app.url("/api/v1/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["company"]["slug"], "demo");
    assert_eq!(me["role"], "admin");

    let res = client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Without a login, joining is refused.
    let (status, body) = app.join(&client, "123456").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_limited_and_audited() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let (status, body) = app
        .post(
            &client,
            "/api/v1/auth/login",
            json!({"email":"agent@demo.example","password":"wrong-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_credentials");
    let (_, unknown) = app
        .post(
            &client,
            "/api/v1/auth/login",
            json!({"email":"nobody@demo.example","password":"wrong-password"}),
        )
        .await;
    assert_eq!(unknown, body, "unknown emails get the same answer");
    for _ in 0..9 {
        app.post(
            &client,
            "/api/v1/auth/login",
            json!({"email":"agent@demo.example","password":"wrong-password"}),
        )
        .await;
    }
    let (status, body) = app
        .post(
            &client,
            "/api/v1/auth/login",
            json!({"email":"agent@demo.example","password": app.demo_password}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let store = store::Store::open(&store::Config { path: app.data_dir.path().join("beside.db") })
        .await
        .unwrap();
    let n_failed = store
        .audit_events(None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "login_failed")
        .count();
    assert_eq!(n_failed, 11);
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_foreign_origins_are_refused() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let res = client
        .post(app.url("/api/v1/sessions"))
        .body("{oops")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["message"].as_str().unwrap().len() > 5);

    let (status, body) = app.post(&client, "/api/v1/sessions", json!({"company":"nope"})).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_company")));
    let (status, body) = app
        .post(
            &client,
            "/api/v1/sessions",
            json!({"company":"demo","start_url":"file:///etc/passwd"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _) =
        app.post(&client, "/api/v1/sessions", json!({"company":"demo","locale":"<script>"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let res = client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", "https://evil.example")
        .json(&json!({"email":"agent@demo.example","password": app.demo_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The pages are served with a strict content security policy.
    let res = client.get(app.url("/agent")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert!(res.text().await.unwrap().contains("data-testid=\"login-email\""));
    let res = client.get(app.url("/c/demo")).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("data-testid=\"start\""));
    let res = client.get(app.url("/demo/checkout.html")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}
