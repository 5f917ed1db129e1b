//! Agent accounts over the API (F18): an administrator adds an agent with a one-time
//! set-password link, changes them with a version check, resets, disables and removes them;
//! another company's agent is 404 as if it did not exist.

use crate::support::TestApp;
use model::AgentRole;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client.request(method, app.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uses a set-password link's token, as the page `/set-password` does.
async fn set_password(app: &TestApp, token: String, password: &str) -> (StatusCode, Value) {
    let body = json!({"token": token, "password": password});
    app.post(&reqwest::Client::new(), "/api/v1/auth/set-password", body).await
}

fn token_of(link: &Value) -> String {
    let path = link["set_password_path"].as_str().expect("a link");
    path.strip_prefix("/set-password#").expect("the token in the fragment").to_owned()
}

#[tokio::test]
async fn an_admin_invites_changes_resets_and_removes_an_agent() {
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    use reqwest::Method as M;

    // Field errors name their field by code.
    for (body, code) in [
        (json!({"email": "nope", "name": "X"}), "invalid_email"),
        (json!({"email": "x@demo.example", "name": " "}), "invalid_name"),
        (json!({"email": "agent@DEMO.example", "name": "X"}), "email_taken"),
        (
            json!({"email": "x@demo.example", "name": "X", "password": "short"}),
            "password_too_short",
        ),
        (json!({"email": "x@demo.example", "name": "X", "permissions": ["view"]}), "invalid_role"),
    ] {
        let (status, res) = send(&app, &admin, M::POST, "/api/v1/agents", Some(body)).await;
        assert_eq!(res["error"], json!(code), "{status} {res}");
    }

    let (status, created) = send(
        &app,
        &admin,
        M::POST,
        "/api/v1/agents",
        Some(json!({"email": "nia@demo.example", "name": "Nia", "permissions": AgentRole::Agent.permissions()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["agent"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["agent"]["role"], json!("agent"));
    let token = token_of(&created["link"]);
    // No password works before the link is used.
    let (status, _) = app
        .post(
            &app.browser_client(),
            "/api/v1/auth/login",
            json!({"email": "nia@demo.example", "password": token}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let set = |token: String, password: &'static str| set_password(&app, token, password);
    assert_eq!(set(token.clone(), "short").await.1["error"], json!("password_too_short"));
    assert_eq!(set(token.clone(), "Nia's good password").await.0, StatusCode::NO_CONTENT);
    assert_eq!(set(token.clone(), "Nia's good password").await.1["error"], json!("invalid_link"));
    let nia = app.login("nia@demo.example", "Nia's good password").await;
    let (status, _) = send(&app, &nia, M::GET, "/api/v1/agents", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent is no admin");

    // Two admins change Nia from the version read when she was added (her setting a
    // password is no edit of her record): the second is told.
    let path = format!("/api/v1/agents/{id}");
    let version = created["agent"]["version"].clone();
    let (status, changed) =
        send(&app, &admin, M::PATCH, &path, Some(json!({"version": version, "role": "admin"})))
            .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(changed["permissions"].as_array().unwrap().contains(&json!("admin")));
    let (status, stale) =
        send(&app, &admin, M::PATCH, &path, Some(json!({"version": version, "name": "Other"})))
            .await;
    assert_eq!((status, stale["error"].clone()), (StatusCode::CONFLICT, json!("version_conflict")));
    let (_, me) = send(&app, &nia, M::GET, "/api/v1/auth/me", None).await;
    assert!(me["permissions"].as_array().unwrap().contains(&json!("admin")));

    // Another company's admin does not see her.
    app.add_company_with(
        "other",
        "admin@other.example",
        "a long enough password",
        AgentRole::Admin,
    )
    .await;
    let stranger = app.login("admin@other.example", "a long enough password").await;
    let (_, theirs) = send(&app, &stranger, M::GET, "/api/v1/agents", None).await;
    assert_eq!(theirs["agents"].as_array().unwrap().len(), 1);
    let v = changed["version"].clone();
    for (method, p, body) in [
        (M::PATCH, path.clone(), Some(json!({"version": v, "disabled": true}))),
        (M::DELETE, path.clone(), None),
        (M::POST, format!("{path}/reset-password"), None),
    ] {
        let (status, res) = send(&app, &stranger, method, &p, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}: {res}");
    }

    // A reset ends her password and login, and a new link sets a new one.
    let (status, link) = send(&app, &admin, M::POST, &format!("{path}/reset-password"), None).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(send(&app, &nia, M::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(set(token_of(&link), "Nia's new password").await.0, StatusCode::NO_CONTENT);
    let nia = app.login("nia@demo.example", "Nia's new password").await;

    // An admin cannot lock themselves out; disabling Nia ends her login.
    let (_, me) = send(&app, &admin, M::GET, "/api/v1/auth/me", None).await;
    let own = format!("/api/v1/agents/{}", me["id"].as_str().unwrap());
    let (status, res) = send(&app, &admin, M::DELETE, &own, None).await;
    assert_eq!((status, res["error"].clone()), (StatusCode::CONFLICT, json!("cannot_change_self")));
    // The version read before the reset still holds: a new password is no edit of the record.
    let (status, res) =
        send(&app, &admin, M::PATCH, &path, Some(json!({"version": v, "disabled": true}))).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(send(&app, &nia, M::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post(
            &app.browser_client(),
            "/api/v1/auth/login",
            json!({"email": "nia@demo.example", "password": "Nia's new password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, &admin, M::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, &admin, M::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);

    // Each change is in the audit log: who (the admin, or Nia through her link), what, when.
    let admin_id = me["id"].as_str().unwrap().to_owned();
    let events = app.store().await.audit_events(None, 200).await.unwrap();
    let about_nia: Vec<(&str, Option<String>)> = events
        .iter()
        .rev()
        .filter(|e| e.kind.starts_with("agent_") && e.detail["target"] == json!(id))
        .map(|e| (e.kind.as_str(), e.agent.as_ref().map(|a| a.to_string())))
        .collect();
    let (by_admin, by_nia) = (Some(admin_id.clone()), Some(id.clone()));
    assert_eq!(
        about_nia,
        [
            ("agent_account_created", by_admin.clone()),
            ("agent_password_set", by_nia.clone()),
            ("agent_account_changed", by_admin.clone()),
            ("agent_password_reset", by_admin.clone()),
            ("agent_password_set", by_nia),
            ("agent_account_changed", by_admin.clone()),
            ("agent_account_deleted", by_admin),
        ]
    );
    let changed = events.iter().find(|e| e.kind == "agent_account_changed").unwrap();
    assert_eq!(changed.detail["changed"], json!({"disabled": true}), "{changed:?}");
    assert_eq!(changed.detail["email"], json!("nia@demo.example"));
    for event in &events {
        let text = event.detail.to_string();
        assert!(!text.contains("Nia's") && !text.contains(&token), "a secret in {text}");
    }
    app.stop().await;
}

/// The output line of a command that must succeed.
fn command_line(app: &TestApp, args: &[&str]) -> String {
    let out = app.command_line(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_command_line_manages_the_agents_a_running_server_serves() {
    let app = TestApp::spawn().await;
    use reqwest::Method as M;
    let created = command_line(
        &app,
        &["agent", "create", "--company", "demo", "--email", "Cli@Demo.example", "--name", "Cleo"],
    );
    // The link's address is the configured one; its token sets a password once.
    let link = created.lines().last().unwrap();
    let token = link.split_once("/set-password#").expect("a set-password link").1.to_owned();
    let set = |token: String, password: &'static str| async {
        set_password(&app, token, password).await.0
    };
    assert_eq!(set(token.clone(), "Cleo's first password").await, StatusCode::NO_CONTENT);
    let cleo = app.login("cli@demo.example", "Cleo's first password").await;

    // Disabling on the command line ends her login on the running server at once.
    let listed = command_line(&app, &["agent", "list", "--company", "demo"]);
    let line = listed.lines().find(|l| l.contains("Cli@Demo.example")).expect(&listed);
    assert!(line.ends_with("\tCleo\tagent\tactive"), "{line}");
    command_line(&app, &["agent", "disable", "--company", "demo", "--email", "cli@demo.example"]);
    assert_eq!(
        send(&app, &cleo, M::GET, "/api/v1/auth/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let listed = command_line(&app, &["agent", "list", "--company", "demo"]);
    assert!(listed.contains("\tCleo\tagent\tdisabled"), "{listed}");
    command_line(&app, &["agent", "enable", "--company", "demo", "--email", "cli@demo.example"]);
    let cleo = app.login("cli@demo.example", "Cleo's first password").await;

    // A reset ends the password and the login, and its link sets a new one.
    let reset = command_line(
        &app,
        &["agent", "reset-password", "--company", "demo", "--email", "cli@demo.example"],
    );
    let token = reset.lines().last().unwrap().split_once('#').expect(&reset).1.to_owned();
    assert_eq!(
        send(&app, &cleo, M::GET, "/api/v1/auth/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(set(token, "Cleo's second password").await, StatusCode::NO_CONTENT);
    app.login("cli@demo.example", "Cleo's second password").await;
    command_line(&app, &["agent", "delete", "--company", "demo", "--email", "cli@demo.example"]);
    let listed = command_line(&app, &["agent", "list", "--company", "demo"]);
    assert!(!listed.contains("Cleo"), "{listed}");

    // Audited as done on the command line (no agent), never with the link's token.
    let events = app.store().await.audit_events(None, 200).await.unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .rev()
        .filter(|e| e.detail["email"] == json!("Cli@Demo.example") && e.agent.is_none())
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "agent_account_created",
            "agent_account_changed",
            "agent_account_changed",
            "agent_password_reset",
            "agent_account_deleted",
        ]
    );
    assert!(events
        .iter()
        .filter(|e| e.agent.is_none() && e.kind.starts_with("agent_"))
        .all(|e| e.detail["via"] == json!("command_line")));
    app.stop().await;
}
