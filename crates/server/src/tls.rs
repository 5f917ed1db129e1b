//! Built-in HTTPS (`BESIDE_TLS_CERT`, `BESIDE_TLS_KEY`): TLS 1.2 and 1.3 only, with rustls.
//! The certificate and key are read again when their files change (checked at most once a
//! second, when a connection asks for them), so a renewed certificate needs no restart; files
//! that cannot be used leave the previous certificate in place.

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How often, at most, the files are looked at for a change.
const RECHECK_EVERY: Duration = Duration::from_secs(1);
/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once; connections beyond wait in the kernel's accept queue.
const MAX_HANDSHAKES: usize = 512;

/// The PEM files of the certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why the certificate or key cannot be used. Never holds any of the key's bytes.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)")]
    NoCertificate { path: PathBuf },
    #[error("{path} is not a readable PEM certificate chain: {reason}")]
    BadCertificate { path: PathBuf, reason: String },
    #[error("{path} holds no usable PEM private key (PKCS#8, PKCS#1 or SEC1): {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error(
        "the key in {key} does not belong to the certificate in {cert}, or cannot sign: {reason}"
    )]
    Mismatch { cert: PathBuf, key: PathBuf, reason: String },
    #[error("TLS cannot be set up: {0}")]
    Setup(String),
}

/// The TLS side of the main listener: the current certificate and what makes handshakes.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
}

impl Tls {
    /// Reads the files; an error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let stamp = stamp(&files);
        let key = load(&files, &provider)?;
        let resolver = Reloading {
            files,
            provider: provider.clone(),
            state: Mutex::new(Loaded { key, stamp, checked: Instant::now(), refused: None }),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        // The router speaks HTTP/1.1 (WebSockets included).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)) })
    }
}

fn load(files: &TlsFiles, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source })
    };
    let cert_pem = read(&files.cert)?;
    let chain =
        CertificateDer::pem_slice_iter(&cert_pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
            TlsError::BadCertificate { path: files.cert.clone(), reason: e.to_string() }
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: files.cert.clone() });
    }
    let key_pem = read(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| TlsError::BadKey { path: files.key.clone(), reason: e.to_string() })?;
    let key = CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
        reason: e.to_string(),
    })?;
    Ok(Arc::new(key))
}

/// When and how big both files were last written: a change of either means reading again.
type Stamp = Option<[(SystemTime, u64); 2]>;

fn stamp(files: &TlsFiles) -> Stamp {
    let one = |path: &Path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    Some([one(&files.cert)?, one(&files.key)?])
}

struct Reloading {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    state: Mutex<Loaded>,
}

struct Loaded {
    key: Arc<CertifiedKey>,
    /// The files as they were when `key` was read.
    stamp: Stamp,
    checked: Instant,
    /// Files found unusable, not tried again until they change once more.
    refused: Option<Stamp>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading").field("files", &self.files).finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.checked.elapsed() >= RECHECK_EVERY {
            state.checked = Instant::now();
            let now = stamp(&self.files);
            if now.is_some() && now != state.stamp && state.refused != Some(now) {
                match load(&self.files, &self.provider) {
                    Ok(key) => {
                        state.key = key;
                        state.stamp = now;
                        state.refused = None;
                        tracing::info!(cert = %self.files.cert.display(), "Loaded the changed TLS certificate.");
                    }
                    Err(error) => {
                        state.refused = Some(now);
                        tracing::warn!(%error, "Kept the previous TLS certificate: the changed files cannot be used.");
                    }
                }
            }
        }
        Some(state.key.clone())
    }
}

/// The main listener when beside serves HTTPS: connections come out of it after their
/// handshake, which runs beside the others' (a slow client holds up nobody).
pub(crate) struct TlsListener {
    tcp: TcpListener,
    tls: Tls,
    handshakes: FuturesUnordered<Handshake>,
}

/// A handshake under way: the connection once it is done, nothing if it failed.
type Handshake = BoxFuture<'static, Option<(TlsStream<TcpStream>, SocketAddr)>>;

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, tls: Tls) -> TlsListener {
        TlsListener { tcp, tls, handshakes: FuturesUnordered::new() }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept(), if self.handshakes.len() < MAX_HANDSHAKES => {
                    match accepted {
                        Ok((stream, addr)) => {
                            crate::serve::tune(&stream);
                            let acceptor = self.tls.acceptor.clone();
                            self.handshakes.push(Box::pin(async move {
                                let shake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                                match shake.await {
                                    Ok(Ok(stream)) => Some((stream, addr)),
                                    Ok(Err(error)) => {
                                        tracing::debug!(%error, "A TLS handshake failed.");
                                        None
                                    }
                                    Err(_) => None,
                                }
                            }));
                        }
                        Err(error) => crate::serve::after_accept_error(error).await,
                    }
                }
                Some(done) = self.handshakes.next(), if !self.handshakes.is_empty() => {
                    if let Some(connection) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
