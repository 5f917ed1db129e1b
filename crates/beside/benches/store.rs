//! `cargo bench -p beside --bench store` (also `cargo xtask bench --only store`): what the
//! database costs the two requests that wait on it most, agent login and PIN redemption, on
//! SQLite and on PostgreSQL side by side.
//!
//! Each backend gets a real beside (this build, in process, with real Chromium for the
//! sessions) on a fresh database: SQLite in WAL mode as beside runs it, PostgreSQL from
//! Debian's package with its durable defaults (fsync and synchronous commit on). 200 requests
//! of each kind come from 20 concurrent clients, each on its own loopback address as 20 agents'
//! browsers would be; every request is timed from the client. A login is mostly Argon2id (the
//! same on both); a redemption is the agent's login lookup, the PIN, the session record and two
//! audit events. Prints p50 and p95 and writes `target/bench/store.json`. Nothing here asserts
//! a timing.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use beside::{App, Config};
use serde_json::{json, Value};
use tokio::sync::oneshot;

const CLIENTS: usize = 20;
const REQUESTS: usize = 200;
const PASSWORD: &str = "a bench password, long enough";

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    beside::telemetry::init_logging("text", "warn");
    let mut results = Vec::new();
    eprintln!("store bench: SQLite");
    results.extend(measure("sqlite", None).await?);
    eprintln!("store bench: PostgreSQL (starting a private server)");
    let postgres = tokio::task::spawn_blocking(store::testing::PrivatePostgres::start_durable)
        .await?
        .map_err(anyhow::Error::msg)?;
    let url = postgres.create_database().await;
    results.extend(measure("postgres", Some(url)).await?);
    drop(postgres);

    println!(
        "\n{REQUESTS} requests from {CLIENTS} concurrent clients, milliseconds (client-side)\n"
    );
    println!("{:<16} {:<10} {:>8} {:>8} {:>8}", "request", "backend", "p50", "p95", "mean");
    for request in ["login", "pin_redemption"] {
        for r in results.iter().filter(|r| r["request"] == request) {
            println!(
                "{:<16} {:<10} {:>8.1} {:>8.1} {:>8.1}",
                request,
                r["backend"].as_str().unwrap_or(""),
                r["p50_ms"].as_f64().unwrap_or(f64::NAN),
                r["p95_ms"].as_f64().unwrap_or(f64::NAN),
                r["mean_ms"].as_f64().unwrap_or(f64::NAN),
            );
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    let out = target.join("bench/store.json");
    std::fs::create_dir_all(out.parent().context("the report has a directory")?)?;
    let report = json!({
        "clients": CLIENTS,
        "requests": REQUESTS,
        "commit": git_commit(),
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "results": results,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    eprintln!("store bench: written to {}", out.display());
    Ok(())
}

/// A beside on `database` (`None`: SQLite in a fresh data directory), measured.
async fn measure(
    backend: &str,
    database: Option<store::DatabaseUrl>,
) -> anyhow::Result<Vec<Value>> {
    let data_dir = tempfile::tempdir()?;
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.path().to_owned(),
        ..Config::default()
    };
    config.database.url = database.map(|url| url.expose());
    config.session.max_sessions = 2 * CLIENTS;
    if let Ok(path) = std::env::var("BESIDE_CHROMIUM") {
        config.browser.executable = Some(path.into());
    }
    let url = config.database_url()?;
    let app = App::build(config).await?;
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    // Agents to log in as: one per login request, so no address's limit is reached.
    let store = store::Store::open(&url, &store::Config::default()).await?;
    let demo = store.company_by_slug("demo").await?.context("the demo company exists")?;
    let hash = server::password::hash(PASSWORD)?;
    for i in 0..REQUESTS {
        store
            .create_agent(store::NewAgent {
                company: demo.id.clone(),
                email: format!("bench-{i}@demo.example"),
                name: format!("Bench {i}"),
                password_hash: hash.clone(),
                role: model::AgentRole::Agent,
            })
            .await?;
    }
    let clients: Vec<Client> =
        (0..CLIENTS).map(|c| Client::new(addr, c)).collect::<Result<_, _>>()?;

    // Every client logs in as its own agents, one after another, all clients at once.
    let logins = clients.iter().map(|client| async move {
        let mut durations = Vec::new();
        for round in 0..REQUESTS / CLIENTS {
            let email = format!("bench-{}@demo.example", round * CLIENTS + client.index);
            let body = json!({ "email": email, "password": PASSWORD });
            let began = Instant::now();
            client.post("/api/v1/auth/login", body, 200).await?;
            durations.push(began.elapsed());
        }
        Ok::<_, anyhow::Error>(durations)
    });
    let login: Vec<Duration> =
        futures_util::future::try_join_all(logins).await?.into_iter().flatten().collect();

    // Each round, every client's customer starts a session (untimed), every client's agent
    // redeems one PIN (timed), and the sessions end before the next round.
    let mut redeem = Vec::new();
    for _round in 0..REQUESTS / CLIENTS {
        let mut started = Vec::new();
        for client in &clients {
            started.push(client.post("/api/v1/sessions", json!({ "company": "demo" }), 201));
        }
        let started: Vec<Value> = futures_util::future::try_join_all(started).await?;
        let mut joins = Vec::new();
        for (client, session) in clients.iter().zip(&started) {
            let pin = session["pin"].as_str().context("a PIN")?.to_owned();
            joins.push(async move {
                let began = Instant::now();
                client.post("/api/v1/sessions/join", json!({ "pin": pin }), 200).await?;
                Ok::<_, anyhow::Error>(began.elapsed())
            });
        }
        redeem.extend(futures_util::future::try_join_all(joins).await?);
        for (client, session) in clients.iter().zip(&started) {
            let id = session["session_id"].as_str().context("a session id")?;
            let token = session["customer_token"].as_str().context("a token")?;
            client.end(id, token).await?;
        }
        clients[0].wait_no_sessions().await?;
    }

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;
    store.close().await;
    Ok(vec![figures("login", backend, login), figures("pin_redemption", backend, redeem)])
}

fn figures(request: &str, backend: &str, mut durations: Vec<Duration>) -> Value {
    durations.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| {
        let idx = ((durations.len() as f64 * q).ceil() as usize).clamp(1, durations.len()) - 1;
        ms(durations[idx])
    };
    let mean = durations.iter().map(|d| ms(*d)).sum::<f64>() / durations.len() as f64;
    json!({
        "request": request,
        "backend": backend,
        "n": durations.len(),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "mean_ms": mean,
    })
}

/// One agent's browser: its own loopback address and cookie jar.
struct Client {
    index: usize,
    addr: SocketAddr,
    http: reqwest::Client,
}

impl Client {
    fn new(addr: SocketAddr, index: usize) -> anyhow::Result<Client> {
        let own = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + index as u8));
        let http = reqwest::Client::builder().cookie_store(true).local_address(own).build()?;
        Ok(Client { index, addr, http })
    }

    async fn post(&self, path: &str, body: Value, expect: u16) -> anyhow::Result<Value> {
        let res = self.http.post(format!("http://{}{path}", self.addr)).json(&body).send().await?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status != expect {
            bail!("{path} answered {status}: {body}");
        }
        Ok(body)
    }

    async fn end(&self, session: &str, token: &str) -> anyhow::Result<()> {
        let url = format!("http://{}/api/v1/sessions/{session}/end", self.addr);
        let res = self.http.post(url).bearer_auth(token).send().await?;
        if !res.status().is_success() {
            bail!("ending a session answered {}", res.status());
        }
        Ok(())
    }

    /// Waits until the server has closed every session (their tabs are gone).
    async fn wait_no_sessions(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let res = self.http.get(format!("http://{}/readyz", self.addr)).send().await?;
            let body: Value = res.json().await?;
            if body["sessions_active"] == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("sessions did not end: {body}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "unknown".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}
