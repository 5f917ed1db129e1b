//! Which addresses are the public internet, and why the others are refused.
//!
//! IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the
//! IPv4 address they carry, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why the cloud browser may not connect to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{ip} is {}, which the cloud browser may not reach unless it is listed as an exception", .kind.description())]
pub struct Refusal {
    ip: IpAddr,
    kind: Kind,
}

impl Refusal {
    /// A stable snake_case reason for logs, metrics and audit events, e.g. `loopback`.
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The address that was refused, as it was given.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Loopback,
    Unspecified,
    Private,
    LinkLocal,
    Metadata,
    SharedAddressSpace,
    Benchmarking,
    Documentation,
    Multicast,
    Broadcast,
    Reserved,
    SiteLocal,
    Discard,
    Teredo,
}

impl Kind {
    fn reason(self) -> &'static str {
        match self {
            Kind::Loopback => "loopback",
            Kind::Unspecified => "unspecified",
            Kind::Private => "private",
            Kind::LinkLocal => "link_local",
            Kind::Metadata => "metadata",
            Kind::SharedAddressSpace => "shared_address_space",
            Kind::Benchmarking => "benchmarking",
            Kind::Documentation => "documentation",
            Kind::Multicast => "multicast",
            Kind::Broadcast => "broadcast",
            Kind::Reserved => "reserved",
            Kind::SiteLocal => "site_local",
            Kind::Discard => "discard",
            Kind::Teredo => "teredo",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::Loopback => "a loopback address",
            Kind::Unspecified => "the unspecified address",
            Kind::Private => "a private network address",
            Kind::LinkLocal => "a link-local address",
            Kind::Metadata => "a cloud metadata service address",
            Kind::SharedAddressSpace => "a carrier-grade NAT (shared) address",
            Kind::Benchmarking => "a benchmarking address",
            Kind::Documentation => "a documentation address",
            Kind::Multicast => "a multicast address",
            Kind::Broadcast => "the broadcast address",
            Kind::Reserved => "a reserved address",
            Kind::SiteLocal => "a site-local address",
            Kind::Discard => "a discard-only address",
            Kind::Teredo => "a Teredo tunnel address",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Allows public unicast addresses and refuses everything else: loopback, private, link-local,
/// cloud metadata, shared, benchmarking, documentation, multicast, broadcast and reserved ranges,
/// including their IPv4-in-IPv6 forms.
pub fn check_ip(ip: IpAddr) -> Result<(), Refusal> {
    let kind = match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    };
    match kind {
        None => Ok(()),
        Some(kind) => Err(Refusal { ip, kind }),
    }
}

fn in_v4(ip: u32, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    ip & mask == u32::from_be_bytes(net) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<Kind> {
    let n = u32::from(ip);
    let table: &[([u8; 4], u32, Kind)] = &[
        // Metadata first: these sit inside wider ranges with a weaker reason.
        ([169, 254, 169, 254], 32, Kind::Metadata), // AWS, GCP, Azure, OpenStack, ...
        ([100, 100, 100, 200], 32, Kind::Metadata), // Alibaba Cloud
        ([168, 63, 129, 16], 32, Kind::Metadata),   // Azure wire server
        ([0, 0, 0, 0], 8, Kind::Unspecified),
        ([127, 0, 0, 0], 8, Kind::Loopback),
        ([10, 0, 0, 0], 8, Kind::Private),
        ([172, 16, 0, 0], 12, Kind::Private),
        ([192, 168, 0, 0], 16, Kind::Private),
        ([169, 254, 0, 0], 16, Kind::LinkLocal),
        ([100, 64, 0, 0], 10, Kind::SharedAddressSpace),
        ([192, 0, 0, 0], 24, Kind::Reserved), // IETF protocol assignments
        ([192, 0, 2, 0], 24, Kind::Documentation),
        ([198, 51, 100, 0], 24, Kind::Documentation),
        ([203, 0, 113, 0], 24, Kind::Documentation),
        ([192, 88, 99, 0], 24, Kind::Reserved), // former 6to4 relay anycast
        ([198, 18, 0, 0], 15, Kind::Benchmarking),
        ([224, 0, 0, 0], 4, Kind::Multicast),
        ([255, 255, 255, 255], 32, Kind::Broadcast),
        ([240, 0, 0, 0], 4, Kind::Reserved),
    ];
    table.iter().find(|(net, prefix, _)| in_v4(n, *net, *prefix)).map(|(_, _, kind)| *kind)
}

fn in_v6(ip: u128, net: &str, prefix: u32) -> bool {
    let net: Ipv6Addr = net.parse().expect("the range table holds valid IPv6 literals");
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    ip & mask == u128::from(net) & mask
}

/// The IPv4 address in the low 32 bits.
fn low_v4(n: u128) -> Ipv4Addr {
    Ipv4Addr::from((n & 0xffff_ffff) as u32)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Kind> {
    let n = u128::from(ip);
    if ip.is_unspecified() {
        return Some(Kind::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Kind::Loopback);
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if in_v6(n, "::", 96) {
        // IPv4-compatible (deprecated, never routed): judged by the IPv4 address, else reserved.
        return classify_v4(low_v4(n)).or(Some(Kind::Reserved));
    }
    if in_v6(n, "64:ff9b::", 96) {
        // Well-known NAT64 prefix: a v6-only network's way to reach public IPv4.
        return classify_v4(low_v4(n));
    }
    if in_v6(n, "64:ff9b:1::", 48) {
        // Local-use NAT64 prefix: translates into the operator's own network.
        return classify_v4(low_v4(n)).or(Some(Kind::Private));
    }
    if in_v6(n, "2002::", 16) {
        // 6to4: the IPv4 address follows the 16-bit prefix.
        return classify_v4(Ipv4Addr::from(((n >> 80) & 0xffff_ffff) as u32));
    }
    let table: &[(&str, u32, Kind)] = &[
        ("fd00:ec2::254", 128, Kind::Metadata), // AWS over IPv6
        ("2001::", 32, Kind::Teredo),
        ("2001:2::", 48, Kind::Benchmarking),
        ("2001:db8::", 32, Kind::Documentation),
        ("3fff::", 20, Kind::Documentation),
        ("2001::", 23, Kind::Reserved), // IETF protocol assignments
        ("100::", 64, Kind::Discard),
        ("fc00::", 7, Kind::Private),
        ("fe80::", 10, Kind::LinkLocal),
        ("fec0::", 10, Kind::SiteLocal),
        ("ff00::", 8, Kind::Multicast),
    ];
    if let Some((_, _, kind)) = table.iter().find(|(net, prefix, _)| in_v6(n, net, *prefix)) {
        return Some(*kind);
    }
    // Everything outside global unicast 2000::/3 is special-purpose or unassigned.
    if !in_v6(n, "2000::", 3) {
        return Some(Kind::Reserved);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<&'static str> {
        let ip: IpAddr = ip.parse().unwrap();
        check_ip(ip).err().map(|r| r.reason())
    }

    fn assert_table(table: &[(&str, Option<&str>)]) {
        let mut failures = Vec::new();
        for (ip, expected) in table {
            let got = reason(ip);
            if got != *expected {
                failures.push(format!("{ip}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn every_special_ipv4_range_is_refused_with_its_reason() {
        assert_table(&[
            ("0.0.0.0", Some("unspecified")),
            ("0.255.255.255", Some("unspecified")),
            ("127.0.0.1", Some("loopback")),
            ("127.255.255.254", Some("loopback")),
            ("10.0.0.1", Some("private")),
            ("10.255.255.255", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("192.168.0.1", Some("private")),
            ("192.168.255.255", Some("private")),
            ("169.254.0.1", Some("link_local")),
            ("169.254.170.2", Some("link_local")),
            ("169.254.169.254", Some("metadata")),
            ("100.100.100.200", Some("metadata")),
            ("168.63.129.16", Some("metadata")),
            ("100.64.0.1", Some("shared_address_space")),
            ("100.127.255.255", Some("shared_address_space")),
            ("198.18.0.1", Some("benchmarking")),
            ("198.19.255.255", Some("benchmarking")),
            ("192.0.2.1", Some("documentation")),
            ("198.51.100.7", Some("documentation")),
            ("203.0.113.200", Some("documentation")),
            ("224.0.0.1", Some("multicast")),
            ("239.255.255.250", Some("multicast")),
            ("255.255.255.255", Some("broadcast")),
            ("240.0.0.1", Some("reserved")),
            ("255.255.255.254", Some("reserved")),
            ("192.0.0.1", Some("reserved")),
            ("192.0.0.170", Some("reserved")),
            ("192.88.99.1", Some("reserved")),
        ]);
    }

    #[test]
    fn ipv4_neighbours_of_special_ranges_are_public() {
        assert_table(&[
            ("1.1.1.1", None),
            ("8.8.8.8", None),
            ("93.184.215.14", None),
            ("9.255.255.255", None),
            ("11.0.0.0", None),
            ("172.15.255.255", None),
            ("172.32.0.0", None),
            ("192.167.255.255", None),
            ("192.169.0.0", None),
            ("169.253.255.255", None),
            ("169.255.0.0", None),
            ("100.63.255.255", None),
            ("100.128.0.0", None),
            ("198.17.255.255", None),
            ("198.20.0.0", None),
            ("192.0.1.0", None),
            ("192.0.3.0", None),
            ("223.255.255.255", None),
            ("126.255.255.255", None),
            ("128.0.0.0", None),
            ("1.0.0.0", None),
        ]);
    }

    #[test]
    fn every_special_ipv6_range_is_refused_with_its_reason() {
        assert_table(&[
            ("::", Some("unspecified")),
            ("::1", Some("loopback")),
            ("fc00::1", Some("private")),
            ("fdff:ffff::1", Some("private")),
            ("fd00:ec2::254", Some("metadata")),
            ("fd00:ec2::253", Some("private")),
            ("fe80::1", Some("link_local")),
            ("febf:ffff::1", Some("link_local")),
            ("fec0::1", Some("site_local")),
            ("feff::1", Some("site_local")),
            ("ff02::1", Some("multicast")),
            ("ff05::1:3", Some("multicast")),
            ("2001::1", Some("teredo")),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Some("teredo")),
            ("2001:2::1", Some("benchmarking")),
            ("2001:db8::1", Some("documentation")),
            ("3fff::1", Some("documentation")),
            ("2001:10::1", Some("reserved")),
            ("2001:1ff::1", Some("reserved")),
            ("100::1", Some("discard")),
            ("5f00::1", Some("reserved")),
            ("4000::1", Some("reserved")),
            ("1::", Some("reserved")),
            ("::ffff:0:a00:1", Some("reserved")),
        ]);
    }

    #[test]
    fn global_ipv6_is_public() {
        assert_table(&[
            ("2606:4700:4700::1111", None),
            ("2001:4860:4860::8888", None),
            ("2a00:1450:4001:80b::200e", None),
            ("2001:200::1", None),
            ("3ffe::1", None),
        ]);
    }

    #[test]
    fn ipv4_mapped_and_compatible_forms_are_judged_by_their_ipv4() {
        assert_table(&[
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:7f00:1", Some("loopback")),
            ("::ffff:10.0.0.1", Some("private")),
            ("::ffff:169.254.169.254", Some("metadata")),
            ("::ffff:100.100.100.200", Some("metadata")),
            ("::ffff:0.0.0.0", Some("unspecified")),
            ("::ffff:224.0.0.1", Some("multicast")),
            ("::ffff:255.255.255.255", Some("broadcast")),
            ("::ffff:100.64.0.1", Some("shared_address_space")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("loopback")),
            ("::10.0.0.1", Some("private")),
            ("::169.254.169.254", Some("metadata")),
            ("::8.8.8.8", Some("reserved")),
        ]);
    }

    #[test]
    fn nat64_and_6to4_are_judged_by_their_embedded_ipv4() {
        assert_table(&[
            ("64:ff9b::127.0.0.1", Some("loopback")),
            ("64:ff9b::a9fe:a9fe", Some("metadata")),
            ("64:ff9b::192.168.1.1", Some("private")),
            ("64:ff9b::8.8.8.8", None),
            ("64:ff9b:1::8.8.8.8", Some("private")),
            ("64:ff9b:1::127.0.0.1", Some("loopback")),
            ("2002:7f00:1::", Some("loopback")),
            ("2002:a9fe:a9fe::1", Some("metadata")),
            ("2002:c0a8:101::1", Some("private")),
            ("2002:0a00:0001::", Some("private")),
            ("2002:808:808::1", None),
        ]);
    }

    #[test]
    fn refusal_explains_itself() {
        let refusal = check_ip("127.0.0.1".parse().unwrap()).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "127.0.0.1 is a loopback address, which the cloud browser may not reach unless it \
             is listed as an exception"
        );
        assert_eq!(refusal.ip(), "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
