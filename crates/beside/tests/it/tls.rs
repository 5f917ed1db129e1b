//! beside serving HTTPS itself (`BESIDE_TLS_CERT`, `BESIDE_TLS_KEY`, issue 16): TLS 1.2 and
//! 1.3 only, a renewed certificate served without a restart, `Secure` cookies and HSTS, and a
//! plain-HTTP listener that only redirects. Spoken to as browsers do, byte for byte.

use crate::support::{TestApp, PATIENCE};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A self-signed certificate for `localhost` and `127.0.0.1`: its DER, certificate PEM, key PEM.
fn certificate() -> (CertificateDer<'static>, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    (made.cert.der().clone(), made.cert.pem(), made.key_pair.serialize_pem())
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A TLS client that trusts `cert` alone and speaks only `versions`.
fn client(
    cert: &CertificateDer<'static>,
    versions: &[&'static SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn connect(
    connector: &TlsConnector,
    addr: SocketAddr,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// One HTTP/1.1 request on `stream`: the status, the headers (names lower-case), the body.
async fn request<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // A peer that closes without TLS's close_notify has still said all it had to say.
    if let Err(e) = stream.read_to_end(&mut raw).await {
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}");
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A ClientHello offering only `version` (`[3, 2]` is TLS 1.1, `[3, 3]` TLS 1.2, no
/// `supported_versions`, as clients of those versions send it), with the suites, groups and
/// signature schemes a TLS 1.2 server needs: the first bytes of the answer.
async fn hello(addr: SocketAddr, version: [u8; 2]) -> Vec<u8> {
    let mut hello = version.to_vec();
    hello.extend([7u8; 32]); // random
    hello.push(0); // no session id
                   // ECDHE-ECDSA/RSA with AES-128-GCM, and ECDHE-RSA with AES-128-CBC (TLS 1.1's kind).
    let suites: [u16; 3] = [0xc02b, 0xc02f, 0xc013];
    hello.extend(((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        hello.extend(s.to_be_bytes());
    }
    hello.extend([1, 0]); // compression: null
    let extensions: [(u16, &[u8]); 3] = [
        (0x000a, &[0, 4, 0x00, 0x1d, 0x00, 0x17]), // groups: x25519, secp256r1
        (0x000b, &[1, 0]),                         // point formats: uncompressed
        (0x000d, &[0, 6, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]), // signature schemes
    ];
    let mut ext = Vec::new();
    for (kind, body) in extensions {
        ext.extend(kind.to_be_bytes());
        ext.extend((body.len() as u16).to_be_bytes());
        ext.extend(body);
    }
    hello.extend((ext.len() as u16).to_be_bytes());
    hello.extend(ext);
    let mut handshake = vec![1u8]; // client_hello
    handshake.extend(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend(hello);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&record).await.unwrap();
    let mut answer = vec![0u8; 6];
    let n = tcp.read(&mut answer).await.unwrap_or(0);
    answer.truncate(n);
    answer
}

#[tokio::test]
async fn https_speaks_tls_1_2_and_1_3_only_and_serves_a_renewed_certificate_at_once() {
    let dir = crate::support::private_dir();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (first, cert_pem, key_pem) = certificate();
    write_private(&cert_path, &cert_pem);
    write_private(&key_path, &key_pem);
    let app = TestApp::spawn_with(|c| {
        c.tls.cert = Some(cert_path.clone());
        c.tls.key = Some(key_path.clone());
        c.tls.redirect_listen = Some("127.0.0.1:0".into());
    })
    .await;

    // TLS 1.3 and 1.2 both work, with HSTS on every answer.
    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
        let stream = connect(&client(&first, versions), app.addr).await.expect("a handshake");
        let (status, headers, body) = request(stream, "GET", "/healthz", None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            header(&headers, "strict-transport-security"),
            Some("max-age=31536000"),
            "{headers:?}"
        );
    }
    // TLS 1.1 is refused in the handshake with an alert, where the same hello as TLS 1.2
    // gets a ServerHello.
    let answer = hello(app.addr, [3, 3]).await;
    assert_eq!(answer.first(), Some(&0x16), "TLS 1.2: {answer:?}");
    assert_eq!(answer.get(5), Some(&2), "TLS 1.2: a ServerHello, {answer:?}");
    let answer = hello(app.addr, [3, 2]).await;
    assert_eq!(answer.first(), Some(&0x15), "TLS 1.1: an alert, {answer:?}");
    // Plain HTTP on the HTTPS port gets no page.
    let mut plain = TcpStream::connect(app.addr).await.unwrap();
    plain.write_all(b"GET /agent HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(!String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"), "{answer:?}");

    // The login cookie is `Secure`.
    let tls13 = client(&first, &[&rustls::version::TLS13]);
    let login = format!(r#"{{"email":"agent@demo.example","password":"{}"}}"#, app.demo_password);
    let stream = connect(&tls13, app.addr).await.unwrap();
    let (status, headers, body) = request(stream, "POST", "/api/v1/auth/login", Some(&login)).await;
    assert_eq!(status, 200, "{body}");
    let cookie = header(&headers, "set-cookie").expect("a login cookie");
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");

    // Plain HTTP on the redirect listener goes to the same place over HTTPS.
    let redirect = app.redirect_addr.expect("the redirect listener");
    let tcp = TcpStream::connect(redirect).await.unwrap();
    let (status, headers, _) = request(tcp, "GET", "/agent?pin=123456", None).await;
    assert_eq!(status, 308);
    assert_eq!(
        header(&headers, "location").map(str::to_owned),
        Some(format!("https://localhost:{}/agent?pin=123456", app.addr.port()))
    );

    // A renewed certificate (key first, then certificate, as a renewal tool writes them) is
    // served from a following connection on, with no restart.
    let (second, cert_pem, key_pem) = certificate();
    write_private(&key_path, &key_pem);
    write_private(&cert_path, &cert_pem);
    let renewed = client(&second, &[&rustls::version::TLS13]);
    let deadline = Instant::now() + PATIENCE;
    let stream = loop {
        match connect(&renewed, app.addr).await {
            Ok(stream) => break stream,
            Err(e) => {
                assert!(Instant::now() < deadline, "the renewed certificate was not served: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let presented = stream.get_ref().1.peer_certificates().unwrap()[0].clone();
    assert_eq!(presented, second);
    let (status, _, _) = request(stream, "GET", "/healthz", None).await;
    assert_eq!(status, 200);
    // The first certificate is no longer served (to a client without a session to resume).
    let fresh = client(&first, &[&rustls::version::TLS13]);
    assert!(connect(&fresh, app.addr).await.is_err());
    app.stop().await;
}

#[test]
fn unusable_certificate_files_stop_beside_with_exit_2_naming_the_file() {
    let dir = crate::support::private_dir();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (_, cert_pem, _) = certificate();
    let (_, _, other_key_pem) = certificate();
    let data = crate::support::private_dir();
    let serve = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_beside"));
        command
            .arg("serve")
            .env("BESIDE_DATA_DIR", data.path())
            .env("BESIDE_LISTEN", "127.0.0.1:0")
            .env("BESIDE_TLS_CERT", &cert_path)
            .env("BESIDE_TLS_KEY", &key_path);
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // No files at all.
    let (code, err) = serve();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read") && err.contains("cert.pem"), "{err}");
    // A certificate file without a certificate.
    write_private(&cert_path, "not a certificate\n");
    write_private(&key_path, &other_key_pem);
    let (code, err) = serve();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no PEM certificate") && err.contains("cert.pem"), "{err}");
    // A key of another certificate; its bytes are never printed.
    write_private(&cert_path, &cert_pem);
    let (code, err) = serve();
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not belong") && err.contains("key.pem"), "{err}");
    let key_body: String = other_key_pem.lines().nth(1).unwrap().to_owned();
    assert!(!err.contains(&key_body), "{err}");
}
