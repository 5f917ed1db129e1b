//! One delivery attempt: a `POST` of the signed body over a connection beside opens itself to
//! the address `target::resolve` checked, HTTP/1.1, over TLS for `https` (Mozilla's roots,
//! TLS 1.2 and 1.3). No redirect is followed and no proxy of the environment is used.

use super::target::Target;
use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper::{header, Request};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Why an attempt got no answer. The messages go to the delivery log.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PostError {
    #[error("could not connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: std::io::Error },
    #[error("the TLS handshake failed: {0}")]
    Tls(std::io::Error),
    #[error("{0} is not a name a certificate can carry")]
    TlsName(String),
    #[error("the HTTP exchange failed: {0}")]
    Http(#[from] hyper::Error),
    #[error("the request could not be made: {0}")]
    Request(#[from] hyper::http::Error),
}

/// The client's TLS settings, made once.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// Posts `body` to `target` at `addr` with these extra headers, and answers the status code.
/// The caller bounds the time it takes.
pub(crate) async fn post(
    target: &Target,
    addr: SocketAddr,
    headers: &[(&'static str, String)],
    body: String,
) -> Result<u16, PostError> {
    let mut req = Request::post(target.path_and_query())
        .header(header::HOST, target.host_header())
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, concat!("beside-webhooks/", env!("CARGO_PKG_VERSION")))
        .header(header::CONTENT_LENGTH, body.len());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let req = req.body(Full::new(Bytes::from(body)))?;
    let tcp =
        TcpStream::connect(addr).await.map_err(|source| PostError::Connect { addr, source })?;
    let _ = tcp.set_nodelay(true);
    if !target.https {
        return exchange(tcp, req).await;
    }
    let name = rustls::pki_types::ServerName::try_from(target.tls_name())
        .map_err(|_| PostError::TlsName(target.tls_name()))?;
    let tls = tokio_rustls::TlsConnector::from(tls_config())
        .connect(name, tcp)
        .await
        .map_err(PostError::Tls)?;
    exchange(tls, req).await
}

async fn exchange<S>(io: S, req: Request<Full<Bytes>>) -> Result<u16, PostError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake(TokioIo::new(io)).await?;
    // The connection is driven beside the request, and dropped with it: one request each.
    let driver = tokio::spawn(conn);
    let res = sender.send_request(req).await;
    driver.abort();
    Ok(res?.status().as_u16())
}
