//! What the address bar may open: web addresses (http, https) only.
//!
//! Agents and customers type into the address bar; whatever they type is untrusted. Local files,
//! browser-internal pages, scripts and inline documents could reach the server's own files or
//! the cloud browser's internals, so everything but http and https is refused with a reason.

use url::Url;

/// The longest address accepted, in bytes after trimming.
pub const MAX_URL_LEN: usize = 8 * 1024;

/// Why an address may not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NavigationRefusal {
    /// A scheme other than http and https; holds the scheme, lowercased, without the colon.
    #[error("only web addresses (http, https) can be opened, not `{0}:` addresses")]
    Scheme(String),
    #[error("this is not a valid web address; expected something like https://example.com")]
    Invalid,
    #[error(
        "web addresses with a user name or password cannot be opened; remove the part before `@`"
    )]
    Credentials,
    #[error("this web address is longer than {MAX_URL_LEN} characters")]
    TooLong,
}

impl NavigationRefusal {
    /// A stable snake_case code for logs and metrics (the protocol's is `RejectCode`).
    pub fn code(&self) -> &'static str {
        match self {
            NavigationRefusal::Scheme(_) => "scheme_not_allowed",
            NavigationRefusal::Invalid => "invalid_url",
            NavigationRefusal::Credentials => "credentials_not_allowed",
            NavigationRefusal::TooLong => "url_too_long",
        }
    }
}

/// Schemes that are refused even where the text could otherwise pass for `host:port`
/// (`javascript:1` must not become `https://javascript:1/`).
const REFUSED_SCHEMES: &[&str] = &[
    "about",
    "blob",
    "chrome",
    "chrome-extension",
    "chrome-search",
    "chrome-untrusted",
    "data",
    "devtools",
    "file",
    "filesystem",
    "ftp",
    "intent",
    "javascript",
    "jar",
    "mailto",
    "sms",
    "tel",
    "view-source",
    "vbscript",
    "ws",
    "wss",
];

/// Checks what the address bar was given and returns the URL to open.
///
/// Surrounding whitespace is trimmed; an address without a scheme (`example.com`,
/// `example.com/path`, `localhost:8080`) is taken as https.
pub fn check_url(input: &str) -> Result<Url, NavigationRefusal> {
    let input = input.trim();
    if input.len() > MAX_URL_LEN {
        return Err(NavigationRefusal::TooLong);
    }
    if input.is_empty() || input.chars().any(char::is_control) {
        return Err(NavigationRefusal::Invalid);
    }
    let candidate = match scheme_of(input) {
        Some(scheme) if scheme == "http" || scheme == "https" => input.to_owned(),
        Some(scheme) => return Err(NavigationRefusal::Scheme(scheme)),
        None if input.starts_with("//") => format!("https:{input}"),
        None => format!("https://{input}"),
    };
    let url = Url::parse(&candidate).map_err(|_| NavigationRefusal::Invalid)?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(NavigationRefusal::Scheme(url.scheme().to_owned()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NavigationRefusal::Invalid);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NavigationRefusal::Credentials);
    }
    if url.as_str().len() > MAX_URL_LEN {
        // Percent-encoding can grow an address that was short enough as typed.
        return Err(NavigationRefusal::TooLong);
    }
    Ok(url)
}

/// The scheme the input names, lowercased, or `None` when it has none and reads as
/// `host[:port][/path]`.
fn scheme_of(input: &str) -> Option<String> {
    let (head, rest) = input.split_once(':')?;
    let mut chars = head.chars();
    let starts_alpha = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let scheme_chars =
        head.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !starts_alpha || !scheme_chars {
        return None;
    }
    let scheme = head.to_ascii_lowercase();
    if REFUSED_SCHEMES.contains(&scheme.as_str()) || scheme == "http" || scheme == "https" {
        return Some(scheme);
    }
    // `example.com:8080` and `localhost:3000/x` are hosts with a port, and `user:pass@host`
    // has credentials; none of them names a scheme.
    let looks_like_port = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if head.contains('.') || looks_like_port || authority.contains('@') {
        return None;
    }
    Some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_are_opened_as_given() {
        let table = [
            ("https://example.com/", "https://example.com/"),
            ("http://example.com/a?b=c#d", "http://example.com/a?b=c#d"),
            ("HTTPS://Example.COM", "https://example.com/"),
            ("  https://example.com/path \n", "https://example.com/path"),
            ("http://127.0.0.1:8080/shop", "http://127.0.0.1:8080/shop"),
            ("http://[::1]:9000/", "http://[::1]:9000/"),
            ("https://bücher.de/", "https://xn--bcher-kva.de/"),
        ];
        for (input, expected) in table {
            assert_eq!(check_url(input).map(|u| u.to_string()), Ok(expected.to_owned()), "{input}");
        }
    }

    #[test]
    fn addresses_without_a_scheme_become_https() {
        let table = [
            ("example.com", "https://example.com/"),
            ("example.com/path?q=1", "https://example.com/path?q=1"),
            ("www.example.com:8443/x", "https://www.example.com:8443/x"),
            ("localhost:3000", "https://localhost:3000/"),
            ("localhost", "https://localhost/"),
            ("//example.com/a", "https://example.com/a"),
            ("127.0.0.1:8080", "https://127.0.0.1:8080/"),
        ];
        for (input, expected) in table {
            assert_eq!(check_url(input).map(|u| u.to_string()), Ok(expected.to_owned()), "{input}");
        }
    }

    #[test]
    fn non_web_schemes_are_refused_with_the_scheme() {
        let table = [
            ("file:///etc/passwd", "file"),
            ("FILE:///etc/passwd", "file"),
            ("chrome://settings", "chrome"),
            ("chrome://version/", "chrome"),
            ("chrome-extension://abcdef/page.html", "chrome-extension"),
            ("chrome-untrusted://terminal/", "chrome-untrusted"),
            ("about:blank", "about"),
            ("about:config", "about"),
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:1", "javascript"),
            ("data:text/html,<h1>hi</h1>", "data"),
            ("view-source:https://example.com", "view-source"),
            ("blob:https://example.com/uuid", "blob"),
            ("ftp://example.com/file", "ftp"),
            ("ws://example.com/socket", "ws"),
            ("wss://example.com/socket", "wss"),
            ("devtools://devtools/bundled/inspector.html", "devtools"),
            ("filesystem:https://example.com/temporary/x", "filesystem"),
            ("mailto:someone@example.com", "mailto"),
            ("tel:+4912345", "tel"),
            ("gopher://example.com", "gopher"),
            ("foo:bar", "foo"),
        ];
        for (input, scheme) in table {
            assert_eq!(
                check_url(input),
                Err(NavigationRefusal::Scheme(scheme.to_owned())),
                "{input}"
            );
        }
    }

    #[test]
    fn addresses_with_credentials_are_refused() {
        for input in [
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "http://:pass@example.com/",
            "user:pass@example.com",
            "admin@example.com",
        ] {
            assert_eq!(check_url(input), Err(NavigationRefusal::Credentials), "{input}");
        }
    }

    #[test]
    fn malformed_addresses_are_invalid() {
        for input in [
            "",
            "   ",
            "https://",
            "https://exa mple.com/",
            "exa mple.com",
            "https://example.com:99999/",
            "\u{0}javascript:alert(1)",
            "https://example.com/\u{7}",
            "https://[::1/",
        ] {
            assert_eq!(check_url(input), Err(NavigationRefusal::Invalid), "{input:?}");
        }
    }

    #[test]
    fn over_long_addresses_are_refused() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_url(&long), Err(NavigationRefusal::TooLong));
        let grows = format!("https://example.com/{}", " x".repeat(MAX_URL_LEN / 2 - 20));
        assert_eq!(check_url(&grows), Err(NavigationRefusal::TooLong));
        let fits = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN - 100));
        assert!(check_url(&fits).is_ok());
    }

    #[test]
    fn refusals_have_stable_codes_and_readable_messages() {
        assert_eq!(NavigationRefusal::Scheme("file".into()).code(), "scheme_not_allowed");
        assert_eq!(NavigationRefusal::Invalid.code(), "invalid_url");
        assert_eq!(NavigationRefusal::Credentials.code(), "credentials_not_allowed");
        assert_eq!(NavigationRefusal::TooLong.code(), "url_too_long");
        assert_eq!(
            NavigationRefusal::Scheme("file".into()).to_string(),
            "only web addresses (http, https) can be opened, not `file:` addresses"
        );
    }
}
