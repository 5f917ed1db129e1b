//! The operator's list of `host:port` pairs the cloud browser may reach although they are
//! loopback or private: intranet sites, and test sites on 127.0.0.1.

use super::host::{normalize_host, Host};

/// `host:port` pairs exempt from the public-internet rule; empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exceptions {
    entries: Vec<(Host, u16)>,
}

/// An exception entry that is not `host:port`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{entry}` is not a valid exception ({why}); expected host:port, e.g. 127.0.0.1:8080, \
     [::1]:9000 or intranet.local:443"
)]
pub struct ExceptionError {
    pub entry: String,
    pub why: String,
}

impl Exceptions {
    /// Parses entries such as `127.0.0.1:8080`, `[::1]:9000` and `intranet.local:443`.
    /// Surrounding whitespace is ignored and blank entries are skipped, so a list split on
    /// commas may end with one.
    pub fn parse(list: &[String]) -> Result<Exceptions, ExceptionError> {
        let mut exceptions = Exceptions::default();
        for entry in list {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (host, port) = parse_entry(entry)
                .map_err(|why| ExceptionError { entry: entry.to_owned(), why })?;
            exceptions.push(host, port);
        }
        Ok(exceptions)
    }

    /// Adds one exception, e.g. the address of a test site started next to beside.
    pub fn push(&mut self, host: Host, port: u16) {
        let host = host.canonical();
        if !self.allows(&host, port) {
            self.entries.push((host, port));
        }
    }

    /// Whether `host:port` is listed; an address matches however it was spelled.
    pub fn allows(&self, host: &Host, port: u16) -> bool {
        let host = host.canonical();
        self.entries.iter().any(|(h, p)| *p == port && *h == host)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn parse_entry(entry: &str) -> Result<(Host, u16), String> {
    let (host, port) = if entry.starts_with('[') {
        let end = entry.find("]:").ok_or("an IPv6 address in brackets needs a port")?;
        (&entry[..=end], &entry[end + 2..])
    } else {
        let (host, port) = entry.rsplit_once(':').ok_or("the port is missing")?;
        if host.contains(':') {
            return Err("write an IPv6 address in brackets, e.g. [::1]:9000".to_owned());
        }
        (host, port)
    };
    let host = normalize_host(host).map_err(|e| e.to_string())?;
    // `u16::from_str` accepts a leading `+`; a port is plain digits.
    let digits_only = !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit());
    let port = match port.parse::<u16>() {
        Ok(n) if digits_only && n != 0 => n,
        _ => return Err(format!("`{port}` is not a port number between 1 and 65535")),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn parse(list: &[&str]) -> Result<Exceptions, ExceptionError> {
        Exceptions::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn ip(s: &str) -> Host {
        Host::Ip(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn exceptions_parse_addresses_brackets_and_names() {
        let list = parse(&["127.0.0.1:8080", " [::1]:9000 ", "Intranet.Local:443", ""]).unwrap();
        assert!(list.allows(&ip("127.0.0.1"), 8080));
        assert!(list.allows(&ip("::1"), 9000));
        assert!(list.allows(&Host::Name("intranet.local".into()), 443));
        assert!(!list.allows(&ip("127.0.0.1"), 9000));
        assert!(!list.allows(&ip("::1"), 8080));
        assert!(!list.allows(&Host::Name("intranet.local".into()), 80));
    }

    #[test]
    fn an_address_exception_matches_its_ipv4_mapped_form() {
        let list = parse(&["127.0.0.1:8080"]).unwrap();
        assert!(list.allows(&ip("::ffff:127.0.0.1"), 8080));
        let list = parse(&["[::ffff:127.0.0.1]:8080"]).unwrap();
        assert!(list.allows(&ip("127.0.0.1"), 8080));
    }

    #[test]
    fn malformed_exceptions_are_rejected_with_the_entry() {
        for entry in [
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:0",
            "127.0.0.1:65536",
            "127.0.0.1:+80",
            "127.0.0.1:http",
            "::1:9000",
            "[::1]",
            "[::1]9000",
            ":8080",
            "exa mple:80",
        ] {
            let err = parse(&[entry]).unwrap_err();
            assert_eq!(err.entry, entry);
            assert!(err.to_string().contains("expected host:port"), "{err}");
        }
    }

    #[test]
    fn pushed_exceptions_are_allowed_once() {
        let mut list = Exceptions::default();
        assert!(list.is_empty());
        list.push(ip("127.0.0.1"), 3000);
        list.push(ip("::ffff:127.0.0.1"), 3000);
        assert!(list.allows(&ip("127.0.0.1"), 3000));
        assert_eq!(list.entries.len(), 1);
    }
}
