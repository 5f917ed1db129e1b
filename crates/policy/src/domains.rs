//! Where a company lets its sessions go: an allow list and a deny list of domain patterns
//! (F17). The egress proxy asks about every request of a session, the address bar about every
//! address typed into it.
//!
//! A pattern is a host name (`example.com`: that name and every name under it), a wildcard
//! (`*.example.com`: only the names under it), or an address (`192.0.2.7`: that address only).
//! The deny list wins; a non-empty allow list lets through only what it matches.

use crate::egress::{normalize_host, Host};

/// The most patterns one list may hold.
pub const MAX_PATTERNS: usize = 200;

/// One domain pattern in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainPattern {
    /// `*.` in front: only names under `host`, not `host` itself.
    subdomains_only: bool,
    host: Host,
}

/// Why a text is not a domain pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "`{0}` is not a domain pattern; write a name such as example.com, a wildcard such as \
         *.example.com, or an address"
    )]
    Invalid(String),
    #[error("a list holds at most {MAX_PATTERNS} domain patterns")]
    TooMany,
}

impl PatternError {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            PatternError::Invalid(_) => "invalid_domain_pattern",
            PatternError::TooMany => "too_many_domain_patterns",
        }
    }
}

impl DomainPattern {
    /// Reads a pattern: surrounding space trimmed, letter case and IDNA folded as hosts are.
    pub fn parse(input: &str) -> Result<DomainPattern, PatternError> {
        let trimmed = input.trim();
        let invalid = || {
            PatternError::Invalid(trimmed.chars().take(64).flat_map(char::escape_debug).collect())
        };
        let (subdomains_only, rest) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        // Schemes, ports, paths and further wildcards have no place in a domain pattern.
        if rest.is_empty() || rest.contains(['*', '/', '@', ':']) && !rest.starts_with('[') {
            return Err(invalid());
        }
        let host = normalize_host(rest).map_err(|_| invalid())?;
        match &host {
            Host::Ip(_) if subdomains_only => Err(invalid()),
            // A lone label such as `com` would cover a whole top-level domain by mistake;
            // `localhost` is the one single-label name people mean.
            Host::Name(name) if !name.contains('.') && name != "localhost" => Err(invalid()),
            _ => Ok(DomainPattern { subdomains_only, host }),
        }
    }

    /// Whether the pattern covers `host` (in canonical form, as `normalize_host` gives it).
    pub fn matches(&self, host: &Host) -> bool {
        match (&self.host, host.canonical()) {
            (Host::Ip(pattern), Host::Ip(ip)) => pattern.to_canonical() == ip,
            (Host::Name(pattern), Host::Name(name)) => {
                let under = name
                    .strip_suffix(pattern.as_str())
                    .is_some_and(|head| head.ends_with('.') && head.len() > 1);
                under || (!self.subdomains_only && name == *pattern)
            }
            _ => false,
        }
    }
}

/// Shows the pattern as it is stored: `*.example.com`, `example.com`, `192.0.2.7`, `[::1]`.
impl std::fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.subdomains_only {
            f.write_str("*.")?;
        }
        write!(f, "{}", self.host)
    }
}

/// A company's two lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainLists {
    pub allow: Vec<DomainPattern>,
    pub deny: Vec<DomainPattern>,
}

/// Why a host may not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DomainRefusal {
    #[error("the company does not allow this site in its sessions")]
    Denied,
    #[error("the company allows only certain sites in its sessions, and this is not one of them")]
    NotAllowed,
}

impl DomainRefusal {
    /// A stable snake_case reason for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            DomainRefusal::Denied => "domain_denied",
            DomainRefusal::NotAllowed => "domain_not_allowed",
        }
    }
}

impl DomainLists {
    /// Reads both lists; the first bad pattern names itself.
    pub fn parse(allow: &[String], deny: &[String]) -> Result<DomainLists, PatternError> {
        let list = |texts: &[String]| {
            if texts.len() > MAX_PATTERNS {
                return Err(PatternError::TooMany);
            }
            texts.iter().map(|t| DomainPattern::parse(t)).collect::<Result<Vec<_>, _>>()
        };
        Ok(DomainLists { allow: list(allow)?, deny: list(deny)? })
    }

    /// Whether nothing is restricted.
    pub fn is_open(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Decides whether a session may reach `host`: not on the deny list, and on the allow list
    /// when there is one.
    pub fn decide(&self, host: &Host) -> Result<(), DomainRefusal> {
        if self.deny.iter().any(|p| p.matches(host)) {
            return Err(DomainRefusal::Denied);
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|p| p.matches(host)) {
            return Err(DomainRefusal::NotAllowed);
        }
        Ok(())
    }

    /// Decides for the host of an address (`None`: an address without a host, which other
    /// checks refuse).
    pub fn decide_url(&self, url: &url::Url) -> Result<(), DomainRefusal> {
        match url.host_str().map(normalize_host) {
            Some(Ok(host)) => self.decide(&host),
            // A host the proxy could not read is refused there; the lists are about sites.
            Some(Err(_)) | None => {
                if self.allow.is_empty() {
                    Ok(())
                } else {
                    Err(DomainRefusal::NotAllowed)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(allow: &[&str], deny: &[&str]) -> DomainLists {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        DomainLists::parse(&owned(allow), &owned(deny)).unwrap()
    }

    fn host(s: &str) -> Host {
        normalize_host(s).unwrap()
    }

    #[test]
    fn a_name_covers_itself_and_names_under_it_a_wildcard_only_those_under_it() {
        let name = DomainPattern::parse("Example.COM").unwrap();
        assert_eq!(name.to_string(), "example.com");
        assert!(name.matches(&host("example.com")));
        assert!(name.matches(&host("shop.example.com")));
        assert!(!name.matches(&host("badexample.com")));
        assert!(!name.matches(&host("example.com.evil.net")));
        let wild = DomainPattern::parse(" *.example.com ").unwrap();
        assert!(wild.matches(&host("a.b.example.com")));
        assert!(!wild.matches(&host("example.com")));
        let ip = DomainPattern::parse("127.0.0.1").unwrap();
        assert!(ip.matches(&host("127.0.0.1")));
        assert!(ip.matches(&host("0x7f.1")), "odd spellings are the same address");
        assert!(!ip.matches(&host("localhost")));
        assert!(DomainPattern::parse("bücher.de").unwrap().matches(&host("xn--bcher-kva.de")));
    }

    #[test]
    fn patterns_that_are_not_domains_are_refused() {
        for bad in [
            "",
            "*",
            "*.",
            "com",
            "https://example.com",
            "example.com/path",
            "example.com:8080",
            "ex*ample.com",
            "*.*.example.com",
            "*.127.0.0.1",
            "user@example.com",
            "exa mple.com",
        ] {
            assert!(
                matches!(DomainPattern::parse(bad), Err(PatternError::Invalid(_))),
                "{bad:?} was accepted"
            );
        }
        assert!(DomainPattern::parse("localhost").is_ok());
        assert!(DomainPattern::parse("[::1]").is_ok());
        let many = vec!["example.com".to_string(); MAX_PATTERNS + 1];
        assert_eq!(DomainLists::parse(&many, &[]), Err(PatternError::TooMany));
    }

    #[test]
    fn deny_wins_and_a_non_empty_allow_list_lets_through_only_its_sites() {
        let open = lists(&[], &[]);
        assert!(open.is_open());
        assert_eq!(open.decide(&host("anything.org")), Ok(()));

        let deny = lists(&[], &["ads.example.com", "tracker.net"]);
        assert_eq!(deny.decide(&host("ads.example.com")), Err(DomainRefusal::Denied));
        assert_eq!(deny.decide(&host("x.tracker.net")), Err(DomainRefusal::Denied));
        assert_eq!(deny.decide(&host("example.com")), Ok(()));

        let both = lists(&["example.com"], &["admin.example.com"]);
        assert_eq!(both.decide(&host("www.example.com")), Ok(()));
        assert_eq!(both.decide(&host("admin.example.com")), Err(DomainRefusal::Denied));
        assert_eq!(both.decide(&host("other.org")), Err(DomainRefusal::NotAllowed));
    }

    #[test]
    fn addresses_are_decided_by_their_host() {
        let l = lists(&["example.com"], &[]);
        assert_eq!(l.decide_url(&"https://www.example.com/a".parse().unwrap()), Ok(()));
        assert_eq!(
            l.decide_url(&"http://other.org:8080/".parse().unwrap()),
            Err(DomainRefusal::NotAllowed)
        );
        let deny = lists(&[], &["localhost"]);
        assert_eq!(
            deny.decide_url(&"http://LOCALHOST:9/".parse().unwrap()),
            Err(DomainRefusal::Denied)
        );
    }
}
