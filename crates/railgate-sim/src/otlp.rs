//! A stand-in OpenTelemetry collector: the OTLP/gRPC trace service
//! (`opentelemetry.proto.collector.trace.v1.TraceService/Export`) that
//! keeps what it receives, so a test can read the spans a real exporter
//! sent over a real connection, and a benchmark can give its exporter a
//! collector that costs little.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

pub use opentelemetry_proto::tonic::trace::v1::Span;

/// One received span with its resource's attributes.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// The resource's attributes (`service.name`, ...), as text.
    pub resource: Vec<(String, String)>,
    /// The span as exported.
    pub span: Span,
}

impl ReceivedSpan {
    /// The trace id, as 32 lower-case hex digits.
    pub fn trace_id(&self) -> String {
        hex::encode(&self.span.trace_id)
    }

    /// The span id, as 16 lower-case hex digits.
    pub fn span_id(&self) -> String {
        hex::encode(&self.span.span_id)
    }

    /// The parent's span id (empty for a root span).
    pub fn parent_span_id(&self) -> String {
        hex::encode(&self.span.parent_span_id)
    }

    /// The attribute `key` as text, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<String> {
        find(&self.span.attributes, key)
    }

    /// Every attribute as `(key, text)`.
    pub fn attributes(&self) -> Vec<(String, String)> {
        self.span
            .attributes
            .iter()
            .map(|pair| (pair.key.clone(), text(pair.value.as_ref())))
            .collect()
    }

    /// The (trace id, span id) of each link, as hex.
    pub fn links(&self) -> Vec<(String, String)> {
        self.span
            .links
            .iter()
            .map(|link| (hex::encode(&link.trace_id), hex::encode(&link.span_id)))
            .collect()
    }
}

fn find(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|pair| pair.key == key)
        .map(|pair| text(pair.value.as_ref()))
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        Some(any_value::Value::DoubleValue(number)) => number.to_string(),
        Some(any_value::Value::BoolValue(flag)) => flag.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// What the collector has received. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    /// When set, spans are counted, not kept (the benchmark's collector).
    count_only: bool,
    counted: Arc<AtomicU64>,
}

impl Collector {
    /// A collector that keeps every span.
    pub fn keeping() -> Self {
        Self::default()
    }

    /// A collector that only counts spans: memory stays flat under load.
    pub fn counting() -> Self {
        Self {
            count_only: true,
            ..Self::default()
        }
    }

    /// Every span received so far, oldest first.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many spans were received.
    pub fn span_count(&self) -> u64 {
        self.counted.load(Ordering::Relaxed)
    }

    /// Serves OTLP/gRPC on `listener` until `stopped` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        stopped: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), tonic::transport::Error> {
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self))
            .serve_with_incoming_shutdown(incoming, stopped)
            .await
    }

    /// Binds `127.0.0.1:0`, serves there in a task, and returns the
    /// address and the collector.
    pub async fn spawn(self) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(self.serve(listener, std::future::pending()));
        Ok(address)
    }
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let resource: Vec<(String, String)> = resource_spans
                .resource
                .map(|resource| {
                    resource
                        .attributes
                        .iter()
                        .map(|pair| (pair.key.clone(), text(pair.value.as_ref())))
                        .collect()
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    received.push(ReceivedSpan {
                        resource: resource.clone(),
                        span,
                    });
                }
            }
        }
        self.counted
            .fetch_add(received.len() as u64, Ordering::Relaxed);
        if !self.count_only {
            self.spans
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(received);
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}
