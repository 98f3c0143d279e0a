//! OpenTelemetry traces from a real `railgate serve` process to a real
//! OTLP/gRPC collector (the stand-in of `railgate_sim::otlp`, in this
//! process), with Panhe simulated in this process too so the test sees the
//! `traceparent` each provider request carried. One Book → Confirm →
//! ISSUED: a server span per RPC continuing the caller's trace, provider
//! client spans beneath them, the callback's span linked to the Book's
//! trace, the trace id in the call's log lines, and no personal data in
//! any exported attribute.

use crate::booking::{book_request, offer_via, wait_for_via};
use crate::process::{Railgate, external_panhe};
use axum::extract::Request;
use axum::middleware::Next;
use railgate::proto as pb;
use railgate_sim::otlp::{Collector, ReceivedSpan};
use railgate_sim::panhe::{self, PanheSimConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOOK_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const BOOK_PARENT: &str = "00f067aa0ba902b7";
const CONFIRM_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
/// A caller's trace it chose not to sample (flags 00).
const UNSAMPLED_TRACE: &str = "5e2d5a1c7a3b4e6f8091a2b3c4d5e6f7";

/// Panhe on loopback in this process, recording the path and
/// `traceparent` of every request it receives.
async fn recording_panhe() -> (SocketAddr, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (router, _sim) = panhe::router_with_state(PanheSimConfig {
        clock_scale: 60.0,
        ..PanheSimConfig::default()
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let recorded = recorded.clone();
            async move {
                let traceparent = request
                    .headers()
                    .get("traceparent")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                recorded
                    .lock()
                    .unwrap()
                    .push((request.uri().path().to_owned(), traceparent));
                next.run(request).await
            }
        },
    ));
    tokio::spawn(panhe::serve_router(
        listener,
        router,
        std::future::pending(),
    ));
    (address, seen)
}

fn traced<T>(message: T, trace: &str) -> tonic::Request<T> {
    with_traceparent(message, trace, "01")
}

fn with_traceparent<T>(message: T, trace: &str, flags: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace}-{BOOK_PARENT}-{flags}").parse().unwrap(),
    );
    request
}

/// Waits until `found` holds for the collected spans.
async fn spans_until(
    collector: &Collector,
    what: &str,
    found: impl Fn(&[ReceivedSpan]) -> bool,
) -> Vec<ReceivedSpan> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = collector.spans();
        if found(&spans) {
            return spans;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; spans: {:#?}",
            spans
                .iter()
                .map(|span| (&span.span.name, span.trace_id()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rpc_span<'a>(spans: &'a [ReceivedSpan], method: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|span| span.attribute("rpc.method").as_deref() == Some(method))
        .unwrap_or_else(|| panic!("no server span for {method}"))
}

/// Whether `span` descends from the span `ancestor` within `spans`.
fn descends_from(spans: &[ReceivedSpan], span: &ReceivedSpan, ancestor: &str) -> bool {
    let by_id: HashMap<String, &ReceivedSpan> =
        spans.iter().map(|span| (span.span_id(), span)).collect();
    let mut parent = span.parent_span_id();
    for _ in 0..16 {
        if parent == ancestor {
            return true;
        }
        match by_id.get(&parent) {
            Some(next) => parent = next.parent_span_id(),
            None => return false,
        }
    }
    false
}

#[tokio::test]
async fn a_booking_is_one_trace_from_the_callers_book_to_the_providers_callback() {
    let collector = Collector::keeping();
    let collector_addr = collector.clone().spawn().await.unwrap();
    let (panhe_addr, panhe_requests) = recording_panhe().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let endpoint = format!("http://{collector_addr}");
    let panhe_url = format!("http://{panhe_addr}");
    let mut env = external_panhe(&panhe_url).to_vec();
    env.extend([
        ("RAILGATE_DATA_DIR", data_dir.to_str().unwrap()),
        (
            "RAILGATE_CALLBACK_SECRET",
            "traces-test-callback-secret-0123",
        ),
        // The callback brings ISSUED, not the reconciler.
        ("RAILGATE_RECONCILE_INTERVAL_MS", "600000"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "railgate-under-test"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
        // The SDK's batch delay: spans arrive within the test's patience.
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ]);
    let railgate = Railgate::start(&env).await;
    let mut client = railgate.booking().await;
    let offer = offer_via(&mut client, 3).await;
    let booked = client
        .book(traced(
            book_request("traces-book", &offer.offer_id),
            BOOK_TRACE,
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = wait_for_via(&mut client, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    // parentbased: the caller's "not sampled" is followed.
    client
        .get_order(with_traceparent(
            pb::GetOrderRequest {
                order_id: booked.order_id.clone(),
            },
            UNSAMPLED_TRACE,
            "00",
        ))
        .await
        .unwrap();
    client
        .confirm(traced(
            pb::ConfirmRequest {
                idempotency_key: "traces-confirm".into(),
                order_id: booked.order_id.clone(),
                expected_amount_fen: held.total_amount_fen,
            },
            CONFIRM_TRACE,
        ))
        .await
        .unwrap();
    wait_for_via(&mut client, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await;

    let spans = spans_until(&collector, "the callback's span", |spans| {
        spans
            .iter()
            .any(|span| span.span.name.starts_with("callback panhe"))
            && spans.iter().any(|span| span.trace_id() == CONFIRM_TRACE)
    })
    .await;

    // A server span per RPC, by the RPC conventions, continuing the caller.
    let book = rpc_span(&spans, "Book");
    assert_eq!(book.span.name, "railgate.v1.BookingService/Book");
    assert_eq!(book.trace_id(), BOOK_TRACE);
    assert_eq!(book.parent_span_id(), BOOK_PARENT);
    assert_eq!(book.span.kind, 2, "SPAN_KIND_SERVER");
    assert_eq!(book.attribute("rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        book.attribute("rpc.service").as_deref(),
        Some("railgate.v1.BookingService")
    );
    assert_eq!(book.attribute("rpc.grpc.status_code").as_deref(), Some("0"));
    let confirm = rpc_span(&spans, "Confirm");
    assert_eq!(confirm.trace_id(), CONFIRM_TRACE);
    assert!(
        book.resource
            .contains(&("service.name".into(), "railgate-under-test".into()))
    );
    assert!(
        book.resource
            .contains(&("deployment.environment".into(), "test".into()))
    );

    // Provider calls are client spans beneath the RPC that made them, and
    // Panhe received each one's traceparent.
    let provider_spans: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|span| {
            span.attribute("provider").as_deref() == Some("panhe") && span.span.kind == 3
        })
        .collect();
    let book_calls: Vec<&&ReceivedSpan> = provider_spans
        .iter()
        .filter(|span| span.trace_id() == BOOK_TRACE)
        .collect();
    assert!(
        !book_calls.is_empty(),
        "no provider span in the Book's trace"
    );
    let seen = panhe_requests.lock().unwrap().clone();
    for call in &book_calls {
        assert!(
            descends_from(&spans, call, &book.span_id()),
            "{} is not beneath Book",
            call.span.name
        );
        let operation = call.attribute("provider.operation").unwrap();
        let expected = format!("00-{BOOK_TRACE}-{}-01", call.span_id());
        assert!(
            seen.contains(&(operation.clone(), expected.clone())),
            "Panhe did not receive {expected} on {operation}: {seen:?}"
        );
        assert_eq!(call.attribute("outcome").as_deref(), Some("ok"));
        assert_eq!(
            call.attribute("http.response.status_code").as_deref(),
            Some("200")
        );
    }
    assert!(
        provider_spans
            .iter()
            .any(|span| span.trace_id() == CONFIRM_TRACE),
        "no provider span in the Confirm's trace"
    );

    // Store operations are spans of the calls that made them.
    assert!(spans.iter().any(|span| {
        span.trace_id() == BOOK_TRACE
            && span.attribute("db.system.name").as_deref() == Some("sqlite")
            && span.span.name == "store insert_order"
    }));

    // Nothing of the trace its caller did not sample (its spans would have
    // been in an earlier batch than the Confirm's).
    assert!(!spans.iter().any(|span| span.trace_id() == UNSAMPLED_TRACE));

    // The callback is a trace of its own, linked to the Book's.
    let callback = spans
        .iter()
        .find(|span| {
            span.span.name.starts_with("callback panhe")
                && span.links().iter().any(|(trace, _)| trace == BOOK_TRACE)
        })
        .expect("a callback span linked to the Book's trace");
    assert_ne!(callback.trace_id(), BOOK_TRACE);
    assert_eq!(callback.span.kind, 2, "SPAN_KIND_SERVER");

    // The trace id is in the call's JSON log lines (its span's field).
    let logs = railgate.logs();
    let book_audit = logs
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["target"] == "railgate::audit" && line["rpc"] == "Book")
        .expect("the Book's audit line");
    assert_eq!(book_audit["trace_id"], BOOK_TRACE);
    assert_eq!(book_audit["span"]["trace_id"], BOOK_TRACE);

    // No personal data in any exported attribute or name.
    let exported = format!(
        "{:?}",
        spans
            .iter()
            .map(|span| (&span.span.name, span.attributes(), &span.span.events))
            .collect::<Vec<_>>()
    );
    for personal in [
        "张三",
        "李四",
        "11010519491231002X",
        "440524188001010014",
        "13800138000",
        "sandbox-password",
    ] {
        assert!(!exported.contains(personal), "{personal} was exported");
    }
    railgate.kill();
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported_and_log_lines_still_carry_the_trace_id() {
    let railgate = Railgate::start(&[]).await;
    let mut client = railgate.booking().await;
    let offer = offer_via(&mut client, 3).await;
    client
        .book(traced(
            book_request("traces-off-book", &offer.offer_id),
            BOOK_TRACE,
        ))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let audit = loop {
        let found = railgate
            .logs()
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|line| line["target"] == "railgate::audit");
        if let Some(line) = found {
            break line;
        }
        assert!(Instant::now() < deadline, "no audit line");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(audit["trace_id"], BOOK_TRACE);
    assert_eq!(audit["span"]["trace_id"], BOOK_TRACE);
    assert!(
        !railgate
            .logs()
            .iter()
            .any(|line| line.contains("exporting traces")),
        "traces are off without an endpoint"
    );
    railgate.kill();
}
