//! Who a request comes from: the peer of the connection, or, when that peer is a reverse proxy
//! the operator trusts, the client that proxy says it forwarded (`X-Forwarded-For`).
//!
//! Every per-client limit keys on the result. Behind a proxy that is not trusted every client
//! shares the proxy's address; a client that is not a trusted proxy cannot claim another
//! address by sending the header itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Entries of `X-Forwarded-For` looked at, from the right; a longer chain is cut there (the
/// entries further left were written by whoever sent the request, not by a proxy we trust).
const MAX_HOPS: usize = 32;

/// An address or a CIDR range of addresses, e.g. `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// A list entry that is neither an address nor a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{entry}` is not an address or a CIDR range ({why}); expected e.g. 10.0.0.5, 10.0.0.0/8 or 2001:db8::/32")]
pub struct RangeError {
    pub entry: String,
    pub why: &'static str,
}

impl IpRange {
    /// Parses `ip` or `ip/prefix`. Host bits below the prefix must be zero (`10.0.0.1/8` is
    /// refused: it is more likely a mistake than a range).
    pub fn parse(entry: &str) -> Result<IpRange, RangeError> {
        let error = |why| RangeError { entry: entry.to_owned(), why };
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, prefix)) => {
                let prefix: u8 = prefix
                    .parse()
                    .ok()
                    .filter(|p: &u8| p.to_string() == prefix)
                    .ok_or_else(|| error("the prefix length is not a number"))?;
                (addr, Some(prefix))
            }
            None => (entry, None),
        };
        let network = canonical(addr.parse::<IpAddr>().map_err(|_| error("not an IP address"))?);
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(error("the prefix length is longer than the address"));
        }
        let range = IpRange { network, prefix };
        if range.masked(network) != network {
            return Err(error("the address has bits set beyond the prefix length"));
        }
        Ok(range)
    }

    /// Whether `ip` lies in this range (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        matches!(
            (ip, self.network),
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_))
        ) && self.masked(ip) == self.network
    }

    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A list of ranges, e.g. the reverse proxies whose `X-Forwarded-For` beside believes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRanges(Vec<IpRange>);

impl IpRanges {
    /// Parses every entry; blank ones are skipped, so a comma-separated list may end with one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<IpRanges, RangeError> {
        entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
            .map(IpRange::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(IpRanges)
    }

    /// Loopback only (`127.0.0.0/8` and `::1`).
    pub fn loopback() -> IpRanges {
        IpRanges(vec![
            IpRange { network: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), prefix: 8 },
            IpRange { network: IpAddr::V6(Ipv6Addr::LOCALHOST), prefix: 128 },
        ])
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client behind a request that came from `peer` with these `X-Forwarded-For` header
/// values (in the order received).
///
/// When `peer` is a trusted proxy, the chain is read from the right (each proxy appends the
/// address it got the request from) and the first address that is not a trusted proxy is the
/// client. An entry that is not an address ends the walk at the last trusted hop: a trusted
/// proxy wrote something we cannot key on, and its own address is the best we know.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &IpRanges,
) -> IpAddr {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let mut hops: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
    if hops.len() > MAX_HOPS {
        hops.drain(..hops.len() - MAX_HOPS);
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop.trim()) else { break };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// What per-client limits key on: an IPv4 address, or the /64 network of an IPv6 address (one
/// host commonly holds a whole /64, so keying on single IPv6 addresses would let it spread its
/// attempts over as many keys as it likes).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack listener reports for an
/// IPv4 client) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One entry of `X-Forwarded-For`: `192.0.2.1`, `192.0.2.1:5000`, `2001:db8::1` or
/// `[2001:db8::1]:5000`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (ip, port) = rest.split_once(']')?;
        if !port.is_empty() && !port.strip_prefix(':').is_some_and(is_port) {
            return None;
        }
        return ip.parse::<Ipv6Addr>().ok().map(|ip| canonical(IpAddr::V6(ip)));
    }
    let (ip, port) = hop.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    ip.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ranges(list: &[&str]) -> IpRanges {
        IpRanges::parse(list).unwrap()
    }

    #[test]
    fn ranges_hold_their_addresses_only() {
        let r = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains(ip("10.1.255.7")));
        assert!(r.contains(ip("::ffff:10.1.0.1")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(!r.contains(ip("::1")));
        let r = IpRange::parse("2001:db8::/32").unwrap();
        assert!(r.contains(ip("2001:db8:ffff::1")));
        assert!(!r.contains(ip("2001:db9::1")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert!(IpRange::parse("192.0.2.7").unwrap().contains(ip("192.0.2.7")));
        assert!(!IpRange::parse("192.0.2.7").unwrap().contains(ip("192.0.2.8")));
    }

    #[test]
    fn bad_ranges_are_refused_with_a_reason() {
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "::/129",
            "nope",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/08",
            "",
        ] {
            let e = IpRange::parse(bad).unwrap_err();
            assert!(e.to_string().contains("CIDR"), "{bad}: {e}");
        }
        assert_eq!(ranges(&[" 10.0.0.0/8 ", "", "::1"]).0.len(), 2);
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() {
        let none = IpRanges::default();
        assert_eq!(client_ip(ip("198.51.100.1"), ["203.0.113.5"], &none), ip("198.51.100.1"));
        let proxies = ranges(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("198.51.100.1"), ["203.0.113.5"], &proxies), ip("198.51.100.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = ranges(&["10.0.0.0/8", "127.0.0.1"]);
        let peer = ip("127.0.0.1");
        // A client that wrote its own header: the proxy appended the real address after it.
        assert_eq!(client_ip(peer, ["6.6.6.6, 203.0.113.5"], &proxies), ip("203.0.113.5"));
        // Two proxies in a row, in two header lines.
        assert_eq!(client_ip(peer, ["203.0.113.5", "10.0.0.7"], &proxies), ip("203.0.113.5"));
        // Ports and brackets as some proxies write them.
        assert_eq!(client_ip(peer, ["203.0.113.5:4711"], &proxies), ip("203.0.113.5"));
        assert_eq!(client_ip(peer, ["[2001:db8::9]:443"], &proxies), ip("2001:db8::9"));
        assert_eq!(client_ip(peer, ["::ffff:203.0.113.5"], &proxies), ip("203.0.113.5"));
        // No header, or only trusted hops: the leftmost known address.
        assert_eq!(client_ip(peer, [], &proxies), peer);
        assert_eq!(client_ip(peer, ["10.0.0.8, 10.0.0.7"], &proxies), ip("10.0.0.8"));
        // Garbage after the client stops at the last trusted hop.
        assert_eq!(client_ip(peer, ["203.0.113.5, unknown"], &proxies), peer);
        assert_eq!(client_ip(peer, ["203.0.113.5, 10.0.0.7, x"], &proxies), peer);
        assert_eq!(client_ip(peer, ["unknown, 10.0.0.7"], &proxies), ip("10.0.0.7"));
        // A dual-stack listener's view of an IPv4 proxy is trusted too.
        assert_eq!(client_ip(ip("::ffff:127.0.0.1"), ["203.0.113.5"], &proxies), ip("203.0.113.5"));
    }

    #[test]
    fn a_long_chain_is_read_from_the_right_only() {
        let proxies = ranges(&["127.0.0.1"]);
        let long = vec!["127.0.0.1"; 100].join(",");
        let header = format!("203.0.113.5,{long}");
        // Beyond 32 hops the walk stops; what is left there was written by the client.
        assert_eq!(client_ip(ip("127.0.0.1"), [header.as_str()], &proxies), ip("127.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("203.0.113.5")), ip("203.0.113.5"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.5")), ip("203.0.113.5"));
    }
}
