//! The one-line embed (F22) and the framed agent console (F23): which sites a company lets use
//! `/embed.js` and frame its console (its embed origins), and the site's own reference for a
//! session (a ticket number).

use url::Url;

/// The longest origin a company may list, in bytes.
pub const MAX_ORIGIN_LEN: usize = 255;

/// The longest reference a site may give a session, in characters.
pub const MAX_REFERENCE_CHARS: usize = 100;

/// Why an embed origin is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("an origin is not empty")]
    Empty,
    #[error("an origin has at most {MAX_ORIGIN_LEN} characters")]
    TooLong,
    #[error("an origin names one site exactly: no wildcards (`*`)")]
    Wildcard,
    #[error("an origin is written as scheme://host[:port], e.g. https://shop.example")]
    Malformed,
    #[error("an origin's scheme is http or https")]
    Scheme,
    #[error("an origin has no user name or password")]
    Credentials,
    #[error("an origin has no path, query or fragment: just scheme://host[:port]")]
    NotBare,
}

/// Reads an origin as a company lists it (`https://Shop.example:443/` included) and returns
/// it as browsers send it in `Origin` (`https://shop.example`): scheme http or https, a host,
/// a port only when it is not the scheme's default, no path, query or fragment.
pub fn parse_origin(input: &str) -> Result<String, OriginError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(OriginError::Empty);
    }
    if text.len() > MAX_ORIGIN_LEN {
        return Err(OriginError::TooLong);
    }
    if text.contains('*') {
        return Err(OriginError::Wildcard);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OriginError::Malformed);
    }
    let (scheme, rest) = text.split_once("://").ok_or(OriginError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(OriginError::Scheme);
    }
    // Only a bare authority, with at most one closing slash: `Url` would quietly drop a `/.`.
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '\\']) {
        return Err(OriginError::NotBare);
    }
    if authority.contains('@') {
        return Err(OriginError::Credentials);
    }
    let url = Url::parse(text).map_err(|_| OriginError::Malformed)?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(OriginError::Malformed);
    }
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
        url::Origin::Opaque(_) => Err(OriginError::Malformed),
    }
}

/// Checks a company's list: each entry read by [`parse_origin`], duplicates dropped, order
/// kept. The first bad entry is named by its index.
pub fn check_origins(list: &[String]) -> Result<Vec<String>, (usize, OriginError)> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (idx, text) in list.iter().enumerate() {
        let origin = parse_origin(text).map_err(|e| (idx, e))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// Whether a request's `Origin` header is one of `allowed` (normalised origins). `null`, a
/// malformed value or one with a path never is.
pub fn origin_allowed(allowed: &[String], header: &str) -> bool {
    // Browsers send the origin already normalised; a value that needs normalising is not
    // from a browser and is compared as it would be shown.
    parse_origin(header).is_ok_and(|origin| origin == header && allowed.contains(&origin))
}

/// Why a session's reference is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("a reference has at most {MAX_REFERENCE_CHARS} characters")]
    TooLong,
    #[error("a reference is printable text: no line breaks, tabs or other control characters")]
    NotPrintable,
}

/// Checks a site's reference for a session: trimmed, blank is none, at most
/// `MAX_REFERENCE_CHARS` printable characters (no control or bidirectional formatting
/// characters, which could disguise it in a report).
pub fn check_reference(input: &str) -> Result<Option<String>, ReferenceError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_REFERENCE_CHARS {
        return Err(ReferenceError::TooLong);
    }
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if text.chars().any(hidden) {
        return Err(ReferenceError::NotPrintable);
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        for (input, want) in [
            ("https://shop.example", "https://shop.example"),
            (" HTTPS://Shop.Example/ ", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("http://shop.example:80/", "http://shop.example"),
            ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
        ] {
            assert_eq!(parse_origin(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn anything_but_a_bare_origin_is_refused() {
        use OriginError::*;
        for (input, want) in [
            ("", Empty),
            ("  ", Empty),
            ("https://*.shop.example", Wildcard),
            ("*", Wildcard),
            ("shop.example", Malformed),
            ("//shop.example", Malformed),
            ("https://", Malformed),
            ("https:// shop.example", Malformed),
            ("https://shop.example:99999", Malformed),
            ("ftp://shop.example", Scheme),
            ("javascript://x", Scheme),
            ("file:///etc", Scheme),
            ("https://user:pw@shop.example", Credentials),
            ("https://shop.example/help", NotBare),
            ("https://shop.example/.", NotBare),
            ("https://shop.example//", NotBare),
            ("https://shop.example?x=1", NotBare),
            ("https://shop.example#top", NotBare),
            ("https://shop.example\\x", NotBare),
        ] {
            assert_eq!(parse_origin(input), Err(want), "{input}");
        }
        assert_eq!(parse_origin(&format!("https://{}.example", "a".repeat(250))), Err(TooLong));
    }

    #[test]
    fn a_list_drops_duplicates_and_names_its_first_bad_entry() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_origins(&list(&["https://a.example", "https://A.example/", "http://b.example"])),
            Ok(list(&["https://a.example", "http://b.example"]))
        );
        assert_eq!(
            check_origins(&list(&["https://a.example", "https://a.example/x"])),
            Err((1, OriginError::NotBare))
        );
    }

    #[test]
    fn only_a_listed_origin_exactly_as_sent_is_allowed() {
        let allowed = vec!["https://shop.example".to_owned(), "http://127.0.0.1:8081".into()];
        assert!(origin_allowed(&allowed, "https://shop.example"));
        assert!(origin_allowed(&allowed, "http://127.0.0.1:8081"));
        for other in [
            "null",
            "",
            "https://shop.example.evil",
            "http://shop.example",
            "https://shop.example/",
            "https://SHOP.example",
            "http://127.0.0.1:8082",
        ] {
            assert!(!origin_allowed(&allowed, other), "{other}");
        }
    }

    #[test]
    fn references_are_short_printable_text() {
        assert_eq!(check_reference("  T-4711 "), Ok(Some("T-4711".into())));
        assert_eq!(
            check_reference("Ticket #4711 – Müller"),
            Ok(Some("Ticket #4711 – Müller".into()))
        );
        assert_eq!(check_reference("   "), Ok(None));
        assert_eq!(
            check_reference(&"x".repeat(MAX_REFERENCE_CHARS)).map(|r| r.is_some()),
            Ok(true)
        );
        assert_eq!(
            check_reference(&"x".repeat(MAX_REFERENCE_CHARS + 1)),
            Err(ReferenceError::TooLong)
        );
        for bad in ["a\nb", "a\tb", "a\u{0}b", "a\u{202e}b", "a\u{200b}b"] {
            assert_eq!(check_reference(bad), Err(ReferenceError::NotPrintable), "{bad:?}");
        }
    }
}
