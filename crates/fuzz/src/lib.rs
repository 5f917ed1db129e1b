//! Fuzz targets of beside: what customers, agents, pages, the network and operators can feed
//! it, each an `fn(&[u8])` that must neither panic nor hang on any input, and that checks the
//! promises of the code it drives (a masked frame that is not hidden is a JPEG of the same size,
//! an address the policy accepts is accepted again, a forwarded request head has only its own
//! lines, …).
//!
//! The corpora live in `corpus/<target>/` (regression inputs of crashes found too). The ordinary
//! test suite replays them and runs [`runner`] (mutations of the corpus, a few seconds per
//! target); `cargo xtask fuzz` runs the same targets under libFuzzer, coverage-guided
//! (`libfuzzer/`).

// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod runner;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// A fuzz target: it must neither panic nor hang on any input.
pub type Target = fn(&[u8]);

/// Every target by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("client_message", client_message),
    ("jpeg", jpeg),
    ("egress_request", egress_request),
    ("url_policy", url_policy),
    ("guard_report", guard_report),
    ("config", config),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Where the corpus of `name` lives in the repository.
pub fn corpus_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name)
}

/// The corpus of `name`: every file of its directory, in name order.
pub fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(corpus_dir(name)) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes))).collect()
}

/// A client's WebSocket message: text decoded and arbitrated as the session does for both
/// roles; binary decoded as a frame message (what clients decode).
pub fn client_message(data: &[u8]) {
    session::fuzzing::client_message(data);
    match protocol::decode_message(data) {
        Ok(protocol::FrameMessage::Tiles(_, jpegs)) => {
            assert!(jpegs.iter().map(|j| j.len()).sum::<usize>() <= data.len());
        }
        Ok(protocol::FrameMessage::Whole(_, jpeg)) => assert!(jpeg.len() <= data.len()),
        Err(_) => {}
    }
}

/// A screencast frame, perhaps damaged, through masking, tiling and requantising: the first
/// eight bytes choose the plan (`[kind, x, y, w, h, scale, _, quality]`), the rest is the JPEG.
/// A masked frame that is not hidden, each tile and a requantised frame are JPEGs of the size
/// they claim.
pub fn jpeg(data: &[u8]) {
    let Some((control, jpeg)) = data.split_first_chunk::<8>() else { return };
    let [kind, x, y, w, h, scale, _, quality] = *control;
    let size = turbojpeg::read_header(jpeg).ok().map(|hd| (hd.width, hd.height));
    let scale = u32::from(scale % 2) + 1;
    let (css_width, css_height) = match size {
        Some((width, height)) => ((width as u32 / scale).max(1), (height as u32 / scale).max(1)),
        None => (1280, 720),
    };
    let raw = frames::RawFrame {
        seq: 1,
        jpeg: bytes::Bytes::copy_from_slice(jpeg),
        meta: model::FrameMeta {
            css_width,
            css_height,
            scroll_x: 0.0,
            scroll_y: 0.0,
            timestamp_ms: 0.0,
        },
    };
    let rect = model::Rect {
        x: f64::from(x) * 8.0 - 64.0,
        y: f64::from(y) * 8.0 - 64.0,
        width: f64::from(w) * 4.0,
        height: f64::from(h) * 4.0,
    };
    let plan = match kind % 8 {
        0 => frames::MaskPlan::Clear,
        1 => frames::MaskPlan::HideAll,
        2 => frames::MaskPlan::Rects(vec![
            frames::MaskRect { rect },
            frames::MaskRect { rect: model::Rect { x: rect.y, y: rect.x, ..rect } },
        ]),
        _ => frames::MaskPlan::Rects(vec![frames::MaskRect { rect }]),
    };
    let masked = frames::mask(&raw, &plan);
    let out = &masked.frame().jpeg;
    if !masked.is_hidden() && out.as_ref() != jpeg {
        let got = turbojpeg::read_header(out).map(|hd| (hd.width, hd.height)).ok();
        assert!(same_size(got, size), "masked {size:?} into {got:?}");
    }

    let mut differ = frames::Differ::new();
    let _ = differ.diff(1, jpeg);
    let second = if masked.is_hidden() { jpeg } else { out.as_ref() };
    if let Some(delta) = differ.diff(2, second) {
        for tile in &delta.tiles {
            let got = turbojpeg::read_header(&tile.jpeg).map(|hd| (hd.width, hd.height)).ok();
            let want = (tile.width as usize, tile.height as usize);
            assert_eq!(got, Some(want), "a tile is not the JPEG it claims to be");
            if let Some(coarse) = frames::requantize(&tile.jpeg, quality % 100 + 1) {
                let got = turbojpeg::read_header(&coarse).map(|hd| (hd.width, hd.height)).ok();
                assert_eq!(got, Some(want), "a requantised tile changed size");
            }
        }
    }
    if let Some(coarse) = frames::requantize(jpeg, quality % 100 + 1) {
        let got = turbojpeg::read_header(&coarse).map(|hd| (hd.width, hd.height)).ok();
        assert!(same_size(got, size), "requantised {size:?} into {got:?}");
    }
}

/// Whether a JPEG made from another one is readable, and of its size when that one was
/// readable (the compressed-domain code may read a damaged JPEG that libjpeg cannot).
fn same_size(made: Option<(usize, usize)>, from: Option<(usize, usize)>) -> bool {
    made.is_some() && (from.is_none() || made == from)
}

/// A request head as a local client (Chromium) sends it to the egress proxy.
pub fn egress_request(data: &[u8]) {
    browser::fuzzing::egress_request(data);
}

/// Addresses and hosts through the navigation, egress and client policies: what one accepts it
/// accepts again in the form it returned; a host refused by the address rule is refused
/// without an exception.
pub fn url_policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(url) = policy::navigation::check_url(&text) {
        let again = policy::navigation::check_url(url.as_str());
        assert_eq!(again.as_ref().ok(), Some(&url), "{text:?} → {url} was not accepted again");
    }
    if let Ok(host) = policy::egress::normalize_host(&text) {
        let again = policy::egress::normalize_host(&host.to_string());
        assert_eq!(
            again.as_ref().ok(),
            Some(&host),
            "{text:?} → {host} did not normalise to itself"
        );
        let resolved = ip_from(data);
        let port = data.first().map_or(80, |b| u16::from(*b) * 257);
        let none = policy::egress::Exceptions::default();
        let decided = policy::egress::decide(&host, port, resolved, &none);
        assert_eq!(
            decided.is_ok(),
            policy::egress::check_ip(resolved).is_ok(),
            "{host} at {resolved}: a decision other than the address rule's without exceptions"
        );
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let _ = policy::egress::Exceptions::parse(&lines);
    let peer = ip_from(data);
    match policy::client::IpRanges::parse(&lines) {
        Ok(trusted) => {
            let client = policy::client::client_ip(peer, text.lines(), &trusted);
            if trusted.is_empty() {
                assert_eq!(client, policy::client::client_ip(peer, [], &trusted));
            }
            let _ = policy::client::limit_key(client);
        }
        Err(error) => assert!(error.to_string().contains("CIDR")),
    }
}

/// What the page's guard (in beside's isolated world) reports and answers.
pub fn guard_report(data: &[u8]) {
    browser::fuzzing::guard_report(data);
}

/// The configuration: a TOML file (up to the first NUL byte) and environment variables
/// (`NAME=value` after it, one per NUL-separated part). A configuration that loads is valid,
/// and written back as TOML it loads again the same.
pub fn config(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0);
    let Some(file) = parts.next().and_then(|f| std::str::from_utf8(f).ok()) else { return };
    let env: Vec<(String, String)> = parts
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let Ok(config) = beside::Config::from_text(Some((file, "fuzz.toml")), env) else { return };
    assert!(config.validate().is_ok());
    let written = toml::to_string(&config).expect("a loaded configuration serialises");
    let again = beside::Config::from_text(Some((&written, "written.toml")), Vec::new());
    let again = again.unwrap_or_else(|e| panic!("{written}\ndoes not load again: {e:#}"));
    assert_eq!(toml::to_string(&again).ok().as_deref(), Some(written.as_str()));
}

/// An address made of the input's last bytes (IPv4 or IPv6 by the length).
fn ip_from(data: &[u8]) -> IpAddr {
    match data.len() {
        n if n >= 16 && data[0] % 2 == 1 => {
            let bytes: [u8; 16] = data[n - 16..].try_into().expect("sixteen bytes");
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        n if n >= 4 => {
            let bytes: [u8; 4] = data[n - 4..].try_into().expect("four bytes");
            IpAddr::V4(Ipv4Addr::from(bytes))
        }
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}
