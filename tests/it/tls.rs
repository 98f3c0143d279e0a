//! TLS and mTLS on the gRPC listener, with real handshakes: certificates
//! made here with rcgen (a CA, server and client certificates), a rustls
//! client, a certificate rotated on disk and served without a restart, and
//! callers named by their client certificate.

use crate::auth::search_request;
use crate::support::{TestApp, details};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

/// A certificate authority of the test.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, PEM.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Authority {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `localhost`.
    pub fn server(&self) -> Issued {
        self.issue(CertificateParams::new(vec!["localhost".to_owned()]).unwrap())
    }

    /// A client certificate naming `uri` (a SPIFFE id).
    pub fn client(&self, uri: &str) -> Issued {
        let mut params = CertificateParams::default();
        params.subject_alt_names = vec![SanType::URI(uri.try_into().unwrap())];
        params.distinguished_name.push(DnType::CommonName, "client");
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> Issued {
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// Writes `contents` to `path` the way a secret volume changes: a new
/// file renamed over the old, so a reader never sees half of it.
pub fn replace(path: &Path, contents: &str) {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, contents).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// The server's files in `dir`: tls.crt, tls.key (and ca.crt for mTLS).
pub fn write_server_files(dir: &Path, server: &Issued) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    replace(&cert, &server.cert_pem);
    replace(&key, &server.key_pem);
    (cert, key)
}

/// A channel to `addr` over TLS, trusting `ca_pem`, presenting `client`
/// if given. Connects on first use.
pub fn tls_channel(addr: SocketAddr, ca_pem: &str, client: Option<&Issued>) -> Channel {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let mut config = match client {
        Some(client) => builder
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(client.cert_pem.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap(),
                PrivateKeyDer::from_pem_slice(client.key_pem.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    Endpoint::from_shared(format!("http://localhost:{}", addr.port()))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| {
            let connector = connector.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let name = ServerName::try_from("localhost").unwrap();
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
}

/// A call that failed at the transport: the TLS handshake (or the
/// connection after it) was refused, with the TLS alert `alert` if given.
fn assert_refused_by_tls(status: &tonic::Status, alert: Option<&str>) {
    assert!(
        matches!(status.code(), Code::Unavailable | Code::Unknown),
        "{status:?}"
    );
    let shown = format!("{status:?}");
    assert!(shown.contains("transport::Error"), "{shown}");
    if let Some(alert) = alert {
        assert!(shown.contains(alert), "expected {alert}: {shown}");
    }
}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .map(|answer| answer.into_inner().status)
}

#[tokio::test]
async fn tls_serves_grpc_and_a_rotated_certificate_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = Authority::new("first CA");
    let (cert, key) = write_server_files(dir.path(), &first.server());
    let app = TestApp::spawn_with(|config| {
        config.tls.cert_file = Some(cert.clone());
        config.tls.key_file = Some(key.clone());
        config.tls.reload_interval_ms = 100;
    })
    .await;

    let trusting_first = tls_channel(app.grpc_addr, &first.pem(), None);
    let answer = BookingServiceClient::new(trusting_first.clone())
        .search(search_request())
        .await
        .expect("a search over TLS");
    assert!(!answer.into_inner().trains.is_empty());
    assert_eq!(health(trusting_first).await.unwrap(), 1, "SERVING");
    // Plaintext to a TLS listener gets nowhere.
    let plain = BookingServiceClient::new(app.channel.clone())
        .search(search_request())
        .await
        .unwrap_err();
    assert_refused_by_tls(&plain, None);

    // cert-manager renews from another CA: the new certificate is served
    // to new connections, with no restart.
    let second = Authority::new("second CA");
    write_server_files(dir.path(), &second.server());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if health(tls_channel(app.grpc_addr, &second.pem(), None))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rotated certificate was not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stale = health(tls_channel(app.grpc_addr, &first.pem(), None))
        .await
        .unwrap_err();
    assert_refused_by_tls(&stale, Some("UnknownIssuer"));

    // A broken write (a key that does not parse) keeps the good one.
    replace(
        &key,
        "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        health(tls_channel(app.grpc_addr, &second.pem(), None))
            .await
            .is_ok()
    );
    app.stop().await.unwrap();
}

/// railgate serving mTLS with the files in `dir` (tls.crt, tls.key and
/// ca.crt, as [`write_mtls_files`] leaves them) and the clients file
/// `clients`, callers named by their certificates.
pub async fn mtls_app(dir: &Path, clients: PathBuf) -> TestApp {
    let (cert, key, ca) = (dir.join("tls.crt"), dir.join("tls.key"), dir.join("ca.crt"));
    TestApp::spawn_with(|config| {
        config.tls.cert_file = Some(cert);
        config.tls.key_file = Some(key);
        config.tls.client_ca_file = Some(ca);
        config.auth.mode = Some(railgate::config::AuthMode::Mtls);
        config.auth.clients_file = Some(clients);
    })
    .await
}

/// The server's files for mTLS in `dir`, all from `authority`.
pub fn write_mtls_files(dir: &Path, authority: &Authority) {
    write_server_files(dir, &authority.server());
    replace(&dir.join("ca.crt"), &authority.pem());
}

/// A Confirm of an order nobody has, as a caller without `pay` sends it:
/// refused for the scope before the order is looked for.
pub async fn assert_may_not_pay<T>(client: &mut BookingServiceClient<T>)
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let status = client
        .confirm(pb::ConfirmRequest {
            idempotency_key: "no-pay-confirm".into(),
            order_id: "ord_0190f5d2000070008000000000000000".into(),
            expected_amount_fen: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "MISSING_SCOPE"
    );
}

fn clients_file(dir: &Path) -> PathBuf {
    let path = dir.join("clients.toml");
    std::fs::write(
        &path,
        "[[client]]\nid = \"spiffe://railgate.test/ns/shop/sa/checkout\"\n\
         scopes = [\"search\", \"book\"]\n",
    )
    .unwrap();
    path
}

#[tokio::test]
async fn mtls_names_the_caller_by_its_certificate_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let authority = Authority::new("mesh CA");
    write_mtls_files(dir.path(), &authority);
    let app = mtls_app(dir.path(), clients_file(dir.path())).await;
    let checkout = authority.client("spiffe://railgate.test/ns/shop/sa/checkout");
    let mut client = BookingServiceClient::new(tls_channel(
        app.grpc_addr,
        &authority.pem(),
        Some(&checkout),
    ));
    client
        .search(search_request())
        .await
        .expect("the checkout searches");
    // Its certificate grants search and book, not pay.
    assert_may_not_pay(&mut client).await;

    // No client certificate: the handshake is refused.
    let anonymous = BookingServiceClient::new(tls_channel(app.grpc_addr, &authority.pem(), None))
        .search(search_request())
        .await
        .unwrap_err();
    assert_refused_by_tls(&anonymous, Some("CertificateRequired"));
    // A certificate of another CA: refused too.
    let outsider = Authority::new("other CA").client("spiffe://railgate.test/ns/shop/sa/checkout");
    let foreign = BookingServiceClient::new(tls_channel(
        app.grpc_addr,
        &authority.pem(),
        Some(&outsider),
    ))
    .search(search_request())
    .await
    .unwrap_err();
    assert_refused_by_tls(&foreign, None);
    // A good certificate naming a caller the clients file does not list.
    let stranger = authority.client("spiffe://railgate.test/ns/shop/sa/stranger");
    let unknown = BookingServiceClient::new(tls_channel(
        app.grpc_addr,
        &authority.pem(),
        Some(&stranger),
    ))
    .search(search_request())
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), Code::Unauthenticated, "{unknown:?}");
    app.stop().await.unwrap();
}
