//! TLS on the gRPC listener: a certificate and key from PEM files, an
//! optional client CA bundle (mTLS: every client must present a
//! certificate it signed), and reloading when any of the files changes.
//!
//! tonic's own `ServerTlsConfig` fixes the certificate at start, so a
//! certificate rotated by cert-manager or a remounted Kubernetes secret
//! would need a restart. railgate runs its own accept loop instead
//! ([`crate::grpc_incoming`]) and takes the acceptor of [`ServerTls`] for
//! each connection: a reload swaps it, so connections accepted after it
//! are served with the new certificate and open ones keep theirs.
//!
//! Files are polled (their bytes compared, not their modification times:
//! a Kubernetes secret volume swaps a symlink, which leaves the old
//! file's time as it was). A reload that fails (a half-written key, a
//! certificate that does not match it) keeps the old configuration and is
//! logged; the next poll tries again.

pub mod peer;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};

/// The files of a TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// CA certificates (PEM) client certificates must chain to; None: no
    /// client certificate is asked for.
    pub client_ca: Option<PathBuf>,
}

/// Why a TLS configuration cannot be built from its files.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file holds no PEM object of the kind needed.
    #[error("{path} holds no {what}")]
    Missing {
        /// The file.
        path: String,
        /// What was looked for.
        what: &'static str,
    },
    /// A PEM object does not parse.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// The parser's words (no key material).
        message: String,
    },
    /// rustls refuses the combination (a key that does not match the
    /// certificate, an unusable CA).
    #[error("{0}")]
    Rustls(String),
}

/// The current TLS acceptor of the gRPC listener, reloaded from its files.
pub struct ServerTls {
    files: TlsFiles,
    current: RwLock<Loaded>,
}

struct Loaded {
    fingerprint: [u8; 32],
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServerTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Loads `files`; an error names the file at fault.
    pub fn load(files: TlsFiles) -> Result<Self, TlsError> {
        let (fingerprint, contents) = read_all(&files)?;
        let acceptor = acceptor(&files, &contents)?;
        Ok(Self {
            files,
            current: RwLock::new(Loaded {
                fingerprint,
                acceptor,
            }),
        })
    }

    /// Whether clients must present a certificate.
    pub fn requires_client_certificates(&self) -> bool {
        self.files.client_ca.is_some()
    }

    /// The acceptor for the next connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .acceptor
            .clone()
    }

    /// Reads the files again and, if their bytes changed, swaps in the new
    /// configuration. `Ok(true)`: reloaded; `Ok(false)`: unchanged.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let (fingerprint, contents) = read_all(&self.files)?;
        if fingerprint == self.current_fingerprint() {
            return Ok(false);
        }
        let acceptor = acceptor(&self.files, &contents)?;
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *current = Loaded {
            fingerprint,
            acceptor,
        };
        Ok(true)
    }

    fn current_fingerprint(&self) -> [u8; 32] {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fingerprint
    }

    /// Polls the files every `interval` until `stopped`, logging reloads
    /// and failed attempts (which keep the configuration in force).
    pub async fn watch(
        self: Arc<Self>,
        interval: Duration,
        stopped: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stopped);
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        // The last failure, so a file that stays broken is logged once.
        let mut failing: Option<String> = None;
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = &mut stopped => return,
            }
            match self.reload_if_changed() {
                Ok(true) => {
                    failing = None;
                    tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                }
                Ok(false) => failing = None,
                Err(error) => {
                    let message = error.to_string();
                    if failing.as_deref() != Some(&message) {
                        tracing::warn!(error = %message, "TLS files changed but cannot be loaded; serving the previous certificate");
                        failing = Some(message);
                    }
                }
            }
        }
    }
}

/// The bytes of the cert, key and CA files (in that order), and a digest
/// of all three.
fn read_all(files: &TlsFiles) -> Result<([u8; 32], Vec<Vec<u8>>), TlsError> {
    let mut digest = Sha256::new();
    let mut contents = Vec::with_capacity(3);
    for path in [
        Some(&files.cert),
        Some(&files.key),
        files.client_ca.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        digest.update((bytes.len() as u64).to_be_bytes());
        digest.update(&bytes);
        contents.push(bytes);
    }
    Ok((digest.finalize().into(), contents))
}

fn acceptor(files: &TlsFiles, contents: &[Vec<u8>]) -> Result<TlsAcceptor, TlsError> {
    let chain = certificates(&files.cert, &contents[0])?;
    let key = private_key(&files.key, &contents[1])?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Rustls(error.to_string()))?;
    let builder = match (&files.client_ca, contents.get(2)) {
        (Some(path), Some(bytes)) => {
            let mut roots = RootCertStore::empty();
            for certificate in certificates(path, bytes)? {
                roots.add(certificate).map_err(|error| TlsError::Pem {
                    path: path.display().to_string(),
                    message: error.to_string(),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|error| TlsError::Rustls(error.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|error| TlsError::Rustls(format!("{}: {error}", files.key.display())))?;
    // gRPC is HTTP/2 only; a client that offers nothing else gets h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(path: &Path, bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let shown = || path.display().to_string();
    let chain = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Pem {
            path: shown(),
            message: error.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Missing {
            path: shown(),
            what: "PEM CERTIFICATE",
        });
    }
    Ok(chain)
}

fn private_key(path: &Path, bytes: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|error| match error {
        tokio_rustls::rustls::pki_types::pem::Error::NoItemsFound => TlsError::Missing {
            path: path.display().to_string(),
            what: "PEM private key",
        },
        // The error names the PEM section, never the key's bytes.
        other => TlsError::Pem {
            path: path.display().to_string(),
            message: other.to_string(),
        },
    })
}
