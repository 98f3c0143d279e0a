//! The RPC instruments: a tower layer outermost on the gRPC server that
//! times every call, counts those in flight and labels each by service,
//! method and gRPC status code.
//!
//! The code is read from the answer's headers: a refused or failed unary
//! call answers trailers-only with `grpc-status` in its headers; an answer
//! without it is one whose status follows in trailers, which for railgate's
//! unary handlers is OK (their message is already encoded). The duration
//! runs until the headers, which for unary calls is the handler's time
//! and for WatchOrder the time to open the stream.

use super::{Metrics, RpcLabels};
use futures_util::future::BoxFuture;
use prost::Message;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::body::Body;

/// Methods railgate serves, by HTTP/2 path, from the descriptor sets it
/// serves by reflection; any other path is labelled `unknown`, so a
/// caller cannot mint label values.
fn known_methods() -> &'static HashMap<String, (&'static str, &'static str)> {
    static METHODS: OnceLock<HashMap<String, (&'static str, &'static str)>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let mut methods = HashMap::new();
        for set in [
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let name = format!("{package}.{}", service.name.unwrap_or_default());
                    // Leaked once per method at start: a bounded, fixed set.
                    let service_name: &'static str = Box::leak(name.clone().into_boxed_str());
                    for method in service.method {
                        let method = method.name.unwrap_or_default();
                        let path = format!("/{name}/{method}");
                        let method: &'static str = Box::leak(method.into_boxed_str());
                        methods.insert(path, (service_name, method));
                    }
                }
            }
        }
        methods
    })
}

/// The labels of a call to `path`: its service and method.
pub(crate) fn method_of(path: &str) -> (&'static str, &'static str) {
    known_methods()
        .get(path)
        .copied()
        .unwrap_or(("unknown", "unknown"))
}

/// Adds [`MetricsService`] around a service.
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    metrics: Metrics,
}

impl MetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        // Built now, not on the first call.
        known_methods();
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// Times and counts every call.
#[derive(Debug, Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S> tower::Service<http::Request<Body>> for MetricsService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let (rpc_service, rpc_method) = method_of(request.uri().path());
        let metrics = self.metrics.clone();
        let started = Instant::now();
        metrics.rpc_in_flight().inc();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            metrics.rpc_in_flight().dec();
            // A transport error never reached a handler: gRPC UNKNOWN.
            let code = result.as_ref().map_or(2, status_code);
            metrics.rpc_finished(
                RpcLabels {
                    rpc_service,
                    rpc_method,
                    rpc_grpc_status_code: code,
                },
                started.elapsed().as_secs_f64(),
            );
            result
        })
    }
}

/// The gRPC status code of an answer's headers; 0 when it comes later.
pub(crate) fn status_code(response: &http::Response<Body>) -> u8 {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_method_has_its_labels_and_anything_else_is_unknown() {
        assert_eq!(
            method_of("/railgate.v1.BookingService/Search"),
            ("railgate.v1.BookingService", "Search")
        );
        assert_eq!(
            method_of("/railgate.v1.AdminService/ReplayNotification"),
            ("railgate.v1.AdminService", "ReplayNotification")
        );
        assert_eq!(
            method_of("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(
            method_of("/railgate.v1.BookingService/Search2"),
            ("unknown", "unknown")
        );
        assert_eq!(method_of("/张三/13800138000"), ("unknown", "unknown"));
    }
}
