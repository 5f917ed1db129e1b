//! Where the cloud browser may connect: every request of the cloud browser goes through a
//! forward proxy that asks this module about the host it names and the address it resolved to.
//!
//! The rule is "public internet only": loopback, private, link-local, metadata and other special
//! ranges are refused, however the address is spelled, unless the operator listed the exact
//! `host:port` as an exception.

mod exceptions;
mod host;
mod ip;

pub use exceptions::{ExceptionError, Exceptions};
pub use host::{normalize_host, Host, HostError};
pub use ip::{check_ip, Refusal};

use std::net::IpAddr;

/// Decides whether the cloud browser may connect to `host:port`, which resolved to `resolved`.
///
/// An exception for `host:port` (or for `resolved:port`, which the page could have named
/// directly) wins; otherwise the resolved address must be a public one.
/// Checking the resolved address, not the name, is what defeats DNS rebinding: the proxy
/// connects to exactly the address it asked about.
pub fn decide(
    host: &Host,
    port: u16,
    resolved: IpAddr,
    exceptions: &Exceptions,
) -> Result<(), Refusal> {
    if exceptions.allows(host, port) || exceptions.allows(&Host::Ip(resolved), port) {
        return Ok(());
    }
    check_ip(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn exceptions(list: &[&str]) -> Exceptions {
        Exceptions::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn public_address_is_allowed_without_exceptions() {
        let host = normalize_host("example.com").unwrap();
        assert_eq!(decide(&host, 443, ip("93.184.215.14"), &Exceptions::default()), Ok(()));
    }

    #[test]
    fn name_resolving_to_loopback_is_refused() {
        let host = normalize_host("rebind.attacker.example").unwrap();
        let refusal = decide(&host, 80, ip("127.0.0.1"), &Exceptions::default()).unwrap_err();
        assert_eq!(refusal.reason(), "loopback");
    }

    #[test]
    fn exception_by_name_and_port_allows_a_private_address() {
        let list = exceptions(&["intranet.local:443"]);
        let host = normalize_host("Intranet.Local.").unwrap();
        assert_eq!(decide(&host, 443, ip("10.1.2.3"), &list), Ok(()));
        assert!(decide(&host, 80, ip("10.1.2.3"), &list).is_err());
        let other = normalize_host("other.local").unwrap();
        assert!(decide(&other, 443, ip("10.1.2.3"), &list).is_err());
    }

    #[test]
    fn exception_by_address_covers_any_spelling_of_it() {
        let list = exceptions(&["127.0.0.1:8080"]);
        for spelling in ["127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]"] {
            let host = normalize_host(spelling).unwrap();
            assert_eq!(decide(&host, 8080, ip("127.0.0.1"), &list), Ok(()), "{spelling}");
            assert!(decide(&host, 8081, ip("127.0.0.1"), &list).is_err(), "{spelling}");
        }
        let host = normalize_host("localhost").unwrap();
        assert_eq!(decide(&host, 8080, ip("127.0.0.1"), &list), Ok(()));
    }

    #[test]
    fn exception_for_one_address_does_not_open_another() {
        let list = exceptions(&["127.0.0.1:8080"]);
        let host = normalize_host("127.0.0.2").unwrap();
        assert_eq!(decide(&host, 8080, ip("127.0.0.2"), &list).unwrap_err().reason(), "loopback");
    }
}
