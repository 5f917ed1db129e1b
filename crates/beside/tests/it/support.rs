//! `TestApp::spawn()`: a real beside on port 0, plus helpers per endpoint.

pub mod site;
pub mod ws;

use beside::{App, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tokio::sync::oneshot;

pub use site::TestSite;
pub use ws::{Incoming, Ws};

/// How long any awaited condition may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Which database a test's beside keeps its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `beside.db` in the test's data directory (beside's default).
    Sqlite,
    /// A fresh database in this test binary's private PostgreSQL.
    Postgres,
}

/// Runs `async fn name(backend: Backend)` as two tests, `name::sqlite` and `name::postgres`:
/// `on_both_backends!(name);` next to the function (a module and a function may share a name).
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await
            }
        }
    };
}
pub(crate) use on_both_backends;

/// A new temporary data directory, private as beside wants it (it warns about one that others
/// may read).
pub fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .expect("temp dir permissions");
    dir
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// `/metrics` on a listener of its own, when configured.
    pub metrics_addr: Option<SocketAddr>,
    /// Plain HTTP redirected to HTTPS, when configured.
    pub redirect_addr: Option<SocketAddr>,
    /// The database beside uses (SQLite in `data_dir`, or PostgreSQL).
    pub database: store::DatabaseUrl,
    /// The cloud browser's process id when the app started.
    pub browser_pid: u32,
    pub demo_password: String,
    pub site: TestSite,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub struct Started {
    pub session_id: String,
    pub pin: String,
    pub customer_token: String,
    /// Until when the PIN can be redeemed (RFC 3339).
    pub expires_at: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Starts beside with the test site allowed and `tweak` applied to the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_on(Backend::Sqlite, tweak).await
    }

    /// Starts beside on `backend` (a fresh database) with `tweak` applied.
    pub async fn spawn_on(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(store::testing::fresh_database().await),
        };
        let app = TestApp::start(database, tweak).await;
        assert!(!app.demo_password.is_empty(), "a fresh database gets the demo login");
        app
    }

    /// Starts beside on a database that may already hold an installation (then
    /// `demo_password` is empty: the demo login was made, and shown, before).
    pub async fn spawn_at(
        database: store::DatabaseUrl,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        TestApp::start(Some(database), tweak).await
    }

    /// `database`: `None` for `beside.db` in a fresh data directory.
    async fn start(
        database: Option<store::DatabaseUrl>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        beside::telemetry::init_logging("text", "warn");
        let site = TestSite::start().await;
        let data_dir = private_dir();
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.path().to_owned(),
            ..Config::default()
        };
        config.browser.allow_private = vec![site.addr.to_string()];
        config.database.url = database.map(|url| url.expose());
        if let Ok(path) = std::env::var("BESIDE_CHROMIUM") {
            config.browser.executable = Some(path.into());
        }
        tweak(&mut config);
        let database = config.database_url().expect("the test's database URL parses");
        let mut app = App::build(config).await.expect("beside starts");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let redirect_addr = app.redirect_addr();
        let browser_pid = app.browser_pid().expect("the cloud browser runs");
        let demo_password = app
            .take_demo_credentials()
            .map(|demo| demo.password.expose().clone())
            .unwrap_or_default();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            metrics_addr,
            redirect_addr,
            database,
            browser_pid,
            demo_password,
            site,
            data_dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client with a cookie jar (a browser, as far as the server can tell).
    pub fn browser_client(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).build().expect("client")
    }

    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let res = client.post(self.url(path)).json(&body).send().await.expect("request");
        let status = res.status();
        let body = res.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn start_session_at(&self, start_url: Option<&str>) -> Started {
        let mut body = json!({ "company": "demo", "locale": "de-DE" });
        if let Some(url) = start_url {
            body["start_url"] = json!(url);
        }
        let (status, body) = self.post(&reqwest::Client::new(), "/api/v1/sessions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Started {
            session_id: body["session_id"].as_str().expect("session_id").into(),
            pin: body["pin"].as_str().expect("pin").into(),
            customer_token: body["customer_token"].as_str().expect("customer_token").into(),
            expires_at: body["expires_at"].as_str().expect("expires_at").into(),
        }
    }

    /// A POST with a participant's token, as the web client makes it.
    pub async fn post_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Logs in and returns the client holding the cookie.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.browser_client();
        let (status, body) = self
            .post(&client, "/api/v1/auth/login", json!({ "email": email, "password": password }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client
    }

    pub async fn demo_agent(&self) -> reqwest::Client {
        self.login("agent@demo.example", &self.demo_password).await
    }

    /// Adds a company with an agent through the CLI's own code path (the store).
    pub async fn add_company_with_agent(&self, slug: &str, email: &str, password: &str) {
        self.add_company_with(slug, email, password, model::AgentRole::Agent).await;
    }

    /// Adds a company with one staff account of the given role.
    pub async fn add_company_with(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        role: model::AgentRole,
    ) {
        let store = self.store().await;
        let company = store
            .create_company(store::NewCompany {
                slug: slug.into(),
                name: slug.into(),
                start_url: None,
            })
            .await
            .expect("company");
        store
            .create_agent(store::NewAgent {
                company: company.id,
                email: email.into(),
                name: format!("Agent of {slug}"),
                password_hash: server::password::hash(password).expect("hash"),
                role,
            })
            .await
            .expect("agent");
    }

    /// Another handle on beside's database, as the command line would open it.
    pub async fn store(&self) -> store::Store {
        store::Store::open(&self.database, &store::Config::default()).await.expect("store")
    }

    /// Runs the `beside` command line against this app's database.
    pub fn command_line(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_beside"))
            .args(args)
            .env("BESIDE_DATA_DIR", self.data_dir.path())
            .env("BESIDE_DATABASE_URL", self.database.expose())
            .output()
            .expect("beside runs")
    }

    /// Waits until the audit log holds an event of `kind`: the session reports its
    /// events to the registry, which writes them after the messages that caused them
    /// have gone out, so a test that saw the message may read the log too early.
    pub async fn audited(&self, kind: &str) -> Vec<store::AuditEvent> {
        let store = self.store().await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let events = store.audit_events(None, 200).await.expect("audit events");
            if events.iter().any(|e| e.kind == kind) {
                return events;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {kind} audited in {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Adds an agent to an existing company; returns their logged-in client.
    pub async fn add_agent_to(&self, slug: &str, email: &str, name: &str) -> reqwest::Client {
        let store = self.store().await;
        let company = store.company_by_slug(slug).await.unwrap().expect("the company exists");
        let password = "a long enough password";
        store
            .create_agent(store::NewAgent {
                company: company.id,
                email: email.into(),
                name: name.into(),
                password_hash: server::password::hash(password).expect("hash"),
                role: model::AgentRole::Agent,
            })
            .await
            .expect("agent");
        self.login(email, password).await
    }

    /// Changes what a company decides about its sessions, as `beside company set` does.
    pub async fn set_policy(&self, slug: &str, policy: store::SessionPolicy) {
        let store = self.store().await;
        let company = store.company_by_slug(slug).await.unwrap().expect("the company exists");
        store.set_session_policy(&company.id, policy).await.expect("policy");
    }

    pub async fn join(&self, agent: &reqwest::Client, pin: &str) -> (StatusCode, Value) {
        self.post(agent, "/api/v1/sessions/join", json!({ "pin": pin })).await
    }

    pub async fn ticket(&self, session_id: &str, token: &str) -> (StatusCode, Value) {
        self.post_as(token, &format!("/api/v1/sessions/{session_id}/tickets")).await
    }

    /// Opens a participant's WebSocket the way the web client does (ticket, then upgrade).
    pub async fn connect(&self, session_id: &str, token: &str) -> Ws {
        let (status, body) = self.ticket(session_id, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let ticket = body["ticket"].as_str().expect("ticket");
        Ws::connect(&self.ws_url(session_id, ticket), &self.origin())
            .await
            .expect("websocket opens")
    }

    /// Opens a participant's WebSocket as the web client does, taking frames as tiles, and
    /// rebuilds the picture the client would show.
    pub async fn connect_with_tiles(&self, session_id: &str, token: &str) -> Ws {
        let (status, body) = self.ticket(session_id, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let ticket = body["ticket"].as_str().expect("ticket");
        let url = format!("{}&tiles=1", self.ws_url(session_id, ticket));
        let mut ws = Ws::connect(&url, &self.origin()).await.expect("websocket opens");
        ws.rebuild = true;
        ws
    }

    pub fn ws_url(&self, session_id: &str, ticket: &str) -> String {
        format!("ws://{}/api/v1/sessions/{session_id}/ws?ticket={ticket}", self.addr)
    }

    /// Customer and agent both connected to a fresh session at `start_url`.
    pub async fn pair(&self, start_url: &str) -> (Started, String, Ws, Ws) {
        self.pair_with(start_url, false).await
    }

    /// Like `pair`; with `agent_tiles`, the agent takes frames as tiles as the web client does.
    pub async fn pair_with(&self, start_url: &str, agent_tiles: bool) -> (Started, String, Ws, Ws) {
        let started = self.start_session_at(Some(start_url)).await;
        let mut customer = self.connect(&started.session_id, &started.customer_token).await;
        customer.wait_welcome().await;
        let agent = self.demo_agent().await;
        let (status, body) = self.join(&agent, &started.pin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let agent_token = body["agent_token"].as_str().expect("agent_token").to_owned();
        let mut agent_ws = if agent_tiles {
            self.connect_with_tiles(&started.session_id, &agent_token).await
        } else {
            self.connect(&started.session_id, &agent_token).await
        };
        agent_ws.wait_welcome().await;
        (started, agent_token, customer, agent_ws)
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics")).await.expect("metrics").text().await.expect("text")
    }

    /// Stops beside (gracefully, as on SIGTERM); its data directory goes when the returned
    /// value is dropped.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        let empty = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data_dir, empty)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
