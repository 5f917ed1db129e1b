//! Start-up: build every part from the configuration, then serve until told to stop.

use crate::Config;
use anyhow::Context;
use model::{AgentRole, Secret};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpListener;

/// The demo agent's login, created on a fresh data directory and shown once.
pub struct DemoCredentials {
    pub email: String,
    pub password: Secret<String>,
}

/// A built, bound, not yet serving beside.
pub struct App {
    listener: TcpListener,
    local_addr: SocketAddr,
    /// HTTPS on the main listener (`[tls]`).
    tls: Option<server::Tls>,
    /// Plain HTTP that only redirects to HTTPS (`tls.redirect_listen`).
    redirect: Option<TcpListener>,
    /// The demo shop for the cloud browser alone, while the main listener speaks HTTPS.
    demo_listener: Option<TcpListener>,
    state: server::AppState,
    store: store::Store,
    /// `/metrics` on a listener of its own (`server.metrics_listen`).
    metrics: Option<TcpListener>,
    registry: session::Registry,
    browser: browser::Browser,
    /// The webhook deliverer's settings (`[webhooks]`).
    webhooks: server::webhooks::Settings,
    demo: Option<DemoCredentials>,
}

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "agent@demo.example";

impl App {
    pub async fn build(config: Config) -> anyhow::Result<App> {
        config.validate()?;
        crate::datadir::prepare(&config.data_dir)?;
        crate::datadir::warn_if_loose(&config.data_dir);
        let store = open_store(&config).await?;
        purge_expired_logins(&store).await;
        let listen = config.listen_addr()?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let local_addr = listener.local_addr().context("the listener has an address")?;
        let tls = match config.tls_files()? {
            Some(files) => Some(server::Tls::load(files).map_err(crate::usage)?),
            None => None,
        };
        let redirect = match config.redirect_listen_addr()? {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for redirects to HTTPS"))?,
            ),
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };

        // The cloud browser reaches beside's own demo shop over loopback (or the listen IP);
        // over HTTPS the certificate names the public host, so then on a plain loopback
        // listener that serves the demo shop alone.
        let own_ip = match local_addr.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let own = SocketAddr::new(own_ip, local_addr.port());
        let (demo_listener, demo_addr) = if tls.is_some() {
            let demo = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .context("cannot listen on loopback for the demo shop")?;
            let addr = demo.local_addr().context("the demo listener has an address")?;
            (Some(demo), addr)
        } else {
            (None, own)
        };
        let demo_url = url::Url::parse(&format!("http://{demo_addr}/demo/"))
            .context("the demo address is a URL")?;
        let mut browser_config = config.browser.clone();
        browser_config.allow_private.push(demo_addr.to_string());
        let browser = browser::Browser::launch(browser_config)
            .await
            .context("cannot start the cloud browser")?;

        let demo = ensure_demo(&store).await?;
        let (public_origin, allowed_origins) = match &config.server.public_url {
            Some(url) => {
                let origin = url::Url::parse(url)
                    .context("server.public_url is a URL")?
                    .origin()
                    .ascii_serialization();
                (origin.clone(), vec![origin])
            }
            None => {
                let port = local_addr.port();
                let origin = format!("{scheme}://{own}");
                let mut all = vec![
                    origin.clone(),
                    format!("{scheme}://localhost:{port}"),
                    format!("{scheme}://127.0.0.1:{port}"),
                ];
                all.dedup();
                (origin, all)
            }
        };
        let webhooks = config.webhooks.resolve().map_err(anyhow::Error::msg)?;
        let settings = server::Settings {
            secure: tls.is_some() || public_origin.starts_with("https://"),
            public_origin,
            allowed_origins,
            demo_url,
            login_ttl: Duration::from_secs(config.server.login_ttl_hours * 3600),
            trusted_proxies: config.trusted_proxies()?,
            metrics: config.metrics_access()?,
            webhooks: webhooks.clone(),
        };
        let registry =
            session::Registry::new(browser.clone(), store.clone(), config.session.clone());
        let metrics = crate::telemetry::metrics_handle();
        let state = server::AppState::new(registry.clone(), store.clone(), settings, metrics);
        let metrics = match config.metrics_listen_addr()? {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} for /metrics"))?,
            ),
            None => None,
        };
        Ok(App {
            listener,
            local_addr,
            tls,
            redirect,
            demo_listener,
            state,
            store,
            metrics,
            registry,
            browser,
            webhooks,
            demo,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address people open: `https://…` when beside serves TLS itself.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Where plain HTTP is redirected to HTTPS, if it is.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Where `/metrics` has a listener of its own, if it has.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The cloud browser's process id, for tests that kill it.
    #[doc(hidden)]
    pub fn browser_pid(&self) -> Option<u32> {
        self.browser.pid()
    }

    /// The demo login, if this start created it.
    pub fn take_demo_credentials(&mut self) -> Option<DemoCredentials> {
        self.demo.take()
    }

    /// Serves until `shutdown` completes, then ends every session (telling the people in
    /// them), waits for connections to drain, and stops the cloud browser.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let registry = self.registry.clone();
        let purge = tokio::spawn(purge_expired_logins_hourly(self.store.clone()));
        let webhooks = tokio::spawn(server::webhooks::deliver_forever(
            self.store.clone(),
            self.webhooks.clone(),
        ));
        let mut helpers = Vec::new();
        if let Some(listener) = self.metrics {
            helpers.push(tokio::spawn(server::serve_metrics(listener, self.state.clone())));
        }
        if let Some(listener) = self.demo_listener {
            helpers.push(tokio::spawn(server::serve_demo(listener, self.state.clone())));
        }
        if let Some(listener) = self.redirect {
            let port = self.local_addr.port();
            helpers.push(tokio::spawn(server::serve_redirect(listener, port)));
        }
        let graceful = async move {
            shutdown.await;
            tracing::info!("Shutting down: ending sessions.");
            registry.end_all(protocol::EndReason::ServerShutdown).await;
        };
        let res = server::serve(self.listener, self.tls, self.state, graceful).await;
        for helper in helpers {
            helper.abort();
        }
        purge.abort();
        webhooks.abort();
        self.browser.shutdown().await;
        res.context("the server stopped with an error")
    }
}

/// How often agent logins past their time are deleted.
const LOGIN_PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes the agent logins whose time is up (they no longer open anything, but a copy of the
/// database should not hold them either).
async fn purge_expired_logins(store: &store::Store) {
    match store.delete_expired_logins(time::OffsetDateTime::now_utc()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "Deleted expired agent logins."),
        Err(error) => tracing::warn!(%error, "Could not delete expired agent logins."),
    }
}

async fn purge_expired_logins_hourly(store: store::Store) {
    let mut every = tokio::time::interval(LOGIN_PURGE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is now, and `build` purged just before.
    every.tick().await;
    loop {
        every.tick().await;
        purge_expired_logins(&store).await;
    }
}

/// Opens the configured database and applies pending migrations. A misspelt, unreachable or
/// refused database URL, and a database of a newer beside, are the operator's to fix: a
/// `UsageError` (exit code 2) of one line, with the URL shown without its password.
pub async fn open_store(config: &Config) -> anyhow::Result<store::Store> {
    let url = config.database_url().map_err(crate::usage)?;
    open_database(&url, &config.database).await
}

/// Opens a database by URL with the configured pool settings (`beside db copy`).
pub async fn open_database(
    url: &store::DatabaseUrl,
    settings: &store::Config,
) -> anyhow::Result<store::Store> {
    if let Some(file) = url.sqlite_path() {
        crate::datadir::prepare_database_file(file).map_err(crate::usage)?;
    }
    let store = store::Store::open(url, settings).await.map_err(|e| match e {
        store::StoreError::InvalidUrl(_)
        | store::StoreError::Invalid(_)
        | store::StoreError::Connect { .. }
        | store::StoreError::CreateDir { .. }
        | store::StoreError::SchemaTooNew { .. } => crate::usage(anyhow::Error::from(e)),
        other => anyhow::Error::from(other).context(format!("cannot open the database {url}")),
    })?;
    tracing::info!(database = %url, "Opened the database.");
    Ok(store)
}

/// Opens the configured database (for CLI commands that run without a server).
pub async fn store_for_cli(config: &Config) -> anyhow::Result<store::Store> {
    crate::datadir::prepare(&config.data_dir)?;
    open_store(config).await
}

/// On a fresh database: the demo company with its built-in shop and an admin agent.
async fn ensure_demo(store: &store::Store) -> anyhow::Result<Option<DemoCredentials>> {
    if store.count_companies().await? > 0 {
        return Ok(None);
    }
    let company = store
        .create_company(store::NewCompany {
            slug: DEMO_SLUG.into(),
            name: "Beside Outfitters".into(),
            start_url: None,
        })
        .await?;
    let password: String =
        model::random_token().chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
    let hash = server::password::hash(&password)?;
    store
        .create_agent(store::NewAgent {
            company: company.id,
            email: DEMO_EMAIL.into(),
            name: "Alex Demo".into(),
            password_hash: hash,
            role: AgentRole::Admin,
        })
        .await?;
    Ok(Some(DemoCredentials { email: DEMO_EMAIL.into(), password: Secret::new(password) }))
}
