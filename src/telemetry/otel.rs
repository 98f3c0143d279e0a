//! The OpenTelemetry trace pipeline: railgate's `tracing` spans become
//! OpenTelemetry spans (tracing-opentelemetry), batched and exported over
//! OTLP/gRPC to the configured collector.
//!
//! What reaches the exporter is decided in [`super::sampling`]: railgate's
//! own spans, none beneath an unsampled root, and its warnings.

use crate::config::{SamplerKind, TelemetryConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::time::Duration;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// Why the trace pipeline could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot export traces to {endpoint}")]
pub struct PipelineError {
    endpoint: String,
    #[source]
    source: opentelemetry_otlp::ExporterBuildError,
}

/// A tracer provider exporting to `endpoint` with the sampler and
/// resource of `config`. Must be called inside a tokio runtime: the batch
/// processor is a task of it (the exporter is tonic, which needs the
/// runtime's reactor).
pub fn provider(
    config: &TelemetryConfig,
    endpoint: &str,
) -> Result<SdkTracerProvider, PipelineError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_millis(config.export_timeout_ms))
        .build()
        .map_err(|source| PipelineError {
            endpoint: endpoint.to_owned(),
            source,
        })?;
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(sampler(config))
        .with_resource(resource(config))
        .build())
}

/// The layer that hands railgate's spans to `provider`.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("railgate"))
        // Code locations and thread ids are noise in a trace view, and
        // cost an attribute per span.
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(super::sampling::TracedSpans)
}

fn sampler(config: &TelemetryConfig) -> Sampler {
    let ratio = Sampler::TraceIdRatioBased(config.sampler_ratio);
    match config.sampler {
        SamplerKind::AlwaysOn => Sampler::AlwaysOn,
        SamplerKind::AlwaysOff => Sampler::AlwaysOff,
        SamplerKind::TraceIdRatio => ratio,
        SamplerKind::ParentbasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        SamplerKind::ParentbasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        SamplerKind::ParentbasedTraceIdRatio => Sampler::ParentBased(Box::new(ratio)),
    }
}

fn resource(config: &TelemetryConfig) -> Resource {
    Resource::builder_empty()
        .with_service_name(config.service_name.clone())
        .with_attributes([KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))])
        .with_attributes(
            config
                .resource_attributes
                .iter()
                .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
        )
        .build()
}
