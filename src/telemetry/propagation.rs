//! W3C trace context across railgate's edges: read from a caller's gRPC
//! metadata, written into provider requests, kept with an order as its
//! `traceparent` and linked to from its callbacks.
//!
//! Works whether or not traces are exported: without the OpenTelemetry
//! layer, spans have no OpenTelemetry context, nothing is injected, and a
//! call's trace id is its caller's (or a fresh one), so log lines and the
//! audit line still carry an id to search by.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A call's trace id (32 lower-case hex digits), put in the gRPC request's
/// extensions by the RPC span layer for handlers that quote it (audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTrace(pub String);

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The trace context a caller sent (`traceparent`, `tracestate`); an empty
/// context when it sent none or a malformed one.
pub fn extract(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Writes `span`'s context into `headers` as `traceparent` (and
/// `tracestate`), so the next hop continues the trace. Nothing when the
/// span is not traced.
pub fn inject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    let context = span.context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// The trace id of `span` (its OpenTelemetry context), else of `parent`
/// (what the caller sent), else a fresh one: every call has an id to
/// quote.
pub fn trace_id(span: &Context, parent: &Context) -> String {
    [span, parent]
        .into_iter()
        .map(|context| context.span().span_context().trace_id())
        .find(|id| *id != TraceId::INVALID)
        .map(|id| id.to_string())
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// The current span's `traceparent` (empty when it is not traced), to keep
/// with what this call creates.
pub fn current_traceparent() -> String {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    if !span_context.is_valid() {
        return String::new();
    }
    format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8()
    )
}

/// Links the current span to the span `traceparent` names (a stored
/// [`current_traceparent`]); nothing for an empty or malformed one.
pub fn link_current_span(traceparent: &str) {
    if let Some(linked) = span_context(traceparent) {
        tracing::Span::current().add_link(linked);
    }
}

fn span_context(traceparent: &str) -> Option<SpanContext> {
    if traceparent.is_empty() {
        return None;
    }
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "traceparent",
        http::HeaderValue::from_str(traceparent).ok()?,
    );
    let context = extract(&headers);
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn headers(traceparent: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", traceparent.parse().unwrap());
        headers
    }

    #[test]
    fn a_callers_traceparent_gives_the_calls_trace_id() {
        let parent = extract(&headers(TRACEPARENT));
        // No OpenTelemetry layer here: the span has no context of its own.
        let id = trace_id(&Context::new(), &parent);
        assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn without_a_valid_traceparent_a_fresh_id_is_made() {
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-张三-00f067aa0ba902b7-01",
        ] {
            let parent = if bad.is_empty() {
                Context::new()
            } else {
                extract(&headers(bad))
            };
            let first = trace_id(&Context::new(), &parent);
            let second = trace_id(&Context::new(), &parent);
            assert_eq!(first.len(), 32, "{bad}");
            assert!(first.bytes().all(|byte| byte.is_ascii_hexdigit()));
            assert_ne!(first, second, "{bad}: a fresh id each time");
            assert_eq!(span_context(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_stored_traceparent_reads_back_as_a_remote_span_context() {
        let linked = span_context(TRACEPARENT).unwrap();
        assert_eq!(
            linked.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(linked.span_id().to_string(), "00f067aa0ba902b7");
        assert!(linked.is_sampled());
        assert!(linked.is_remote());
    }

    #[test]
    fn untraced_spans_inject_nothing_and_keep_no_traceparent() {
        let mut outgoing = http::HeaderMap::new();
        inject(&tracing::Span::none(), &mut outgoing);
        assert!(outgoing.is_empty());
        assert_eq!(current_traceparent(), "");
    }
}
