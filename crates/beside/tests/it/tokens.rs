//! API tokens (F23): made by an administrator with scopes and shown once, listed without the
//! token, revoked. A token acts for its company on exactly the staff routes its scopes cover
//! (`server::access::RouteAccess::token_scope`): every scope is tried on every route of the
//! access table; a revoked or unknown token is 401, and another company's objects are 404.

use crate::support::TestApp;
use model::{AgentRole, ApiScope};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::access::{Access, ROUTES};

async fn call(app: &TestApp, token: &str, method: &str, path: &str) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = reqwest::Client::new().request(method.clone(), app.url(path)).bearer_auth(token);
    if method == Method::POST {
        req = req.json(&json!({}));
    } else if method == Method::PATCH {
        req = req.json(&json!({"version": 1}));
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Makes a token through the API as `admin`; answers (id, token).
async fn make_token(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    scopes: &[&str],
) -> (String, String) {
    let (status, body) =
        app.post(admin, "/api/v1/tokens", json!({ "name": name, "scopes": scopes })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().expect("the token, once").to_owned();
    assert!(token.starts_with("bst_"), "{token}");
    (body["id"].as_str().expect("an id").to_owned(), token)
}

#[tokio::test]
async fn each_scope_opens_its_routes_and_no_others() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let password = "a long enough password";
    app.add_company_with("other", "admin@other.example", password, AgentRole::Admin).await;
    let other_admin = app.login("admin@other.example", password).await;
    let store = app.store().await;
    let demo = store.company_by_slug("demo").await.unwrap().unwrap();
    let target = store
        .create_agent(store::NewAgent {
            company: demo.id.clone(),
            email: "target@demo.example".into(),
            name: "Tess Target".into(),
            password_hash: server::password::hash(password).unwrap(),
            role: AgentRole::Agent,
        })
        .await
        .unwrap();
    let started = app.start_session_at(None).await;
    let (status, rule) =
        app.post(&admin, "/api/v1/rules", json!({"kind": "mask", "selector": "#secret"})).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let webhook = store
        .create_webhook(store::NewWebhook {
            company: demo.id.clone(),
            url: "https://crm.demo.example/beside".into(),
            events: vec![model::WebhookEvent::SessionEnded],
            secret: model::Secret::new("whsec_token_scope_matrix".into()),
            created_by: None,
        })
        .await
        .unwrap();
    let (spare_id, _) = make_token(&app, &admin, "Spare", &["rules"]).await;
    let object_of = |path: &str| -> String {
        path.replace("{slug}", "demo")
            .replace("/agents/{id}", &format!("/agents/{}", target.id))
            .replace("/rules/{id}", &format!("/rules/{}", rule["id"].as_str().unwrap()))
            .replace("/sessions/{id}", &format!("/sessions/{}", started.session_id))
            .replace("/webhooks/{id}", &format!("/webhooks/{}", webhook.id))
            .replace("/tokens/{id}", &format!("/tokens/{spare_id}"))
    };

    // Another company's token with every scope: the demo company's objects do not exist.
    let every: Vec<&str> = ApiScope::ALL.iter().map(|s| s.as_str()).collect();
    let (_, foreign) = make_token(&app, &other_admin, "Other CRM", &every).await;
    let mut tried = 0;
    for row in ROUTES.iter().filter(|r| r.path.contains('{') && r.token_scope().is_some()) {
        let path = object_of(row.path);
        let (status, body) = call(&app, &foreign, row.method, &path).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{} {path} by another company: {body}",
            row.method
        );
        tried += 1;
    }
    assert!(tried >= 8, "tried only {tried} routes with another company's token");

    // One token per scope, each tried on every staff route.
    for scope in ApiScope::ALL {
        let (_, token) = make_token(&app, &admin, scope.as_str(), &[scope.as_str()]).await;
        let mut n_open = 0;
        // Only the routes that take staff credentials: the others never read an API token.
        for row in ROUTES.iter().filter(|r| matches!(r.access, Access::SignedIn | Access::Staff(_)))
        {
            let path = object_of(row.path);
            let (status, body) = call(&app, &token, row.method, &path).await;
            let what = format!("{} {path} with a `{scope}` token: {status} {body}", row.method);
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{what}");
            if row.token_scope() == Some(scope) {
                assert_ne!(status, StatusCode::FORBIDDEN, "{what}");
                n_open += 1;
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(body["error"], json!("forbidden"), "{what}");
            }
        }
        let covered = ROUTES.iter().filter(|r| r.token_scope() == Some(scope)).count();
        assert_eq!(n_open, covered, "`{scope}`");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_token_is_shown_once_listed_without_it_and_dead_once_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let (id, token) = make_token(&app, &admin, "Dynamics 365", &["rules", "sessions:read"]).await;

    let (status, rules) = call(&app, &token, "GET", "/api/v1/rules").await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let listed = admin.get(app.url("/api/v1/tokens")).send().await.unwrap();
    let listed = listed.text().await.unwrap();
    assert!(!listed.contains(&token), "the list shows the token: {listed}");
    assert!(!listed.contains(&token[4..]), "the list shows part of the token: {listed}");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let entry = &listed["tokens"][0];
    assert_eq!(entry["id"], json!(id));
    assert_eq!(entry["name"], json!("Dynamics 365"));
    assert_eq!(entry["scopes"], json!(["sessions:read", "rules"]));
    assert_eq!(entry["created_by"]["email"], json!("agent@demo.example"));
    assert!(entry["last_used_at"].is_string(), "its use is noted: {entry}");

    // Scopes are checked by name; a token cannot make tokens.
    let (status, body) = app
        .post(&admin, "/api/v1/tokens", json!({"name": "x", "scopes": ["sessions:write"]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], json!("unknown_scope"));
    assert!(body["message"].as_str().unwrap().contains("sessions:join"), "{body}");
    let (status, body) =
        app.post(&admin, "/api/v1/tokens", json!({"name": " ", "scopes": ["rules"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = call(&app, &token, "POST", "/api/v1/tokens").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Participant routes still take participant tokens, and an unknown API token is 401.
    let started = app.start_session_at(None).await;
    let (status, body) = app.ticket(&started.session_id, &started.customer_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&app, "bst_not_a_token_of_anyone", "GET", "/api/v1/rules").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], json!("invalid_token"));

    let res = admin.delete(app.url(&format!("/api/v1/tokens/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = call(&app, &token, "GET", "/api/v1/rules").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token: {body}");
    let res = admin.delete(app.url(&format!("/api/v1/tokens/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "revoked twice");

    let events = app.audited("api_token_revoked").await;
    let made = events.iter().find(|e| e.kind == "api_token_created").expect("creation audited");
    assert_eq!(made.detail["name"], json!("Dynamics 365"));
    for event in &events {
        assert!(!event.detail.to_string().contains(&token[4..]), "{event:?} holds the token");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_token_dies_with_its_makers_admin_rights() {
    let app = TestApp::spawn().await;
    let password = "a long enough password";
    app.add_company_with("acme", "ada@acme.example", password, AgentRole::Admin).await;
    let ada = app.login("ada@acme.example", password).await;
    let (_, token) = make_token(&app, &ada, "CRM", &["agents"]).await;
    assert_eq!(call(&app, &token, "GET", "/api/v1/agents").await.0, StatusCode::OK);
    let store = app.store().await;
    let acme = store.company_by_slug("acme").await.unwrap().unwrap();
    let agents = store.agents(&acme.id).await.unwrap();
    let ada_id = &agents[0].id;
    let changes = store::AgentChanges { role: Some(AgentRole::Agent), ..Default::default() };
    store.update_agent(&acme.id, ada_id, agents[0].version, changes).await.unwrap();
    let (status, body) = call(&app, &token, "GET", "/api/v1/agents").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    app.stop().await;
}
