//! Configuration, declared once and layered: defaults < TOML file < `BESIDE_*`
//! environment < command-line flags. Invalid values stop start-up with exit code 2.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting of beside.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, host:port (`BESIDE_LISTEN`).
    pub listen: String,
    /// Where the database and files live (`BESIDE_DATA_DIR`).
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub tls: TlsConfig,
    pub browser: browser::Config,
    pub session: session::Config,
    pub database: store::Config,
    pub webhooks: server::webhooks::Config,
    pub recordings: RecordingsConfig,
    pub log: LogConfig,
}

/// The `[server]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// The address people's browsers use, e.g. `https://cobrowse.example.com`, when beside
    /// runs behind a TLS-terminating proxy. Default: `http://<listen>`.
    pub public_url: Option<String>,
    /// How long an agent stays logged in, in hours.
    pub login_ttl_hours: u64,
    /// Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is believed
    /// (`BESIDE_SERVER_TRUSTED_PROXIES`); every per-client limit then keys on the client
    /// behind them.
    pub trusted_proxies: Vec<String>,
    /// Addresses or CIDR ranges that may read `/metrics` on the main listener
    /// (`BESIDE_SERVER_METRICS_ALLOW`).
    pub metrics_allow: Vec<String>,
    /// A listen address (host:port) of its own for `/metrics` (`BESIDE_SERVER_METRICS_LISTEN`);
    /// the main listener then serves no metrics.
    pub metrics_listen: Option<String>,
}

/// The `[tls]` section: beside serving HTTPS itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, a PEM file (`BESIDE_TLS_CERT`). With `key`, the main listener
    /// speaks HTTPS only (TLS 1.2 and 1.3); both files are read again when they change.
    pub cert: Option<PathBuf>,
    /// The certificate's private key, a PEM file (`BESIDE_TLS_KEY`).
    pub key: Option<PathBuf>,
    /// A listen address (host:port) for plain HTTP that only redirects to HTTPS
    /// (`BESIDE_TLS_REDIRECT_LISTEN`), e.g. `0.0.0.0:80`.
    pub redirect_listen: Option<String>,
}

/// The `[recordings]` section: where recordings and their master keys are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingsConfig {
    /// The master keys file (`BESIDE_RECORDINGS_KEY_FILE`); default `recordings.key` in the
    /// data directory. Made with one key when it is missing. Back it up, apart from the
    /// recordings: without it no recording can be read.
    pub key_file: Option<PathBuf>,
}

/// The `[log]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (for people) or `json` (for log collectors).
    pub format: String,
    /// A tracing filter such as `info` or `beside=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./beside-data"),
            server: ServerConfig::default(),
            tls: TlsConfig::default(),
            browser: browser::Config::default(),
            session: session::Config::default(),
            database: store::Config::default(),
            webhooks: server::webhooks::Config::default(),
            recordings: RecordingsConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: None,
            login_ttl_hours: 12,
            trusted_proxies: Vec::new(),
            metrics_allow: vec!["127.0.0.0/8".into(), "::1".into()],
            metrics_listen: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: "text".into(), level: "info".into() }
    }
}

/// The sections whose keys can be set as `BESIDE_<SECTION>_<KEY>`.
const SECTIONS: &[&str] =
    &["server", "tls", "browser", "session", "database", "webhooks", "recordings", "log"];

impl Config {
    /// Reads the file (if any) and the environment on top of the defaults.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let text = match file {
            Some(path) => Some((
                std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the configuration file {}", path.display())
                })?,
                path.display().to_string(),
            )),
            None => None,
        };
        Config::from_text(text.as_ref().map(|(t, name)| (t.as_str(), name.as_str())), env)
    }

    /// Like [`Config::load`], with the file's text and its name (for messages) given.
    pub fn from_text(
        file: Option<(&str, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut table = match file {
            Some((text, name)) => {
                text.parse::<toml::Table>().with_context(|| format!("{name} is not valid TOML"))?
            }
            None => toml::Table::new(),
        };
        let defaults = toml::Table::try_from(Config::default()).context("defaults serialize")?;
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("BESIDE_") else { continue };
            let (section, key) = match rest {
                "LISTEN" => (None, "listen".to_owned()),
                "DATA_DIR" => (None, "data_dir".to_owned()),
                "CHROMIUM" => (Some("browser".to_owned()), "executable".to_owned()),
                _ => match rest.split_once('_') {
                    Some((s, k)) if SECTIONS.contains(&s.to_lowercase().as_str()) => {
                        (Some(s.to_lowercase()), k.to_lowercase())
                    }
                    _ => bail!("{name} is not a setting of beside; see `beside --help` and docs/configuration.md"),
                },
            };
            let default = match &section {
                Some(s) => defaults.get(s).and_then(|t| t.get(&key)),
                None => defaults.get(&key),
            };
            let value = typed_value(&name, &value, default)?;
            let target = match &section {
                Some(s) => table
                    .entry(s.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .with_context(|| {
                        format!("[{s}] in the configuration file must be a section")
                    })?,
                None => &mut table,
            };
            target.insert(key, value);
        }
        let config: Config =
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
                anyhow::anyhow!("invalid configuration: {}", e.message())
            })?;
        config.validate()?;
        Ok(config)
    }

    /// The recordings' master keys file.
    pub fn recordings_key_file(&self) -> PathBuf {
        self.recordings
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(recording::KEY_FILE_NAME))
    }

    /// Where recordings are kept: `recordings/` in the data directory.
    pub fn recordings_dir(&self) -> PathBuf {
        self.data_dir.join("recordings")
    }

    /// Refuses values that cannot work, naming the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        self.session.validate().map_err(anyhow::Error::msg)?;
        if let Some(url) = &self.database.url {
            store::DatabaseUrl::parse(url)
                .map_err(|e| anyhow::anyhow!("BESIDE_DATABASE_URL (database.url): {e}"))?;
        }
        self.database.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(url) = &self.server.public_url {
            let parsed = url::Url::parse(url)
                .with_context(|| format!("server.public_url `{url}` is not a URL; expected e.g. https://cobrowse.example.com"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                bail!("server.public_url `{url}` must be an http or https address");
            }
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!("log.format `{}` is not known; expected `text` or `json`", self.log.format);
        }
        if self.server.login_ttl_hours == 0 {
            bail!("server.login_ttl_hours must be at least 1");
        }
        self.trusted_proxies()?;
        self.metrics_access()?;
        self.metrics_listen_addr()?;
        self.tls_files()?;
        self.redirect_listen_addr()?;
        self.webhooks.resolve().map_err(anyhow::Error::msg)?;
        Ok(())
    }

    /// The certificate and key beside serves HTTPS with, when it does.
    pub fn tls_files(&self) -> anyhow::Result<Option<server::TlsFiles>> {
        match (&self.tls.cert, &self.tls.key) {
            (Some(cert), Some(key)) => {
                Ok(Some(server::TlsFiles { cert: cert.clone(), key: key.clone() }))
            }
            (None, None) => Ok(None),
            (Some(_), None) => {
                bail!("BESIDE_TLS_CERT (tls.cert) is set without BESIDE_TLS_KEY (tls.key); HTTPS needs both")
            }
            (None, Some(_)) => {
                bail!("BESIDE_TLS_KEY (tls.key) is set without BESIDE_TLS_CERT (tls.cert); HTTPS needs both")
            }
        }
    }

    /// The plain-HTTP listen address that redirects to HTTPS, when there is one.
    pub fn redirect_listen_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        let Some(listen) = &self.tls.redirect_listen else { return Ok(None) };
        if self.tls.cert.is_none() {
            bail!("tls.redirect_listen redirects to HTTPS, which needs BESIDE_TLS_CERT and BESIDE_TLS_KEY");
        }
        let addr: SocketAddr = listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "tls.redirect_listen `{listen}` is not a valid listen address; expected host:port, \
                 e.g. 0.0.0.0:80"
            )
        })?;
        if addr.port() != 0 && addr == self.listen_addr()? {
            bail!(
                "tls.redirect_listen `{listen}` is the main listen address; give it another port"
            );
        }
        Ok(Some(addr))
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> anyhow::Result<policy::client::IpRanges> {
        policy::client::IpRanges::parse(&self.server.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))
    }

    /// Where `/metrics` is served on the main listener.
    pub fn metrics_access(&self) -> anyhow::Result<server::MetricsAccess> {
        if self.server.metrics_listen.is_some() {
            return Ok(server::MetricsAccess::OwnListener);
        }
        let allow = policy::client::IpRanges::parse(&self.server.metrics_allow)
            .map_err(|e| anyhow::anyhow!("server.metrics_allow: {e}"))?;
        Ok(server::MetricsAccess::Allow(allow))
    }

    /// The listen address of `/metrics`, when it has one of its own.
    pub fn metrics_listen_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        let Some(listen) = &self.server.metrics_listen else { return Ok(None) };
        let addr = listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "server.metrics_listen `{listen}` is not a valid listen address; expected \
                 host:port, e.g. 10.0.0.5:9090"
            )
        })?;
        Ok(Some(addr))
    }

    /// The database beside uses: `database.url`, or `beside.db` in the data directory.
    pub fn database_url(&self) -> anyhow::Result<store::DatabaseUrl> {
        self.database
            .database_url(&self.data_dir.join("beside.db"))
            .map_err(|e| anyhow::anyhow!("BESIDE_DATABASE_URL (database.url): {e}"))
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "`{}` is not a valid listen address; expected host:port, e.g. 127.0.0.1:8080",
                self.listen
            )
        })
    }
}

/// Converts an environment string to the type the setting has by default.
fn typed_value(
    name: &str,
    raw: &str,
    default: Option<&toml::Value>,
) -> anyhow::Result<toml::Value> {
    Ok(match default {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim().parse().with_context(|| format!("{name}=`{raw}` is not a whole number"))?,
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => bail!("{name}=`{raw}` is not true or false"),
        }),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.into()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_environment_overrides_defaults_with_typed_values() {
        let c = Config::load(
            None,
            env(&[
                ("BESIDE_LISTEN", "0.0.0.0:9000"),
                ("BESIDE_DATA_DIR", "/tmp/x"),
                ("BESIDE_BROWSER_ALLOW_PRIVATE", "127.0.0.1:3000, intranet:443"),
                ("BESIDE_SESSION_PIN_TTL_SECS", "30"),
                ("BESIDE_CHROMIUM", "/opt/chromium"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(
            c.browser.allow_private,
            vec!["127.0.0.1:3000".to_string(), "intranet:443".to_string()]
        );
        assert_eq!(c.session.pin_ttl_secs, 30);
        assert_eq!(c.browser.executable, Some(PathBuf::from("/opt/chromium")));
    }

    #[test]
    fn webhooks_may_reach_the_private_addresses_listed() {
        let c = Config::load(
            None,
            env(&[
                ("BESIDE_WEBHOOKS_ALLOW_PRIVATE", "127.0.0.1:9000, crm.intranet:443"),
                ("BESIDE_WEBHOOKS_FIRST_RETRY_SECS", "5"),
            ]),
        )
        .unwrap();
        let settings = c.webhooks.resolve().unwrap();
        let crm = policy::egress::normalize_host("crm.intranet").unwrap();
        assert!(settings.exceptions.allows(&crm, 443));
        assert!(!settings.exceptions.allows(&crm, 80));
        assert_eq!(settings.first_retry, std::time::Duration::from_secs(5));
        for (key, value, needle) in [
            ("BESIDE_WEBHOOKS_ALLOW_PRIVATE", "127.0.0.1", "webhooks.allow_private"),
            ("BESIDE_WEBHOOKS_TIMEOUT_SECS", "0", "webhooks.timeout_secs"),
            ("BESIDE_WEBHOOKS_MAX_RETRY_SECS", "1", "webhooks.max_retry_secs"),
        ] {
            let e = format!("{:#}", Config::load(None, env(&[(key, value)])).unwrap_err());
            assert!(e.contains(needle), "{key}={value}: {e}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let c = Config::load(
            None,
            env(&[("BESIDE_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,2001:db8::/32")]),
        )
        .unwrap();
        let proxies = c.trusted_proxies().unwrap();
        assert!(proxies.contains("10.9.8.7".parse().unwrap()));
        assert!(proxies.contains("2001:db8::1".parse().unwrap()));
        assert!(!proxies.contains("192.0.2.8".parse().unwrap()));
        let e = Config::load(None, env(&[("BESIDE_SERVER_TRUSTED_PROXIES", "10.0.0.1/8")]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("server.trusted_proxies"), "{e:#}");
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        let e = Config::load(None, env(&[("BESIDE_LISTEN", "nope")])).unwrap_err();
        assert!(format!("{e:#}").contains("not a valid listen address"), "{e:#}");
        let e = Config::load(None, env(&[("BESIDE_SESSION_PIN_TTL_SECS", "ten")])).unwrap_err();
        assert!(format!("{e:#}").contains("BESIDE_SESSION_PIN_TTL_SECS"), "{e:#}");
        let e = Config::load(None, env(&[("BESIDE_SESSION_NO_SUCH_THING", "1")])).unwrap_err();
        assert!(format!("{e:#}").contains("no_such_thing"), "{e:#}");
        let e = Config::load(None, env(&[("BESIDE_SESSION_PIN_ATTEMPTS_PER_AGENT_HOUR", "100")]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("one agent's wrong PINs"), "{e:#}");
        let e = Config::load(None, env(&[("BESIDE_NOPE_X", "1")])).unwrap_err();
        assert!(format!("{e:#}").contains("BESIDE_NOPE_X"), "{e:#}");
    }

    #[test]
    fn tls_needs_both_files_and_a_redirect_needs_tls() {
        let c = Config::load(
            None,
            env(&[
                ("BESIDE_TLS_CERT", "/etc/beside/cert.pem"),
                ("BESIDE_TLS_KEY", "/etc/beside/key.pem"),
                ("BESIDE_TLS_REDIRECT_LISTEN", "127.0.0.1:8081"),
            ]),
        )
        .unwrap();
        let files = c.tls_files().unwrap().unwrap();
        assert_eq!(files.cert, PathBuf::from("/etc/beside/cert.pem"));
        assert_eq!(c.redirect_listen_addr().unwrap(), Some("127.0.0.1:8081".parse().unwrap()));
        for (pairs, needle) in [
            (&[("BESIDE_TLS_CERT", "/c.pem")][..], "without BESIDE_TLS_KEY"),
            (&[("BESIDE_TLS_KEY", "/k.pem")][..], "without BESIDE_TLS_CERT"),
            (&[("BESIDE_TLS_REDIRECT_LISTEN", "0.0.0.0:80")][..], "needs BESIDE_TLS_CERT"),
            (
                &[
                    ("BESIDE_TLS_CERT", "/c.pem"),
                    ("BESIDE_TLS_KEY", "/k.pem"),
                    ("BESIDE_TLS_REDIRECT_LISTEN", "port 80"),
                ][..],
                "not a valid listen address",
            ),
        ] {
            let e = format!("{:#}", Config::load(None, env(pairs)).unwrap_err());
            assert!(e.contains(needle), "{pairs:?}: {e}");
        }
    }

    #[test]
    fn the_database_is_set_by_url_and_defaults_to_the_data_directory() {
        let c = Config::load(None, env(&[("BESIDE_DATA_DIR", "/srv/beside")])).unwrap();
        assert_eq!(c.database_url().unwrap().to_string(), "sqlite:///srv/beside/beside.db");
        let c = Config::load(
            None,
            env(&[
                ("BESIDE_DATABASE_URL", "postgres://beside:pw@db:5432/beside"),
                ("BESIDE_DATABASE_POOL_SIZE", "20"),
                ("BESIDE_DATABASE_CONNECT_TIMEOUT_SECS", "2"),
                ("BESIDE_DATABASE_STATEMENT_TIMEOUT_SECS", "10"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database_url().unwrap().to_string(), "postgres://beside:***@db:5432/beside");
        assert_eq!(
            (
                c.database.pool_size,
                c.database.connect_timeout_secs,
                c.database.statement_timeout_secs
            ),
            (20, 2, 10)
        );
        assert!(!format!("{c:?}").contains(":pw@"), "{c:?}");
        for (key, value, needle) in [
            ("BESIDE_DATABASE_URL", "postgress://beside:pw@db/beside", "postgress"),
            ("BESIDE_DATABASE_URL", "mysql://beside:pw@db/beside", "mysql"),
            ("BESIDE_DATABASE_POOL_SIZE", "0", "pool_size"),
            ("BESIDE_DATABASE_CONNECT_TIMEOUT_SECS", "0", "connect_timeout_secs"),
            ("BESIDE_DATABASE_NO_SUCH", "1", "no_such"),
        ] {
            let e = format!("{:#}", Config::load(None, env(&[(key, value)])).unwrap_err());
            assert!(e.contains(needle) && !e.contains(":pw@"), "{key}={value}: {e}");
        }
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("beside.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:7000\"\n[session]\nmax_sessions = 3\n")
            .unwrap();
        let c = Config::load(Some(&path), env(&[("BESIDE_LISTEN", "127.0.0.1:7001")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:7001");
        assert_eq!(c.session.max_sessions, 3);
    }

    #[test]
    fn every_setting_is_documented() {
        let doc = include_str!("../../../docs/configuration.md");
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        let mut keys: Vec<String> = Vec::new();
        for (key, value) in &defaults {
            match value.as_table() {
                Some(section) => keys.extend(section.keys().map(|k| format!("[{key}]|{k}"))),
                None => keys.push(format!("|{key}")),
            }
        }
        // Settings without a default value do not serialize; name them here.
        keys.extend(
            [
                "[server]|public_url",
                "[server]|metrics_listen",
                "[browser]|executable",
                "[browser]|user",
                "[database]|url",
                "[tls]|cert",
                "[tls]|key",
                "[tls]|redirect_listen",
                "[recordings]|key_file",
            ]
            .map(String::from),
        );
        for key in keys {
            let (section, name) = key.split_once('|').unwrap();
            assert!(
                section.is_empty() || doc.contains(&format!("## `{section}`")),
                "{section} is not documented"
            );
            assert!(
                doc.contains(&format!("| `{name}` |")),
                "{key} is not in docs/configuration.md"
            );
        }
    }
}
