//! What reaches the OpenTelemetry layer, and the cost of a trace that is
//! not sampled.
//!
//! tracing-opentelemetry builds an OpenTelemetry span (a builder holding
//! every attribute, a span id, a sampling decision) for each `tracing`
//! span it is given, and only at the end finds that the trace was not
//! sampled. At a 10% sampling ratio, nine calls in ten paid for spans
//! nobody would see: a Book makes a dozen store and provider spans. So a
//! trace root (a call's `rpc` span, a callback, a reconciler poll, an
//! outbox delivery) settles its sampling decision as soon as it exists
//! ([`settle`]), an unsampled root is marked, and [`TracedSpans`] keeps
//! the spans beneath a marked root away from the OpenTelemetry layer. The
//! log layer still sees them all.
//!
//! Events (log lines) become span events only from WARN up: an info line
//! per call (the audit line among them) would be copied into every trace,
//! and is in the logs, under the same trace id, already.

use opentelemetry::trace::TraceContextExt;
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

/// The registry extension on a trace root whose trace is not sampled.
#[derive(Debug, Clone, Copy)]
struct Unsampled;

/// Decides `span`'s sampling now (the sampler runs when its OpenTelemetry
/// context is first asked for) and marks it when its trace is not
/// sampled, so no span beneath it reaches the OpenTelemetry layer. Returns
/// the span's OpenTelemetry context, empty when traces are off. Call on a
/// trace root after its links are added: a link is an input of the
/// sampler.
pub fn settle(span: &tracing::Span) -> opentelemetry::Context {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    // Invalid: no OpenTelemetry layer, nothing to save.
    if span_context.is_valid() && !span_context.is_sampled() {
        span.with_subscriber(|(id, dispatch)| {
            if let Some(data) = dispatch
                .downcast_ref::<Registry>()
                .and_then(|registry| registry.span_data(id))
            {
                use tracing_subscriber::registry::SpanData as _;
                data.extensions_mut().insert(Unsampled);
            }
        });
    }
    context
}

/// The per-layer filter of the OpenTelemetry layer: railgate's own spans
/// (info and up) outside unsampled traces, and its events from WARN up.
/// The libraries' spans (hyper, h2, sqlx) would multiply the volume
/// without naming anything an operator acts on.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracedSpans;

impl TracedSpans {
    fn by_metadata(metadata: &Metadata<'_>) -> bool {
        let floor = if metadata.is_span() {
            LevelFilter::INFO
        } else {
            LevelFilter::WARN
        };
        is_railgate(metadata.target()) && *metadata.level() <= floor
    }
}

fn is_railgate(target: &str) -> bool {
    target
        .strip_prefix("railgate")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

impl<S> Filter<S> for TracedSpans
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn enabled(&self, metadata: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        if !Self::by_metadata(metadata) {
            return false;
        }
        if !metadata.is_span() {
            return true;
        }
        // The nearest span this layer has: an unsampled root's children
        // are disabled here, so it is the root itself.
        cx.lookup_current()
            .is_none_or(|current| current.extensions().get::<Unsampled>().is_none())
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if !Self::by_metadata(metadata) {
            Interest::never()
        } else if metadata.is_span() {
            // Depends on the trace the span is in: asked for each.
            Interest::sometimes()
        } else {
            Interest::always()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;

    /// Counts the spans the OpenTelemetry layer's filter lets through.
    #[derive(Clone, Default)]
    struct SpansSeen(Arc<AtomicUsize>);

    impl<S: Subscriber> Layer<S> for SpansSeen {
        fn on_new_span(
            &self,
            _: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Makes a root, settles it and opens two generations of spans under
    /// it; returns how many spans the filtered layer saw.
    fn spans_seen_with(sampler: Sampler) -> usize {
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        let seen = SpansSeen::default();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("test"))
                    .with_filter(TracedSpans),
            )
            .with(seen.clone().with_filter(TracedSpans));
        tracing::subscriber::with_default(subscriber, || {
            let root = tracing::info_span!(target: "railgate::api", "rpc");
            settle(&root);
            root.in_scope(|| {
                let child = tracing::info_span!(target: "railgate::store", "store");
                child.in_scope(|| {
                    let _grandchild = tracing::info_span!(target: "railgate::store", "inner");
                });
            });
        });
        seen.0.load(Ordering::Relaxed)
    }

    #[test]
    fn an_unsampled_roots_descendants_are_not_traced() {
        assert_eq!(spans_seen_with(Sampler::AlwaysOff), 1);
    }

    #[test]
    fn a_sampled_roots_descendants_are_traced() {
        assert_eq!(spans_seen_with(Sampler::AlwaysOn), 3);
    }

    #[test]
    fn only_railgates_spans_and_warnings_are_traced() {
        assert!(is_railgate("railgate"));
        assert!(is_railgate("railgate::store"));
        assert!(!is_railgate("railgate_sim"));
        assert!(!is_railgate("sqlx::query"));
    }
}
