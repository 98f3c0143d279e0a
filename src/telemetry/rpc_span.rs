//! A server span per gRPC call, outermost on the gRPC server: named and
//! attributed as the OpenTelemetry RPC conventions say (`rpc.system`,
//! `rpc.service`, `rpc.method`, `rpc.grpc.status_code`), continuing the
//! caller's W3C `traceparent`. Calls refused by the auth layer are traced
//! too. The call's trace id is a field of the span, so every log line of
//! the call carries it, and goes to the handler as a [`CallTrace`].

use super::propagation::{self, CallTrace};
use futures_util::future::BoxFuture;
use std::task::{Context, Poll};
use tonic::body::Body;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Adds [`RpcSpanService`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcSpanLayer;

impl<S> tower::Layer<S> for RpcSpanLayer {
    type Service = RpcSpanService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcSpanService { inner }
    }
}

/// Runs every call inside its server span.
#[derive(Debug, Clone)]
pub struct RpcSpanService<S> {
    inner: S,
}

impl<S> tower::Service<http::Request<Body>> for RpcSpanService<S>
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

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // Names from railgate's own method table: a caller cannot mint one.
        let (service, method) = crate::metrics::method_of(request.uri().path());
        let span = tracing::info_span!(
            "rpc",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        // A span nothing records (no log line or trace wants it) needs no
        // trace id: the audit line, if any, reads the caller's itself.
        if !span.is_disabled() {
            let parent = propagation::extract(request.headers());
            // Fails only when traces are off (no OpenTelemetry layer).
            let _ = span.set_parent(parent.clone());
            let context = super::sampling::settle(&span);
            let trace_id = propagation::trace_id(&context, &parent);
            span.record("trace_id", trace_id.as_str());
            request.extensions_mut().insert(CallTrace(trace_id));
        }
        let answer = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        let recorded = span.clone();
        Box::pin(
            async move {
                let result = answer.await;
                // A transport error never reached a handler: gRPC UNKNOWN.
                let code = result.as_ref().map_or(2, crate::metrics::status_code);
                recorded.record("rpc.grpc.status_code", code);
                if is_server_error(code) {
                    recorded.record("otel.status_code", "ERROR");
                }
                result
            }
            .instrument(span),
        )
    }
}

/// Whether a server span with this gRPC code is in error: per the
/// OpenTelemetry gRPC conventions, only the codes that say the server
/// failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
/// UNAVAILABLE, DATA_LOSS); a caller's mistake (INVALID_ARGUMENT,
/// NOT_FOUND, ...) is not the server's error.
fn is_server_error(code: u8) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_failures_mark_its_span_in_error() {
        let errors: Vec<u8> = (0..=16).filter(|code| is_server_error(*code)).collect();
        assert_eq!(errors, [2, 4, 12, 13, 14, 15]);
    }
}
