//! Company rules: CSS selectors a company masks or blocks on the pages its URL patterns name
//! (F15, F16, F20), on top of the built-in rules of `masking` and `blocking`.
//!
//! A URL pattern is `[scheme://]host[:port][/path]`:
//! - `*` alone covers every page;
//! - the scheme, `http` or `https`, is optional; without it both match;
//! - the host is a name or an address, compared case-insensitively (IDNA names in their ASCII
//!   form); `*` is any host; `*.example.com` is `example.com` and every name under it (as in
//!   browser match patterns), never `badexample.com` nor `example.com.evil.net`;
//! - without a port, every port matches: a rule only ever hides or blocks more, so when in
//!   doubt it applies; with a port, only that port (`:443` also matches `https://host/`);
//! - without a path, or with `/` alone, every path matches; otherwise the path is a glob where
//!   `*` is any run of characters, `/` included, and a final `/*` also matches the path without
//!   it (`/checkout/*` covers `/checkout`). Paths are compared case-insensitively, for the same
//!   reason as ports: many servers do, and a rule that matches too much only hides more;
//! - queries and fragments are refused: they do not name a page.
//!
//! Selectors get a light syntactic check only; the browser does the real parse.

use serde::{Deserialize, Serialize};
use url::Url;

/// The longest URL pattern accepted, in bytes after trimming.
pub const MAX_PATTERN_LEN: usize = 2048;
/// The longest selector accepted, in characters.
pub const MAX_SELECTOR_CHARS: usize = 1024;

pub use model::RuleKind;

/// One company rule: mask or block what `selector` finds on the pages `url_pattern` covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRule {
    pub kind: RuleKind,
    pub selector: String,
    pub url_pattern: UrlPattern,
}

impl CompanyRule {
    /// A rule with a checked selector and a parsed URL pattern.
    pub fn new(
        kind: RuleKind,
        selector: &str,
        url_pattern: &str,
    ) -> Result<CompanyRule, RuleError> {
        validate_selector(selector)?;
        Ok(CompanyRule {
            kind,
            selector: selector.to_owned(),
            url_pattern: UrlPattern::parse(url_pattern)?,
        })
    }
}

/// Why a URL pattern or a selector is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the URL pattern is empty; expected something like *.example.com/checkout/*")]
    EmptyPattern,
    #[error("the URL pattern is longer than {MAX_PATTERN_LEN} characters")]
    PatternTooLong,
    /// A scheme other than http and https; holds it, lowercased.
    #[error("URL patterns cover web pages only (http, https), not `{0}:` addresses")]
    Scheme(String),
    /// Holds why the host is not one.
    #[error("the host of the URL pattern is not valid: {0}")]
    Host(String),
    #[error("`{0}` is not a port number between 1 and 65535")]
    Port(String),
    #[error("URL patterns cannot hold a user name or password")]
    Credentials,
    #[error("URL patterns cannot hold a query (`?`) or a fragment (`#`)")]
    QueryOrFragment,
    #[error("the selector is empty")]
    EmptySelector,
    #[error("the selector is longer than {MAX_SELECTOR_CHARS} characters")]
    SelectorTooLong,
    #[error("the selector cannot contain {0:?}")]
    SelectorCharacter(char),
    #[error("the selector has an unclosed or unmatched {0:?}")]
    SelectorUnbalanced(char),
}

impl RuleError {
    /// A stable snake_case code for API errors, logs and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::EmptyPattern => "url_pattern_empty",
            RuleError::PatternTooLong => "url_pattern_too_long",
            RuleError::Scheme(_) => "url_pattern_scheme",
            RuleError::Host(_) => "url_pattern_host",
            RuleError::Port(_) => "url_pattern_port",
            RuleError::Credentials => "url_pattern_credentials",
            RuleError::QueryOrFragment => "url_pattern_query",
            RuleError::EmptySelector => "selector_empty",
            RuleError::SelectorTooLong => "selector_too_long",
            RuleError::SelectorCharacter(_) => "selector_character",
            RuleError::SelectorUnbalanced(_) => "selector_unbalanced",
        }
    }
}

/// The pages a company rule covers; see the module documentation for the syntax.
/// It serializes as the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UrlPattern {
    source: String,
    every_page: bool,
    scheme: Option<String>,
    host: HostPattern,
    port: Option<u16>,
    /// A lowercase, percent-encoded glob; `None` for every path.
    path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    WithSubdomains(String),
}

impl UrlPattern {
    /// Parses `*`, `example.com`, `*.example.com/checkout/*`, `https://shop.example.com/*`,
    /// `http://127.0.0.1:8080/admin` and the like. Surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<UrlPattern, RuleError> {
        let source = s.trim();
        if source.is_empty() {
            return Err(RuleError::EmptyPattern);
        }
        if source.len() > MAX_PATTERN_LEN {
            return Err(RuleError::PatternTooLong);
        }
        let mut pattern = UrlPattern {
            source: source.to_owned(),
            every_page: source == "*",
            scheme: None,
            host: HostPattern::Any,
            port: None,
            path: None,
        };
        if pattern.every_page {
            return Ok(pattern);
        }
        if source.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RuleError::Host("it contains spaces or control characters".to_owned()));
        }
        let rest = match source.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(RuleError::Scheme(scheme));
                }
                pattern.scheme = Some(scheme);
                rest
            }
            None => source,
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if path.contains(['?', '#']) {
            return Err(RuleError::QueryOrFragment);
        }
        if authority.contains('@') {
            return Err(RuleError::Credentials);
        }
        let (host, port) = split_port(authority)?;
        pattern.host = parse_host(host)?;
        pattern.port = port;
        pattern.path = parse_path(path)?;
        Ok(pattern)
    }

    /// Whether the page at `url` is covered.
    pub fn matches(&self, url: &Url) -> bool {
        if self.every_page {
            return true;
        }
        if !matches!(url.scheme(), "http" | "https")
            || self.scheme.as_deref().is_some_and(|s| s != url.scheme())
        {
            return false;
        }
        let Some(host) = url_host(url) else {
            return false;
        };
        let host_matches = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => host == *h,
            HostPattern::WithSubdomains(domain) => {
                host == *domain
                    || host.strip_suffix(domain.as_str()).is_some_and(|sub| sub.ends_with('.'))
            }
        };
        if !host_matches || self.port.is_some_and(|p| url.port_or_known_default() != Some(p)) {
            return false;
        }
        match &self.path {
            None => true,
            Some(glob) => {
                let path = url.path().to_ascii_lowercase();
                glob_matches(glob.as_bytes(), path.as_bytes())
                    || glob.strip_suffix("/*").is_some_and(|dir| dir == path)
            }
        }
    }

    /// The pattern as it was written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl std::fmt::Display for UrlPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

impl TryFrom<String> for UrlPattern {
    type Error = RuleError;

    fn try_from(s: String) -> Result<UrlPattern, RuleError> {
        UrlPattern::parse(&s)
    }
}

impl From<UrlPattern> for String {
    fn from(p: UrlPattern) -> String {
        p.source
    }
}

/// Splits `host[:port]`, with IPv6 addresses in brackets.
fn split_port(authority: &str) -> Result<(&str, Option<u16>), RuleError> {
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (host, after) = authority.split_at(end + 1);
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if after.is_empty() => (host, None),
                    None => return Err(RuleError::Host(format!("`{authority}` is not host:port"))),
                }
            }
            None => return Err(RuleError::Host("an IPv6 address needs a closing `]`".to_owned())),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err(RuleError::Host(
                    "write an IPv6 address in brackets, e.g. [::1]".to_owned(),
                ))
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            let digits_only = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if digits_only && n != 0 => Some(n),
                _ => return Err(RuleError::Port(p.to_owned())),
            }
        }
    };
    Ok((host, port))
}

fn parse_host(host: &str) -> Result<HostPattern, RuleError> {
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some(domain) = host.strip_prefix("*.") {
        return match canonical_host(domain)? {
            url::Host::Domain(d) => Ok(HostPattern::WithSubdomains(d)),
            _ => Err(RuleError::Host("`*.` goes before a name, not an address".to_owned())),
        };
    }
    Ok(HostPattern::Exact(host_string(&canonical_host(host)?)))
}

fn canonical_host(host: &str) -> Result<url::Host<String>, RuleError> {
    if host.contains('*') {
        return Err(RuleError::Host(
            "a wildcard is either `*` alone or `*.` before a name, e.g. *.example.com".to_owned(),
        ));
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(RuleError::Host("it is empty".to_owned()));
    }
    url::Host::parse(host).map_err(|e| RuleError::Host(format!("`{host}`: {e}")))
}

/// A host as [`UrlPattern`] compares it: a lowercase ASCII name without a trailing dot, a dotted
/// IPv4 address, or an IPv6 address in brackets.
fn host_string<S: AsRef<str>>(host: &url::Host<S>) -> String {
    match host {
        url::Host::Domain(d) => d.as_ref().trim_end_matches('.').to_ascii_lowercase(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => format!("[{a}]"),
    }
}

fn url_host(url: &Url) -> Option<String> {
    url.host().map(|h| host_string(&h)).filter(|h| !h.is_empty())
}

/// The path glob in the form the URL parser gives paths, lowercased; `None` for every path.
fn parse_path(path: &str) -> Result<Option<String>, RuleError> {
    if path.is_empty() || path == "/" {
        return Ok(None);
    }
    let url = Url::parse(&format!("http://h{path}"))
        .map_err(|e| RuleError::Host(format!("the path `{path}` is not valid: {e}")))?;
    Ok(Some(url.path().to_ascii_lowercase()))
}

/// Whether `text` matches `glob`, where `*` is any run of bytes.
fn glob_matches(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && glob[g] == b'*' {
            star = Some((g, t));
            g += 1;
        } else if g < glob.len() && glob[g] == text[t] {
            g += 1;
            t += 1;
        } else if let Some((star_g, star_t)) = star {
            g = star_g + 1;
            t = star_t + 1;
            star = Some((star_g, star_t + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

/// A light syntactic check of a CSS selector: not empty, at most [`MAX_SELECTOR_CHARS`]
/// characters, no `{`, `}`, `<` or control characters (a selector must not break out of a
/// style sheet or a page), and balanced brackets, parentheses and quotes. The browser does the
/// real parse.
pub fn validate_selector(s: &str) -> Result<(), RuleError> {
    if s.trim().is_empty() {
        return Err(RuleError::EmptySelector);
    }
    if s.chars().count() > MAX_SELECTOR_CHARS {
        return Err(RuleError::SelectorTooLong);
    }
    if let Some(c) =
        s.chars().find(|&c| matches!(c, '{' | '}' | '<') || (c.is_control() && !c.is_whitespace()))
    {
        return Err(RuleError::SelectorCharacter(c));
    }
    let mut open: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => open.push(c),
            (None, ')' | ']') => {
                let expected = if c == ')' { '(' } else { '[' };
                if open.pop() != Some(expected) {
                    return Err(RuleError::SelectorUnbalanced(c));
                }
            }
            (None, _) => {}
        }
    }
    if let Some(q) = quote {
        return Err(RuleError::SelectorUnbalanced(q));
    }
    if let Some(c) = open.pop() {
        return Err(RuleError::SelectorUnbalanced(c));
    }
    if escaped {
        return Err(RuleError::SelectorUnbalanced('\\'));
    }
    Ok(())
}

/// A company rule in the form the in-page guard applies it: the selector, and the URL pattern
/// taken apart so the guard can match each document's address the way [`UrlPattern::matches`]
/// does (a browser test compares the two over a table of addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardRule {
    pub kind: RuleKind,
    pub selector: String,
    pub pages: GuardPattern,
}

/// [`UrlPattern`] for the guard; see the module documentation for what each part means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardPattern {
    /// `*`: every page, whatever its address.
    pub every: bool,
    /// `http` or `https`; `None` for both.
    pub scheme: Option<String>,
    /// The host as [`UrlPattern`] compares it; `None` for any host.
    pub host: Option<String>,
    /// The host also covers every name under it (`*.example.com`).
    pub subdomains: bool,
    pub port: Option<u16>,
    /// A lowercase glob where `*` is any run of characters; `None` for every path.
    pub path: Option<String>,
}

impl UrlPattern {
    /// This pattern in the guard's form.
    pub fn guard_form(&self) -> GuardPattern {
        let (host, subdomains) = match &self.host {
            HostPattern::Any => (None, false),
            HostPattern::Exact(h) => (Some(h.clone()), false),
            HostPattern::WithSubdomains(d) => (Some(d.clone()), true),
        };
        GuardPattern {
            every: self.every_page,
            scheme: self.scheme.clone(),
            host,
            subdomains,
            port: self.port,
            path: self.path.clone(),
        }
    }
}

/// Company rules in the guard's form, in their order.
pub fn guard_company_rules(rules: &[CompanyRule]) -> Vec<GuardRule> {
    rules
        .iter()
        .map(|r| GuardRule {
            kind: r.kind,
            selector: r.selector.clone(),
            pages: r.url_pattern.guard_form(),
        })
        .collect()
}

/// The rules that apply on the page at `url`, in their order.
pub fn rules_for<'a>(
    rules: &'a [CompanyRule],
    url: &'a Url,
) -> impl Iterator<Item = &'a CompanyRule> + 'a {
    rules.iter().filter(move |rule| rule.url_pattern.matches(url))
}

#[cfg(test)]
mod tests;
