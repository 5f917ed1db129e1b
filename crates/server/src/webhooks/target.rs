//! Where a webhook may post: its URL checked (`check_url`, no IO), then its host resolved and
//! every address it resolves to checked (`resolve`), at registration and at every attempt.
//! The address `resolve` answers is the one `post` connects to.

use policy::egress::{self, normalize_host, Exceptions, Host};
use std::net::{IpAddr, SocketAddr};

/// The longest webhook URL accepted, in bytes.
const MAX_URL_BYTES: usize = store::MAX_WEBHOOK_URL_BYTES;

/// A webhook URL that passed `check_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) url: url::Url,
    pub(crate) host: Host,
    pub(crate) port: u16,
    pub(crate) https: bool,
}

impl Target {
    /// The request target: the path and query.
    pub(crate) fn path_and_query(&self) -> String {
        let mut path = self.url.path().to_owned();
        if let Some(query) = self.url.query() {
            path.push('?');
            path.push_str(query);
        }
        path
    }

    /// The `Host` header: the host, and the port when it is not the scheme's own.
    pub(crate) fn host_header(&self) -> String {
        match self.url.port() {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.to_string(),
        }
    }

    /// The name the TLS certificate must carry (an address without brackets).
    pub(crate) fn tls_name(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Name(name) => name.clone(),
        }
    }
}

/// Why a webhook may not post somewhere. The messages are shown to administrators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TargetError {
    #[error("the URL is not valid: {0}")]
    NotUrl(String),
    #[error("a webhook URL has at most {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error("a webhook URL must start with https:// (plain http only for addresses the operator allows)")]
    Scheme,
    #[error("a webhook URL must not carry a user name or password; put credentials in the path or query")]
    Credentials,
    #[error("a webhook URL must not have a #fragment")]
    Fragment,
    #[error("{0}")]
    Host(#[from] egress::HostError),
    #[error("{host}:{port} cannot be resolved")]
    Unresolved { host: String, port: u16 },
    #[error(
        "{host}:{port} is {ip}, a {reason} address; webhooks may reach it only when the \
         operator lists {host}:{port} in BESIDE_WEBHOOKS_ALLOW_PRIVATE"
    )]
    Refused { host: String, port: u16, ip: IpAddr, reason: &'static str },
}

impl TargetError {
    /// A stable snake_case reason for metrics.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            TargetError::Unresolved { .. } => "unresolved",
            TargetError::Refused { .. } => "address_refused",
            _ => "invalid_url",
        }
    }
}

/// Checks a URL's shape: https (or http for an allowed `host:port`), a host, no credentials
/// and no fragment.
pub(crate) fn check_url(raw: &str, exceptions: &Exceptions) -> Result<Target, TargetError> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return Err(TargetError::TooLong);
    }
    let url = url::Url::parse(raw).map_err(|e| TargetError::NotUrl(e.to_string()))?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(TargetError::Scheme),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if url.fragment().is_some() {
        return Err(TargetError::Fragment);
    }
    let host = url.host_str().ok_or(egress::HostError::Empty)?;
    let host = normalize_host(host)?;
    let port = url.port_or_known_default().ok_or(TargetError::Scheme)?;
    if !https && !exceptions.allows(&host, port) {
        return Err(TargetError::Scheme);
    }
    Ok(Target { url, host, port, https })
}

/// Resolves the target's host and checks every address it resolves to (one refused address
/// refuses the target: the name's owner could steer which one is used). Answers the address to
/// connect to.
pub(crate) async fn resolve(
    target: &Target,
    exceptions: &Exceptions,
) -> Result<SocketAddr, TargetError> {
    let port = target.port;
    let unresolved = || TargetError::Unresolved { host: target.host.to_string(), port };
    let addrs: Vec<SocketAddr> = match &target.host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .map_err(|_| unresolved())?
            .collect(),
    };
    for addr in &addrs {
        egress::decide(&target.host, port, addr.ip(), exceptions).map_err(|refusal| {
            TargetError::Refused {
                host: target.host.to_string(),
                port,
                ip: refusal.ip(),
                reason: refusal.reason(),
            }
        })?;
    }
    addrs.first().copied().ok_or_else(unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(list: &[&str]) -> Exceptions {
        Exceptions::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn https_urls_pass_and_plain_http_only_for_allowed_addresses() {
        let none = Exceptions::default();
        let t = check_url(" https://crm.example/hooks/beside?x=1 ", &none).unwrap();
        assert!(t.https);
        assert_eq!((t.port, t.path_and_query()), (443, "/hooks/beside?x=1".to_owned()));
        assert_eq!(t.host_header(), "crm.example");
        assert_eq!(check_url("http://crm.example/h", &none), Err(TargetError::Scheme));
        let list = allow(&["127.0.0.1:9000"]);
        let t = check_url("http://127.0.0.1:9000/h", &list).unwrap();
        assert_eq!((t.https, t.host_header()), (false, "127.0.0.1:9000".to_owned()));
        assert_eq!(check_url("http://127.0.0.1:9001/h", &list), Err(TargetError::Scheme));
        for bad in [
            "ftp://crm.example/h",
            "https://user:pw@crm.example/h",
            "https://crm.example/h#x",
            "not a url",
            "https://",
        ] {
            assert!(check_url(bad, &none).is_err(), "{bad}");
        }
        let long = format!("https://crm.example/{}", "a".repeat(MAX_URL_BYTES));
        assert_eq!(check_url(&long, &none), Err(TargetError::TooLong));
    }

    #[tokio::test]
    async fn loopback_and_private_addresses_are_refused_unless_allowed() {
        let none = Exceptions::default();
        for url in [
            "https://127.0.0.1/h",
            "https://[::1]:8443/h",
            "https://10.1.2.3/h",
            "https://169.254.169.254/latest",
            "https://0x7f.1/h",
            "https://localhost/h",
        ] {
            let target = check_url(url, &none).unwrap();
            let err = resolve(&target, &none).await.unwrap_err();
            assert_eq!(err.reason(), "address_refused", "{url}: {err}");
            assert!(err.to_string().contains("BESIDE_WEBHOOKS_ALLOW_PRIVATE"), "{err}");
        }
        let list = allow(&["127.0.0.1:9000"]);
        let target = check_url("http://127.0.0.1:9000/h", &list).unwrap();
        assert_eq!(resolve(&target, &list).await, Ok("127.0.0.1:9000".parse().unwrap()));
        let public = check_url("https://93.184.215.14/h", &none).unwrap();
        assert_eq!(resolve(&public, &none).await, Ok("93.184.215.14:443".parse().unwrap()));
    }
}
