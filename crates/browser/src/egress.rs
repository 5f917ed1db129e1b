//! The egress proxy: every connection the cloud browser's pages make goes through this forward
//! proxy, which lets them reach the public internet only. Chromium's own calls (updates, account
//! checks: whatever its switches do not turn off) go to a second door of it that refuses all,
//! so they never leave the machine.
//!
//! It resolves names itself, asks `policy` about every address a name resolved to, and connects
//! to exactly the address it checked, so a page cannot reach loopback, private networks or cloud
//! metadata by spelling an address oddly or by DNS rebinding. It speaks just enough HTTP/1.1:
//! `CONNECT host:port` for TLS and WebSockets, and absolute-form requests for plain `http://`,
//! each on a connection that closes after one exchange.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use policy::domains::DomainLists;
use policy::egress::{decide, normalize_host, Exceptions, Host};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::BrowserError;

const MAX_HEAD: usize = 64 * 1024;
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const BLOCKED_BODY: &str = "<!doctype html><meta charset=\"utf-8\"><title>Blocked</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>&#x26D4;</h1>\
<p>beside blocked this address.</p></body>";

/// How many requested `host:port`s each door remembers, for diagnostics and tests.
const LOG_LEN: usize = 64;

/// The running proxy; dropping it does not stop it, [`Egress::stop`] does.
pub(crate) struct Egress {
    /// The door for the pages of sessions (each browser context is given it).
    pub(crate) addr: SocketAddr,
    /// The door for Chromium's own requests (`--proxy-server`): it refuses everything.
    pub(crate) system_addr: SocketAddr,
    tasks: [JoinHandle<()>; 2],
    exceptions: Arc<Exceptions>,
    upstreams: Upstreams,
    pages_log: Log,
    system_log: Log,
}

/// A door of the proxy for one browser context whose company restricts where its sessions go:
/// it refuses, besides what every door refuses, each request to a site the company's lists
/// do not allow. It closes when dropped (connections already let through run to their end).
pub(crate) struct ContextDoor {
    pub(crate) port: u16,
    task: JoinHandle<()>,
}

impl Drop for ContextDoor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Egress {
    /// Listens on 127.0.0.1 on two free ports.
    pub(crate) async fn start(exceptions: Exceptions) -> Result<Egress, BrowserError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(BrowserError::Proxy)?;
        let addr = listener.local_addr().map_err(BrowserError::Proxy)?;
        let system = TcpListener::bind("127.0.0.1:0").await.map_err(BrowserError::Proxy)?;
        let system_addr = system.local_addr().map_err(BrowserError::Proxy)?;
        let upstreams = Upstreams::default();
        let (pages_log, system_log) = (Log::default(), Log::default());
        let exceptions = Arc::new(exceptions);
        let pages =
            Door { exceptions: exceptions.clone(), upstreams: upstreams.clone(), domains: None };
        let tasks = [
            tokio::spawn(serve(listener, pages_log.clone(), Some(pages))),
            tokio::spawn(serve(system, system_log.clone(), None)),
        ];
        Ok(Egress { addr, system_addr, tasks, exceptions, upstreams, pages_log, system_log })
    }

    /// Opens a door that also holds to a company's navigation lists, for one context.
    pub(crate) async fn open_door(
        &self,
        domains: Arc<DomainLists>,
    ) -> Result<ContextDoor, BrowserError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(BrowserError::Proxy)?;
        let port = listener.local_addr().map_err(BrowserError::Proxy)?.port();
        let door = Door {
            exceptions: self.exceptions.clone(),
            upstreams: self.upstreams.clone(),
            domains: Some(domains),
        };
        let task = tokio::spawn(serve(listener, self.pages_log.clone(), Some(door)));
        Ok(ContextDoor { port, task })
    }

    pub(crate) fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }

    /// The `host:port`s asked for lately through the pages' door and through Chromium's own.
    pub(crate) fn requested(&self) -> (Vec<String>, Vec<String>) {
        (self.pages_log.entries(), self.system_log.entries())
    }

    /// Whether a connection from `peer` is one this proxy opened for the cloud browser.
    pub(crate) fn opened(&self, peer: SocketAddr) -> bool {
        self.upstreams.contains(peer)
    }
}

/// The local addresses of the connections the proxy has open, so a server the cloud browser
/// reaches through it (beside itself) can tell the cloud browser's requests from others', by
/// whatever name or address the page used.
#[derive(Clone, Default)]
struct Upstreams(Arc<Mutex<HashSet<SocketAddr>>>);

impl Upstreams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<SocketAddr>> {
        self.0.lock().expect("the upstreams lock is never held across a panic")
    }

    /// Notes `stream`'s local address until the returned guard is dropped.
    fn register(&self, stream: &TcpStream) -> Option<Registered> {
        let addr = canonical(stream.local_addr().ok()?);
        self.lock().insert(addr);
        Some(Registered { upstreams: self.clone(), addr })
    }

    fn contains(&self, peer: SocketAddr) -> bool {
        self.lock().contains(&canonical(peer))
    }
}

struct Registered {
    upstreams: Upstreams,
    addr: SocketAddr,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.upstreams.lock().remove(&self.addr);
    }
}

/// An IPv4-mapped IPv6 address (as a dual-stack listener reports its peer) as its IPv4 one.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => addr,
        },
        IpAddr::V4(_) => addr,
    }
}

/// The last few `host:port`s a door was asked for.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<VecDeque<String>>>);

impl Log {
    fn push(&self, host: &str, port: u16) {
        let mut log = self.0.lock().expect("the egress log lock is never held across a panic");
        if log.len() == LOG_LEN {
            log.pop_front();
        }
        log.push_back(format!("{host}:{port}"));
    }

    fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("the egress log lock is never held across a panic")
            .iter()
            .cloned()
            .collect()
    }
}

/// What the pages' door needs; Chromium's own door has none of it and refuses all.
#[derive(Clone)]
struct Door {
    exceptions: Arc<Exceptions>,
    upstreams: Upstreams,
    /// A company's navigation lists, on a context's own door.
    domains: Option<Arc<DomainLists>>,
}

async fn serve(listener: TcpListener, log: Log, door: Option<Door>) {
    loop {
        match listener.accept().await {
            Ok((conn, _)) => {
                let (log, door) = (log.clone(), door.clone());
                tokio::spawn(async move {
                    if let Err(error) = handle(conn, &log, door.as_ref()).await {
                        tracing::debug!(%error, "Egress proxy connection ended with an error.");
                    }
                });
            }
            Err(error) => {
                tracing::warn!(%error, "Egress proxy could not accept a connection.");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Why the proxy did not connect.
#[derive(Debug)]
enum Failure {
    Refused(&'static str),
    Unreachable(String),
}

async fn handle(mut client: TcpStream, log: &Log, door: Option<&Door>) -> io::Result<()> {
    let (head, rest) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await {
        Ok(Ok(Some(parts))) => parts,
        Ok(Ok(None)) => return Ok(()),
        Ok(Err(error)) => return Err(error),
        Err(_) => return Ok(()),
    };
    let Some(request) = Request::parse(&head) else {
        return respond(&mut client, "400 Bad Request", "beside could not read this request.")
            .await;
    };
    log.push(&request.host, request.port);
    let Some(Door { exceptions, upstreams, domains }) = door else {
        tracing::debug!(host = %request.host, port = request.port, "Refused a request of Chromium's own.");
        metrics::counter!("beside_egress_refused_total", "reason" => "browser_own").increment(1);
        return respond(&mut client, "403 Forbidden", BLOCKED_BODY).await;
    };
    let host = match normalize_host(&request.host) {
        Ok(host) => host,
        Err(error) => {
            tracing::info!(%error, "Egress proxy refused a malformed host.");
            return respond(&mut client, "400 Bad Request", "beside could not read this address.")
                .await;
        }
    };
    if let Some(Err(refusal)) = domains.as_ref().map(|d| d.decide(&host)) {
        tracing::info!(host = %host, port = request.port, reason = refusal.reason(), "Egress proxy refused a site the company does not allow.");
        metrics::counter!("beside_egress_refused_total", "reason" => refusal.reason()).increment(1);
        return respond(&mut client, "403 Forbidden", BLOCKED_BODY).await;
    }
    let mut upstream = match connect(&host, request.port, exceptions).await {
        Ok(upstream) => upstream,
        Err(Failure::Refused(reason)) => {
            tracing::info!(host = %host, port = request.port, reason, "Egress proxy refused a connection.");
            metrics::counter!("beside_egress_refused_total", "reason" => reason).increment(1);
            return respond(&mut client, "403 Forbidden", BLOCKED_BODY).await;
        }
        Err(Failure::Unreachable(why)) => {
            tracing::debug!(host = %host, port = request.port, why, "Egress proxy could not connect.");
            return respond(&mut client, "502 Bad Gateway", "beside could not reach this address.")
                .await;
        }
    };
    // Registered before a byte goes upstream, so the server there knows it as the cloud browser
    // by the time it reads the request; forgotten when this exchange ends.
    let _registered = upstreams.register(&upstream);
    if request.connect {
        client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
        if !rest.is_empty() {
            upstream.write_all(&rest).await?;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return Ok(());
    }
    let mut out = request.origin_form_head().into_bytes();
    out.extend_from_slice(&rest);
    upstream.write_all(&out).await?;
    relay_one_exchange(client, upstream).await
}

/// Relays one plain HTTP exchange; the response is marked `Connection: close` so Chromium
/// never sends a second request (perhaps for another host) down this checked connection.
async fn relay_one_exchange(client: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let body = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
    });
    let res = async {
        loop {
            let Some((head, rest)) = read_head(&mut upstream_read).await? else {
                return Ok(());
            };
            let informational = head.starts_with("HTTP/1.1 1") || head.starts_with("HTTP/1.0 1");
            let mut out = close_response_head(&head).into_bytes();
            out.extend_from_slice(&rest);
            client_write.write_all(&out).await?;
            if !informational || !rest.is_empty() {
                break;
            }
        }
        tokio::io::copy(&mut upstream_read, &mut client_write).await?;
        client_write.shutdown().await
    }
    .await;
    body.abort();
    res
}

async fn respond(client: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(response.as_bytes()).await?;
    client.shutdown().await
}

/// Resolves (names only), checks every address with `policy`, and connects to a checked one.
async fn connect(host: &Host, port: u16, exceptions: &Exceptions) -> Result<TcpStream, Failure> {
    let addrs: Vec<SocketAddr> = match host {
        Host::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        Host::Name(name) => {
            let lookup = tokio::net::lookup_host((name.as_str(), port));
            match tokio::time::timeout(CONNECT_TIMEOUT, lookup).await {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(error)) => return Err(Failure::Unreachable(error.to_string())),
                Err(_) => return Err(Failure::Unreachable("name lookup timed out".into())),
            }
        }
    };
    if addrs.is_empty() {
        return Err(Failure::Unreachable("the name has no addresses".into()));
    }
    // Every address must pass: a name that also points at a private address is refused whole.
    for addr in &addrs {
        decide(host, port, addr.ip(), exceptions).map_err(|r| Failure::Refused(r.reason()))?;
    }
    let mut last_error = String::new();
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) => last_error = error.to_string(),
            Err(_) => last_error = "connect timed out".into(),
        }
    }
    Err(Failure::Unreachable(last_error))
}

/// Reads up to the end of an HTTP head; returns the head (without the blank line) and any
/// bytes read past it. `None` when the peer closed before sending anything.
async fn read_head<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "head cut short"));
        }
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf[searched_from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = searched_from + pos;
            let rest = buf[end + 4..].to_vec();
            buf.truncate(end);
            let head = String::from_utf8(buf)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "head is not UTF-8"))?;
            return Ok(Some((head, rest)));
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
    }
}

/// A request to the proxy, as much of it as the proxy needs.
#[derive(Debug, PartialEq)]
struct Request {
    connect: bool,
    method: String,
    /// As written in the request: brackets kept around IPv6, not yet normalised.
    host: String,
    port: u16,
    /// Origin-form target (`/path?query`) for plain requests.
    path: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn parse(head: &str) -> Option<Request> {
        // A line with a lone CR or LF, or another control character, would reach the upstream
        // server as lines of its own (a header smuggled past this parse): refuse it whole.
        let clean = |line: &str| !line.chars().any(|c| c.is_control() && c != '\t');
        let mut lines = head.split("\r\n");
        let first = lines.next().filter(|l| clean(l))?;
        let mut parts = first.split(' ');
        let method = parts.next().filter(|m| is_token(m))?.to_owned();
        let target = parts.next()?;
        let version = parts.next()?.to_owned();
        if parts.next().is_some() || !version.starts_with("HTTP/1.") {
            return None;
        }
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').filter(|_| clean(line))?;
                let name = name.trim();
                is_token(name).then(|| (name.to_owned(), value.trim().to_owned()))
            })
            .collect::<Option<Vec<_>>>()?;
        if method.eq_ignore_ascii_case("CONNECT") {
            let (host, port) = split_authority(target, 443)?;
            return Some(Request {
                connect: true,
                method,
                host,
                port,
                path: String::new(),
                version,
                headers,
            });
        }
        let scheme_end = target.find("://")?;
        if !target[..scheme_end].eq_ignore_ascii_case("http") {
            return None;
        }
        let after = &target[scheme_end + 3..];
        let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        let (host, port) = split_authority(authority, 80)?;
        let path = match &after[authority_end..] {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        let path = path.split('#').next().unwrap_or("/").to_owned();
        Some(Request { connect: false, method, host, port, path, version, headers })
    }

    /// The head to send upstream: origin-form target, no proxy headers, one exchange only.
    fn origin_form_head(&self) -> String {
        let mut head = format!("{} {} {}\r\n", self.method, self.path, self.version);
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("proxy-") || lower == "connection" || lower == "keep-alive" {
                continue;
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        head
    }
}

/// An HTTP token (a method or a header name): visible ASCII without separators.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && !b"\"(),/:;<=>?@[\\]{}".contains(&b))
}

/// Splits `host:port`, `[v6]:port`, or a bare host (taking `default_port`).
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = authority[..=end].to_owned();
        let port = match &authority[end + 1..] {
            "" => default_port,
            rest => rest.strip_prefix(':')?.parse().ok()?,
        };
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((authority.to_owned(), default_port)),
    }
}

/// The upstream response head with its connection headers replaced by `Connection: close`.
fn close_response_head(head: &str) -> String {
    let mut out = String::with_capacity(head.len() + 24);
    for (idx, line) in head.split("\r\n").enumerate() {
        if idx > 0 {
            let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
            if name == "connection" || name == "keep-alive" || name == "proxy-connection" {
                continue;
            }
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

/// The parsing of [`handle`], for the fuzz target: the head is cut from the bytes as
/// [`read_head`] does, then parsed; a request that parses is forwarded with a head of exactly
/// its own lines (a header value cannot smuggle in a line of its own).
pub(crate) fn check_parsing(data: &[u8]) {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime without IO starts")
    });
    let mut reader = data;
    let Ok(Some((head, rest))) = runtime.block_on(read_head(&mut reader)) else { return };
    assert!(head.len() + 4 + rest.len() <= data.len());
    let _ = close_response_head(&head);
    let Some(request) = Request::parse(&head) else { return };
    let _ = normalize_host(&request.host);
    let forwarded = request.origin_form_head();
    let lines: Vec<&str> = forwarded.trim_end_matches("\r\n\r\n").split("\r\n").collect();
    assert!(!lines.iter().any(|l| l.contains(['\r', '\n'])), "{forwarded:?}");
    assert!(lines.len() <= request.headers.len() + 2, "{forwarded:?}");
    assert!(lines[0].starts_with(&request.method), "{forwarded:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_requests_name_host_and_port() {
        let r = Request::parse("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443").unwrap();
        assert!(r.connect);
        assert_eq!((r.host.as_str(), r.port), ("[::1]", 8443));
        let r = Request::parse("CONNECT example.com:443 HTTP/1.1").unwrap();
        assert_eq!((r.host.as_str(), r.port), ("example.com", 443));
    }

    #[test]
    fn absolute_form_becomes_origin_form_without_proxy_headers() {
        let head = "GET http://user@2130706433:8080/a/b?c=d HTTP/1.1\r\nHost: 2130706433:8080\r\n\
                    Proxy-Connection: keep-alive\r\nProxy-Authorization: x\r\nAccept: */*";
        let r = Request::parse(head).unwrap();
        assert_eq!((r.host.as_str(), r.port, r.path.as_str()), ("2130706433", 8080, "/a/b?c=d"));
        assert_eq!(
            r.origin_form_head(),
            "GET /a/b?c=d HTTP/1.1\r\nHost: 2130706433:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        let r = Request::parse("GET http://example.com HTTP/1.1").unwrap();
        assert_eq!((r.port, r.path.as_str()), (80, "/"));
    }

    // Found by the fuzz target egress_request: a lone LF in a header line reached the
    // upstream server, which may take it for a line of its own (a smuggled header).
    #[test]
    fn a_head_with_a_lone_line_break_or_control_character_is_refused() {
        let smuggled = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\u{5}\nX-Evil: 1\r\n";
        assert_eq!(Request::parse(smuggled.trim_end()), None);
        for bad in [
            "GET http://example.com/ HTTP/1.1\r\nHost: a\rX: 1",
            "GET http://example.com/ HTTP/1.1\r\nHo st: a",
            "GET http://example.com/ HTTP/1.1\r\n: a",
            "G\u{0}ET http://example.com/ HTTP/1.1",
        ] {
            assert_eq!(Request::parse(bad), None, "{bad:?}");
        }
        let ok = Request::parse("GET http://example.com/ HTTP/1.1\r\nX-Tab:\ta\tb").unwrap();
        assert_eq!(ok.headers, vec![("X-Tab".to_owned(), "a\tb".to_owned())]);
    }

    #[test]
    fn other_schemes_and_garbage_are_not_requests() {
        assert_eq!(Request::parse("GET ftp://example.com/ HTTP/1.1"), None);
        assert_eq!(Request::parse("GET /relative HTTP/1.1"), None);
        assert_eq!(Request::parse("hello"), None);
    }

    #[test]
    fn responses_are_closed_after_one_exchange() {
        let head = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2";
        assert_eq!(
            close_response_head(head),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn refuses_loopback_in_any_spelling_and_lets_exceptions_through() {
        let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = target.local_addr().unwrap().port();
        let exceptions = Exceptions::parse(&[format!("127.0.0.1:{port}")]).unwrap();
        for spelling in ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1"] {
            let host = normalize_host(spelling).unwrap();
            assert!(connect(&host, port, &exceptions).await.is_ok(), "{spelling}");
            match connect(&host, port + 1, &exceptions).await {
                Err(Failure::Refused(reason)) => assert_eq!(reason, "loopback"),
                other => panic!("{spelling}: {other:?}"),
            }
        }
        let host = normalize_host("169.254.169.254").unwrap();
        assert!(matches!(connect(&host, 80, &exceptions).await, Err(Failure::Refused(_))));
    }
}
