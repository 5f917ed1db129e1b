//! Webhook deliveries (F23): beside posts a company's events to the addresses its
//! administrators registered, signed with each webhook's secret.
//!
//! The HTTP client lives here, in the edge, and nowhere else: `post` opens the connection
//! itself, to the one address `target` checked, so no name is resolved twice (no DNS
//! rebinding gap) and no proxy setting of the environment applies. Addresses obey the cloud
//! browser's rule (`policy::egress`): loopback, private, link-local and metadata addresses are
//! refused unless `webhooks.allow_private` names the `host:port`; plain `http` is accepted for
//! those alone. The check runs at registration and again at every attempt.
//!
//! Architecture Invariant: a delivery connects only to an address `target::resolve` checked
//! for that attempt.

mod deliverer;
mod post;
mod signature;
mod target;

pub use deliverer::deliver_forever;
pub(crate) use signature::sign;
pub(crate) use target::{check_url, resolve, TargetError};

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `[webhooks]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port` entries webhooks may reach although they are loopback or private
    /// (`BESIDE_WEBHOOKS_ALLOW_PRIVATE`); plain `http` is accepted only for these.
    pub allow_private: Vec<String>,
    /// How long one attempt may take (connecting, TLS, the answer's head), in seconds.
    pub timeout_secs: u64,
    /// The wait before the first retry, in seconds; each further one waits twice as long
    /// (give or take a fifth, at random), up to `max_retry_secs`.
    pub first_retry_secs: u64,
    /// The longest wait between two attempts, in seconds.
    pub max_retry_secs: u64,
    /// How long after its event a delivery is still tried, in hours; then it is marked failed.
    pub retry_hours: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allow_private: Vec::new(),
            timeout_secs: 10,
            first_retry_secs: 30,
            max_retry_secs: 3600,
            retry_hours: 24,
        }
    }
}

impl Config {
    /// The settings the server runs with; an error names the setting that is wrong.
    pub fn resolve(&self) -> Result<Settings, String> {
        let exceptions = policy::egress::Exceptions::parse(&self.allow_private)
            .map_err(|e| format!("webhooks.allow_private: {e}"))?;
        if !(1..=120).contains(&self.timeout_secs) {
            return Err("webhooks.timeout_secs must be 1 to 120".to_owned());
        }
        if !(1..=86_400).contains(&self.first_retry_secs) {
            return Err("webhooks.first_retry_secs must be 1 to 86400".to_owned());
        }
        if !(self.first_retry_secs..=86_400).contains(&self.max_retry_secs) {
            return Err(
                "webhooks.max_retry_secs must be at least webhooks.first_retry_secs and at most \
                 86400"
                    .to_owned(),
            );
        }
        if !(1..=720).contains(&self.retry_hours) {
            return Err("webhooks.retry_hours must be 1 to 720".to_owned());
        }
        Ok(Settings {
            exceptions,
            timeout: Duration::from_secs(self.timeout_secs),
            first_retry: Duration::from_secs(self.first_retry_secs),
            max_retry: Duration::from_secs(self.max_retry_secs),
            retry_for: Duration::from_secs(self.retry_hours * 3600),
        })
    }
}

/// The `[webhooks]` settings, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The `host:port`s that may be loopback or private, and may be plain `http`.
    pub exceptions: policy::egress::Exceptions,
    pub timeout: Duration,
    pub first_retry: Duration,
    pub max_retry: Duration,
    pub retry_for: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Config::default().resolve().expect("the default webhook settings are valid")
    }
}
