//! Settings of the edge, resolved at start-up (after the listener is bound).

use std::time::Duration;

/// What the edge needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The origin people's browsers use, e.g. `https://cobrowse.example.com`.
    pub public_origin: String,
    /// Origins accepted on WebSockets and state-changing requests (the public origin,
    /// plus loopback aliases when no public URL was configured).
    pub allowed_origins: Vec<String>,
    /// Whether cookies get `Secure` (the public origin is https) and HSTS is sent.
    pub secure: bool,
    /// The built-in demo shop as the cloud browser reaches it.
    pub demo_url: url::Url,
    /// How long an agent stays logged in.
    pub login_ttl: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed; per-client limits then key on the
    /// client behind them.
    pub trusted_proxies: policy::client::IpRanges,
    /// Who may read `/metrics` on the main listener.
    pub metrics: MetricsAccess,
    /// Where webhooks may post, and how deliveries are retried.
    pub webhooks: crate::webhooks::Settings,
}

/// Where `/metrics` is served.
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// On the main listener, to clients in these ranges (not through an unlisted proxy).
    Allow(policy::client::IpRanges),
    /// On a listener of its own (`server::metrics_router`); the main listener has none.
    OwnListener,
}

impl Settings {
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}
