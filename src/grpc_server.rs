//! The gRPC server: railgate's services behind the auth layer, over TLS
//! when configured, within the listener's limits.

use crate::api::{self, ApiState};
use crate::app::AppError;
use crate::auth::admission::Admission;
use crate::auth::layer::{AuthLayer, Authenticator};
use crate::config::Config;
use crate::proto;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often idle callers' rate buckets are forgotten.
const FORGET_IDLE_CALLERS: Duration = Duration::from_secs(60);

/// Sets up authentication, TLS and limits, and returns the server, to be
/// awaited; it stops accepting when `stopped()` completes, then drains.
pub async fn start<S, F>(
    state: Arc<ApiState>,
    listener: TcpListener,
    config: &Config,
    metrics: crate::metrics::Metrics,
    stopped: &S,
) -> Result<impl Future<Output = Result<(), AppError>> + use<S, F>, AppError>
where
    S: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let authenticator = config.auth.authenticator().await?;
    announce(&authenticator);
    if let Authenticator::Jwt(verifier) = &authenticator {
        tokio::spawn(verifier.clone().refresh_forever(stopped()));
    }
    let tls = config.tls.load()?.map(Arc::new);
    match &tls {
        Some(tls) => {
            tracing::info!(
                client_certificates = tls.requires_client_certificates(),
                "gRPC listener serves TLS"
            );
            tokio::spawn(tls.clone().watch(config.tls.reload_interval(), stopped()));
        }
        None => tracing::info!("gRPC listener is plaintext (no tls.cert_file)"),
    }
    let limits = &config.limits;
    let admission = Arc::new(Admission::new(
        authenticator.own_rates(),
        limits.caller_rate(),
        limits.max_in_flight,
    ));
    tokio::spawn(forget_idle_callers(admission.clone(), stopped()));
    let server = &config.server;
    let keepalive = Duration::from_millis(server.grpc_keepalive_interval_ms);
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let max_message = limits.max_message_bytes;
    let admin = api::admin_service(state.clone()).max_decoding_message_size(max_message);
    let (booking, account) = api::services(state);
    let booking = booking.max_decoding_message_size(max_message);
    let account = account.max_decoding_message_size(max_message);
    health_reporter.set_serving::<proto::booking_service_server::BookingServiceServer<api::booking::BookingApi>>().await;
    health_reporter.set_serving::<proto::account_service_server::AccountServiceServer<api::account::AccountApi>>().await;
    health_reporter
        .set_serving::<proto::admin_service_server::AdminServiceServer<api::admin::AdminApi>>()
        .await;
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let stop = stopped();
    let shutdown = async move {
        stop.await;
        // Tell load balancers before the listener closes.
        health_reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
    };
    let mut builder = tonic::transport::Server::builder()
        // A handler's answer (a stream's first message) within this; a
        // client's shorter grpc-timeout still applies.
        .timeout(Duration::from_millis(server.grpc_request_timeout_ms))
        // Dead peers are found and their connections closed.
        .http2_keepalive_interval(Some(keepalive))
        .http2_keepalive_timeout(Some((keepalive / 3).min(Duration::from_secs(10))))
        .max_concurrent_streams(limits.max_concurrent_streams);
    if limits.max_connection_age_secs > 0 {
        // GOAWAY after the age: clients reconnect, and a Kubernetes
        // Service (which balances connections, not calls) spreads them
        // over the pods again.
        builder = builder
            .max_connection_age(Duration::from_secs(limits.max_connection_age_secs))
            .max_connection_age_grace(Duration::from_secs(limits.max_connection_age_grace_secs));
    }
    let router = builder
        // A server span per call, continuing the caller's traceparent.
        .layer(crate::telemetry::RpcSpanLayer)
        // Every call timed and counted, refused ones included.
        .layer(crate::metrics::MetricsLayer::new(metrics.clone()))
        // Who is calling, may they, and is there room: before any service.
        .layer(AuthLayer::new(authenticator, admission, metrics))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(booking)
        .add_service(account)
        .add_service(admin);
    let incoming = crate::grpc_incoming::incoming(
        listener,
        Duration::from_millis(server.grpc_handshake_timeout_ms),
        tls,
    );
    Ok(async move {
        router
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await?;
        Ok(())
    })
}

fn announce(authenticator: &Authenticator) {
    match authenticator {
        Authenticator::None => tracing::warn!(
            "auth.mode is none: any process that reaches the gRPC port may search, book, pay, \
             refund and read every order (set auth.mode in production)"
        ),
        Authenticator::Tokens(table) => {
            tracing::info!(
                clients = table.len(),
                "callers authenticate with bearer tokens"
            )
        }
        Authenticator::Jwt(verifier) => {
            tracing::info!(
                keys = verifier.key_count(),
                "callers authenticate with JWTs"
            )
        }
        Authenticator::Certificates(table) => tracing::info!(
            clients = table.len(),
            "callers authenticate with client certificates"
        ),
    }
}

async fn forget_idle_callers(admission: Arc<Admission>, stopped: impl Future<Output = ()>) {
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = tokio::time::sleep(FORGET_IDLE_CALLERS) => admission.forget_idle_callers(),
            () = &mut stopped => return,
        }
    }
}

/// Reflection over railgate's API, health, and both reflection versions, so
/// clients of either version (grpcurl 1.8 speaks v1alpha) list everything.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc error details, so grpcurl can show ErrorInfo and
        // BadRequest of a failed call.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}
