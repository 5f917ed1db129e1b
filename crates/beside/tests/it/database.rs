//! beside on PostgreSQL when the database goes away and comes back, and moving an installation
//! between databases with `beside db copy`.

use crate::support::{TestApp, PATIENCE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::testing::PrivatePostgres;

/// Asks `/readyz` until it answers `status`; the last answer's body.
async fn wait_ready(app: &TestApp, status: StatusCode) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let res = reqwest::get(app.url("/readyz")).await.unwrap();
        let got = res.status();
        let body: Value = res.json().await.unwrap();
        if got == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz stayed {got}: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn login(app: &TestApp, client: &reqwest::Client) -> (StatusCode, Value) {
    let body = json!({ "email": "agent@demo.example", "password": app.demo_password });
    app.post(client, "/api/v1/auth/login", body).await
}

#[tokio::test]
async fn losing_postgres_keeps_live_sessions_and_refuses_new_work_until_it_is_back() {
    // A server of its own, this test kills it; durable, as one in production (with
    // synchronous commit off, a crash would lose the last commits, the staff's login here).
    let postgres =
        tokio::task::spawn_blocking(PrivatePostgres::start_durable).await.unwrap().unwrap();
    let url = postgres.create_database().await;
    let app = TestApp::spawn_at(url, |c| c.database.connect_timeout_secs = 1).await;
    let (started, _token, mut customer, mut agent) = app.pair(&app.site.url("click")).await;
    customer.click(400.0, 300.0).await;
    agent.wait_title("clicks:1").await;
    let staff = app.demo_agent().await;
    let session_path = format!("/api/v1/sessions/{}", started.session_id);
    assert_eq!(wait_ready(&app, StatusCode::OK).await["database"], true);

    let postgres = tokio::task::spawn_blocking(move || postgres.kill().map(|()| postgres))
        .await
        .unwrap()
        .unwrap();

    // Readiness turns false, and what needs the database is refused with 503 not_ready.
    let ready = wait_ready(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(
        (ready["status"].as_str(), ready["database"].as_bool()),
        (Some("not_ready"), Some(false))
    );
    assert_eq!(ready["browser"], true);
    let (status, body) = login(&app, &app.browser_client()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready"))
    );
    let res = staff.get(app.url(&session_path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (status, body) =
        app.post(&reqwest::Client::new(), "/api/v1/sessions", json!({"company":"demo"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready"))
    );

    // The live session goes on: both still drive the page and see each other's doing.
    customer.click(400.0, 300.0).await;
    agent.wait_title("clicks:2").await;
    agent.click(10.0, 10.0).await;
    customer.wait_title("clicks:3").await;

    // PostgreSQL comes back; the same beside serves everything again.
    let _postgres = tokio::task::spawn_blocking(move || postgres.restart().map(|()| postgres))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(wait_ready(&app, StatusCode::OK).await["database"], true);
    let res = staff.get(app.url(&session_path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = login(&app, &app.browser_client()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = app.start_session_at(None).await;
    let (status, body) = app.join(&staff, &fresh.pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    customer.click(400.0, 300.0).await;
    agent.wait_title("clicks:4").await;

    // Ending the session that lived through the outage is recorded.
    let res = reqwest::Client::new()
        .post(app.url(&format!("{session_path}/end")))
        .bearer_auth(&started.customer_token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    customer.wait_closed().await;
    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let id = started.session_id.parse().unwrap();
    while store.session(&id).await.unwrap().unwrap().ended_at.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the end was not recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.stop().await;
}

/// `beside db copy …` with the test's data directory; (exit code, stdout, stderr).
fn copy(data_dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_beside"))
        .args(["db", "copy"])
        .args(args)
        .env("BESIDE_DATA_DIR", data_dir)
        .env_remove("BESIDE_DATABASE_URL")
        .output()
        .expect("beside runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// What an installation's database holds, through the store's own queries.
async fn contents(store: &store::Store) -> String {
    let demo = store.company_by_slug("demo").await.unwrap().unwrap();
    format!(
        "{demo:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.agent_credentials("agent@demo.example").await.unwrap(),
        store.versioned_rules(&demo.id).await.unwrap(),
        store.audit_events(None, 10_000).await.unwrap(),
        store.row_counts().await.unwrap(),
    )
}

#[tokio::test]
async fn the_demo_installation_moves_to_postgres_and_back() {
    // The demo installation, with a little history: a login, a session joined and ended,
    // a rule.
    let app = TestApp::spawn().await;
    let admin = app.demo_agent().await;
    let started = app.start_session_at(None).await;
    let (status, body) = app.join(&admin, &started.pin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rule = json!({"kind":"mask","selector":"#loyalty-number","url_pattern":"*"});
    let (status, body) = app.post(&admin, "/api/v1/rules", rule).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let demo_password = app.demo_password.clone();
    let sqlite = app.database.clone();
    let data_dir = app.stop().await;
    let original = {
        let store = store::Store::open(&sqlite, &store::Config::default()).await.unwrap();
        contents(&store).await
    };

    // Up to PostgreSQL: every table, counts checked, said in the output.
    let postgres = store::testing::fresh_database().await;
    let (code, stdout, stderr) = copy(data_dir.path(), &["--to", &postgres.expose()]);
    assert_eq!(code, Some(0), "{stderr}");
    for table in
        ["companies", "agents", "agent_logins", "sessions", "company_rules", "audit_events"]
    {
        assert!(stdout.contains(&format!("{table}: ")), "{table} missing from:\n{stdout}");
    }
    assert!(stdout.contains("the row counts match"), "{stdout}");
    let password = url::Url::parse(&postgres.expose()).unwrap().password().unwrap().to_owned();
    assert!(!stdout.contains(&password) && !stderr.contains(&password), "{stdout}{stderr}");

    // Not into a database that already holds one: refused in one line, nothing changed.
    let (code, _, stderr) = copy(data_dir.path(), &["--to", &postgres.expose()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not empty") && !stderr.contains(&password), "{stderr}");

    // Back down to a new SQLite file: the same installation, row for row.
    let back = tempfile::tempdir().unwrap();
    let back_url = format!("sqlite://{}", back.path().join("beside.db").display());
    let (code, _, stderr) =
        copy(data_dir.path(), &["--from", &postgres.expose(), "--to", &back_url]);
    assert_eq!(code, Some(0), "{stderr}");
    let round_trip = store::Store::open(
        &store::DatabaseUrl::parse(&back_url).unwrap(),
        &store::Config::default(),
    )
    .await
    .unwrap();
    assert_eq!(contents(&round_trip).await, original);

    // beside runs on the PostgreSQL copy: the demo login from the first start works, and the
    // company's rule is there.
    let app = TestApp::spawn_at(postgres, |_| {}).await;
    assert!(app.demo_password.is_empty(), "the copy already had its demo login");
    let admin = app.login("agent@demo.example", &demo_password).await;
    let res = admin.get(app.url("/api/v1/rules")).send().await.unwrap();
    let rules: Value = res.json().await.unwrap();
    assert_eq!(rules["rules"][0]["selector"], "#loyalty-number", "{rules}");
    app.stop().await;
}
