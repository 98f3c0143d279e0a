//! Logs and traces. Structured `tracing` events, as text for people or
//! JSON for log pipelines; with an OTLP endpoint configured, railgate's
//! spans are also exported as OpenTelemetry traces ([`otel`]). Fields
//! never carry personal data: see `privacy`.

pub mod otel;
mod propagation;
mod rpc_span;
mod sampling;

pub use propagation::{
    CallTrace, current_traceparent, extract, inject, link_current_span, trace_id,
};
pub use rpc_span::RpcSpanLayer;
pub use sampling::settle as settle_sampling;

use crate::config::{LogConfig, LogFormat, TelemetryConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::error::Error;
use std::fmt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output: the server's and the simulators' logs.
    Stdout,
    /// Standard error: for commands whose output is a report (`railgate
    /// bench ... --json`), so the report stays machine-readable.
    Stderr,
}

/// Keeps the trace pipeline of [`init`]; [`Telemetry::shutdown`] exports
/// what is still batched.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes and stops the exporter (a no-op when traces are off). Runs
    /// on a blocking thread: the SDK waits for the batch task, which runs
    /// on this runtime's workers.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let stopped = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(error)) = stopped {
                tracing::warn!(error = %error, "traces: the exporter did not shut down cleanly");
            }
        }
    }
}

/// Installs the global subscriber: log lines, and railgate's spans to the
/// OTLP collector when `telemetry` names one. Call once per process, inside
/// the tokio runtime; a second call (e.g. from tests) leaves the first in
/// place and exports nothing.
pub fn init(
    log: &LogConfig,
    telemetry: &TelemetryConfig,
    target: LogTarget,
) -> Result<Telemetry, otel::PipelineError> {
    init_with(log, telemetry, target, None)
}

/// A layer a tool adds beside railgate's own (the benchmark's statement
/// counter); it filters for itself.
pub type ExtraLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

/// [`init`], with `extra` seeing every span and event first.
pub fn init_with(
    log: &LogConfig,
    telemetry: &TelemetryConfig,
    target: LogTarget,
    extra: Option<ExtraLayer>,
) -> Result<Telemetry, otel::PipelineError> {
    if tracing::dispatcher::has_been_set() {
        return Ok(Telemetry::default());
    }
    let provider = telemetry
        .traces_endpoint()
        .map(|endpoint| otel::provider(telemetry, endpoint))
        .transpose()?;
    let filter = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = move || -> Box<dyn std::io::Write> {
        match target {
            LogTarget::Stdout => Box::new(std::io::stdout()),
            LogTarget::Stderr => Box::new(std::io::stderr()),
        }
    };
    let lines = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_writer(writer);
    // Each JSON line lists the fields of the spans it is in, so a call's
    // lines carry the `trace_id` of its `rpc` span.
    let lines = match log.format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines.json().flatten_event(true).boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(extra)
        .with(lines.with_filter(filter))
        .with(provider.as_ref().map(otel::layer))
        .try_init();
    match (installed, provider) {
        (Ok(()), Some(provider)) => {
            tracing::info!(
                endpoint = telemetry.traces_endpoint().unwrap_or_default(),
                sampler = ?telemetry.sampler,
                ratio = telemetry.sampler_ratio,
                "exporting traces over OTLP"
            );
            Ok(Telemetry {
                provider: Some(provider),
            })
        }
        // Traces off, or another subscriber won a race to be installed
        // (then its spans are not ours to export).
        _ => Ok(Telemetry::default()),
    }
}

/// Displays an error with every `source()` behind it, for the one log line
/// an internal error gets at the edge.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chains_sources() {
        let error = Outer(std::io::Error::other("inner"));
        assert_eq!(ErrorChain(&error).to_string(), "outer: inner");
    }
}
