//! The provider stack: limits on a fake transport under paused time, and
//! error classification over real loopback HTTP.

use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::time::Instant;

/// Limits whose search lane has all of them (the order lane keeps its
/// minimum of one), for the tests of one lane's layers.
fn limits(max_concurrency: usize, requests_per_second: u64) -> ProviderLimits {
    ProviderLimits {
        timeout: Duration::from_secs(5),
        max_concurrency,
        requests_per_second,
        search_share_percent: 100,
    }
}

fn request() -> reqwest::Request {
    reqwest::Request::new(
        reqwest::Method::POST,
        "http://provider.test/train/query".parse().unwrap(),
    )
}

/// A transport that answers after `delay`, recording how many calls were
/// in flight at most.
#[derive(Clone, Default)]
struct Recorder {
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl Recorder {
    fn transport(
        &self,
        delay: Duration,
    ) -> impl Service<
        reqwest::Request,
        Response = reqwest::Response,
        Error = BoxError,
        Future = impl Future<Output = Result<reqwest::Response, BoxError>> + Send + 'static,
    > + Send
    + 'static {
        let recorder = self.clone();
        tower::service_fn(move |_request: reqwest::Request| {
            let recorder = recorder.clone();
            async move {
                recorder.calls.fetch_add(1, Ordering::SeqCst);
                let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                recorder.peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                recorder.in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, BoxError>(reqwest::Response::from(axum::http::Response::new("{}")))
            }
        })
    }
}

async fn send_all(
    stack: &BoxCloneSyncService<reqwest::Request, reqwest::Response, BoxError>,
    count: usize,
) {
    let calls = (0..count).map(|_| stack.clone().oneshot(request()));
    for result in futures_util::future::join_all(calls).await {
        result.expect("call succeeds");
    }
}

#[tokio::test(start_paused = true)]
async fn no_more_calls_in_flight_than_the_limit() {
    let recorder = Recorder::default();
    let stack = layered(
        recorder.transport(Duration::from_millis(100)),
        limits(3, 1000),
        Lane::Search,
    );
    send_all(&stack, 20).await;
    assert_eq!(recorder.calls.load(Ordering::SeqCst), 20);
    assert_eq!(recorder.peak.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn calls_start_no_faster_than_the_rate() {
    let recorder = Recorder::default();
    let stack = layered(
        recorder.transport(Duration::ZERO),
        limits(100, 2),
        Lane::Search,
    );
    let started = Instant::now();
    send_all(&stack, 6).await;
    // Two per second: the 5th and 6th start in the third second. Paused
    // time makes this exact virtual time, not a wall-clock measurement.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[test]
fn the_lanes_split_the_quota_and_each_keeps_at_least_one_call() {
    let quota = ProviderLimits {
        timeout: Duration::from_secs(5),
        max_concurrency: 64,
        requests_per_second: 100,
        search_share_percent: DEFAULT_SEARCH_SHARE_PERCENT,
    };
    assert_eq!(quota.of(Lane::Search), (44, 70));
    assert_eq!(quota.of(Lane::Orders), (20, 30));
    let tiny = ProviderLimits {
        max_concurrency: 1,
        requests_per_second: 1,
        ..quota
    };
    assert_eq!(tiny.of(Lane::Search), (1, 1));
    assert_eq!(tiny.of(Lane::Orders), (1, 1));
    let over = ProviderLimits {
        search_share_percent: 250,
        ..quota
    };
    assert_eq!(over.of(Lane::Search), (64, 100));
    assert_eq!(over.of(Lane::Orders), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_search_flood_does_not_delay_an_order_call() {
    let searches = Recorder::default();
    let orders = Recorder::default();
    // 10 calls a second: 7 for searches, 3 for orders.
    let quota = ProviderLimits {
        timeout: Duration::from_secs(600),
        max_concurrency: 10,
        requests_per_second: 10,
        search_share_percent: DEFAULT_SEARCH_SHARE_PERCENT,
    };
    let stack = ProviderStack {
        metrics: None,
        provider: ProviderId::Panhe,
        limits: quota,
        search: layered(
            searches.transport(Duration::from_millis(10)),
            quota,
            Lane::Search,
        ),
        orders: layered(
            orders.transport(Duration::from_millis(10)),
            quota,
            Lane::Orders,
        ),
    };
    // 200 searches queue up: at 7 a second they take half a minute.
    let flood: Vec<_> = (0..200)
        .map(|_| {
            let stack = stack.clone();
            tokio::spawn(async move { stack.send(Lane::Search, request()).await })
        })
        .collect();
    tokio::task::yield_now().await;
    let started = Instant::now();
    stack
        .send(Lane::Orders, request())
        .await
        .expect("the order call");
    // Paused time: the order call's own 10 ms, not the searches' queue.
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    for search in flood {
        search
            .await
            .unwrap()
            .expect("every search is served in time");
    }
    assert_eq!(searches.calls.load(Ordering::SeqCst), 200);
    assert!(searches.peak.load(Ordering::SeqCst) <= 7);
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_is_a_timeout() {
    let recorder = Recorder::default();
    let limits = ProviderLimits {
        timeout: Duration::from_millis(50),
        ..limits(4, 100)
    };
    let stack = ProviderStack {
        metrics: None,
        provider: ProviderId::Panhe,
        limits,
        search: layered(
            recorder.transport(Duration::from_secs(60)),
            limits,
            Lane::Search,
        ),
        orders: layered(
            recorder.transport(Duration::from_secs(60)),
            limits,
            Lane::Orders,
        ),
    };
    let error = stack.send(Lane::Orders, request()).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::Timeout { timeout, .. } if timeout == Duration::from_millis(50)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    // Bind, learn the port, close: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let stack = build(ProviderId::Panhe, reqwest::Client::new(), limits(4, 100));
    let request = reqwest::Request::new(
        reqwest::Method::POST,
        format!("http://{addr}/train/query?key=secret-key-value")
            .parse()
            .unwrap(),
    );
    let error = stack.send(Lane::Orders, request).await.unwrap_err();
    match &error {
        ProviderError::Unreachable { sent, .. } => assert!(!sent, "{error:?}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
    let chain = crate::telemetry::ErrorChain(&error).to_string();
    assert!(
        !chain.contains("secret-key-value"),
        "URLs (and keys in them) stay out of errors: {chain}"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_call_may_have_been_sent() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Accept, read a little, hang up without answering.
        if let Ok((mut socket, _)) = listener.accept().await {
            use tokio::io::AsyncReadExt;
            let mut buffer = [0_u8; 64];
            let _ = socket.read(&mut buffer).await;
        }
    });
    let stack = build(ProviderId::Panhe, reqwest::Client::new(), limits(4, 100));
    let request = reqwest::Request::new(
        reqwest::Method::POST,
        format!("http://{addr}/train/createOrder").parse().unwrap(),
    );
    let error = stack.send(Lane::Orders, request).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::Unreachable { sent: true, .. }),
        "{error:?}"
    );
}
