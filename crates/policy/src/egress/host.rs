//! Host names and addresses as they reach the forward proxy, brought to one canonical form.
//!
//! Browsers and `inet_aton` accept IPv4 addresses spelled in decimal, octal, hex and short forms
//! (`2130706433`, `0177.0.0.1`, `0x7f.1`); all of them must be recognised as addresses, or a page
//! could reach loopback by a spelling the checks do not know.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest host accepted before any parsing; IDNA names may be longer than their ASCII form.
const MAX_INPUT_LEN: usize = 1024;
/// The longest DNS name in its ASCII form, without the trailing dot.
const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// A host in canonical form: an address, or a lowercase ASCII (punycode) DNS name without a
/// trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
}

impl Host {
    /// The same host with IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) written as IPv4, so that
    /// two spellings of one address compare equal.
    pub fn canonical(&self) -> Host {
        match self {
            Host::Ip(ip) => Host::Ip(ip.to_canonical()),
            Host::Name(name) => Host::Name(name.clone()),
        }
    }
}

/// Shows the host as it is written before `:port`: IPv6 addresses in brackets.
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// Why a string is not a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty; expected a name such as example.com or an address")]
    Empty,
    #[error("the host is too long; a host name has at most {MAX_NAME_LEN} characters")]
    TooLong,
    #[error("`{0}` is not a valid host; expected a name such as example.com or an address")]
    Invalid(String),
}

impl HostError {
    fn invalid(input: &str) -> HostError {
        // Hosts come from web pages: keep the message short and printable.
        let shown: String = input.chars().take(64).flat_map(char::escape_debug).collect();
        HostError::Invalid(shown)
    }
}

/// Brings a host, as found in a URL, a `CONNECT` line or a `Host` header, to canonical form.
///
/// Accepts `[::1]`, `::1`, dotted IPv4, the odd IPv4 spellings browsers accept (decimal, octal,
/// hex, short and mixed forms), and DNS names, including internationalised ones (converted to
/// punycode). Rejects the empty string, over-long input and characters no host may contain.
pub fn normalize_host(input: &str) -> Result<Host, HostError> {
    if input.is_empty() {
        return Err(HostError::Empty);
    }
    if input.len() > MAX_INPUT_LEN {
        return Err(HostError::TooLong);
    }
    if let Some(inner) = input.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(|| HostError::invalid(input))?;
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| HostError::invalid(input));
    }
    if input.contains(':') {
        return input
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| HostError::invalid(input));
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') || !c.is_ascii();
    if !input.chars().all(allowed) || input.chars().any(char::is_whitespace) {
        return Err(HostError::invalid(input));
    }
    // One trailing dot names the DNS root and changes nothing; `a..` and `.` are invalid.
    let trimmed = input.strip_suffix('.').unwrap_or(input);
    if trimmed.is_empty() {
        return Err(HostError::invalid(input));
    }
    if let Some(ip) = parse_ipv4(trimmed) {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    // The url crate applies IDNA (and the WHATWG rules for names that end in a number).
    match url::Host::parse(trimmed) {
        Ok(url::Host::Ipv4(ip)) => Ok(Host::Ip(IpAddr::V4(ip))),
        Ok(url::Host::Ipv6(ip)) => Ok(Host::Ip(IpAddr::V6(ip))),
        Ok(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            if name.len() > MAX_NAME_LEN {
                return Err(HostError::TooLong);
            }
            if !is_dns_name(&name) {
                return Err(HostError::invalid(input));
            }
            Ok(Host::Name(name))
        }
        Err(_) => Err(HostError::invalid(input)),
    }
}

fn is_dns_name(name: &str) -> bool {
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && label.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// Parses IPv4 the way browsers and `inet_aton` do: one to four parts, each decimal, octal
/// (leading `0`) or hex (leading `0x`); the last part fills the remaining bytes.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in &parts {
        numbers.push(parse_ipv4_number(part)?);
    }
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let n_last_bytes = 4 - init.len() as u32;
    if *last >= 1u64 << (8 * n_last_bytes) {
        return None;
    }
    let mut value = *last;
    for (idx, n) in init.iter().enumerate() {
        value |= n << (8 * (3 - idx as u32));
    }
    let value = u32::try_from(value).ok()?;
    Some(Ipv4Addr::from(value))
}

fn parse_ipv4_number(part: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or(part.strip_prefix("0X")) {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        // "0x" alone is zero to browsers; an empty part ("1..2") is not a number.
        return if radix == 16 { Some(0) } else { None };
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Browsers allow any number of leading zeros; strip them before the overflow-checked parse.
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(significant, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Host {
        Host::Ip(IpAddr::V4(s.parse().unwrap()))
    }

    fn v6(s: &str) -> Host {
        Host::Ip(IpAddr::V6(s.parse().unwrap()))
    }

    fn name(s: &str) -> Host {
        Host::Name(s.to_owned())
    }

    #[test]
    fn odd_ipv4_spellings_are_recognised_as_addresses() {
        let table = [
            ("127.0.0.1", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("0X7F000001", "127.0.0.1"),
            ("017700000001", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("0177.0000.0000.0001", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("0x7f.0.0.1", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
            ("127.0.0.1.", "127.0.0.1"),
            ("0", "0.0.0.0"),
            ("0x", "0.0.0.0"),
            ("10.0x10000", "10.1.0.0"),
            ("192.168.257", "192.168.1.1"),
            ("169.254.43518", "169.254.169.254"),
            ("0xa9fea9fe", "169.254.169.254"),
            ("2852039166", "169.254.169.254"),
            ("00000000000000000000000000000000000177.0.0.1", "127.0.0.1"),
            ("0000000000000000000000000000000000000000127.0.0.1", "87.0.0.1"),
            ("4294967295", "255.255.255.255"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize_host(input), Ok(v4(expected)), "{input}");
        }
    }

    #[test]
    fn out_of_range_ipv4_spellings_are_not_hosts() {
        for input in
            ["4294967296", "256.0.0.1", "1.2.3.256", "1.2.65536", "1.2.3.4.5", "08.0.0.1", "1..2"]
        {
            assert!(normalize_host(input).is_err(), "{input}");
        }
    }

    #[test]
    fn ipv6_is_accepted_with_and_without_brackets() {
        let table = [
            ("[::1]", "::1"),
            ("::1", "::1"),
            ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
            ("::ffff:7f00:1", "::ffff:127.0.0.1"),
            ("[FE80::1]", "fe80::1"),
            ("[0:0:0:0:0:0:0:1]", "::1"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize_host(input), Ok(v6(expected)), "{input}");
        }
    }

    #[test]
    fn broken_ipv6_is_not_a_host() {
        for input in ["[::1", "::1]", "[::1]:80", "[fe80::1%eth0]", "1:2:3", "[]", "[example.com]"]
        {
            assert!(normalize_host(input).is_err(), "{input}");
        }
    }

    #[test]
    fn names_are_lowercased_and_lose_the_trailing_dot() {
        assert_eq!(normalize_host("Example.COM."), Ok(name("example.com")));
        assert_eq!(normalize_host("localhost"), Ok(name("localhost")));
        assert_eq!(normalize_host("my_host.intranet"), Ok(name("my_host.intranet")));
    }

    #[test]
    fn internationalised_names_become_punycode() {
        assert_eq!(normalize_host("bücher.de"), Ok(name("xn--bcher-kva.de")));
        assert_eq!(normalize_host("BÜCHER.de"), Ok(name("xn--bcher-kva.de")));
    }

    #[test]
    fn fullwidth_digits_are_mapped_before_the_address_check() {
        // IDNA maps fullwidth characters to ASCII; the result must still be seen as an address.
        assert_eq!(normalize_host("１２７.０.０.１"), Ok(v4("127.0.0.1")));
    }

    #[test]
    fn empty_long_and_invalid_hosts_are_rejected() {
        assert_eq!(normalize_host(""), Err(HostError::Empty));
        assert_eq!(normalize_host(&"a".repeat(2000)), Err(HostError::TooLong));
        let long_name = format!("{}.com", ["abcdefghij"; 30].join("."));
        assert_eq!(normalize_host(&long_name), Err(HostError::TooLong));
        for input in [
            ".",
            "..",
            "a..b",
            "exa mple.com",
            "example.com/",
            "user@example.com",
            "exa%6dple.com",
            "example.com:80",
            "a\0b",
            "*.example.com",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(
                matches!(normalize_host(input), Err(HostError::Invalid(_))),
                "{input:?} gave {:?}",
                normalize_host(input)
            );
        }
    }

    #[test]
    fn ipv6_hosts_display_in_brackets() {
        assert_eq!(v6("::1").to_string(), "[::1]");
        assert_eq!(v4("127.0.0.1").to_string(), "127.0.0.1");
        assert_eq!(v6("::ffff:127.0.0.1").canonical(), v4("127.0.0.1"));
    }
}
