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
    // Any configured rate splits without overflowing (config_toml fuzz
    // target): 70% of u64::MAX, rounded down.
    let huge = ProviderLimits {
        requests_per_second: u64::MAX,
        ..quota
    };
    assert_eq!(huge.of(Lane::Search).1, u64::MAX / 100 * 70 + 15 * 70 / 100);
    assert_eq!(huge.of(Lane::Orders).1, u64::MAX - huge.of(Lane::Search).1);
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
    let stack = over(
        quota,
        searches.transport(Duration::from_millis(10)),
        orders.transport(Duration::from_millis(10)),
    );
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
    let stack = over(
        limits,
        recorder.transport(Duration::from_secs(60)),
        recorder.transport(Duration::from_secs(60)),
    );
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

/// A stack over fake transports, with the default breaker and budget.
fn over<S, O>(limits: ProviderLimits, search: S, orders: O) -> ProviderStack
where
    S: Service<reqwest::Request, Response = reqwest::Response> + Send + 'static,
    S::Error: Into<BoxError> + Send + Sync,
    S::Future: Send + 'static,
    O: Service<reqwest::Request, Response = reqwest::Response> + Send + 'static,
    O::Error: Into<BoxError> + Send + Sync,
    O::Future: Send + 'static,
{
    let mut stack = ProviderStack {
        metrics: None,
        provider: ProviderId::Panhe,
        limits,
        search: layered(search, limits, Lane::Search),
        orders: layered(orders, limits, Lane::Orders),
        breaker: Arc::new(Breaker::new(BreakerSettings::default())),
        retry_budget: Arc::new(retry_budget(RetrySettings::default())),
        max_retries: 0,
    };
    stack.set_resilience(Resilience::default());
    stack
}

/// A provider whose answers the test switches between healthy and 503,
/// counting the requests that reach it.
#[derive(Clone, Default)]
struct Switchable {
    down: Arc<std::sync::atomic::AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Switchable {
    fn transport(
        &self,
    ) -> impl Service<
        reqwest::Request,
        Response = reqwest::Response,
        Error = BoxError,
        Future = impl Future<Output = Result<reqwest::Response, BoxError>> + Send + 'static,
    > + Send
    + 'static {
        let provider = self.clone();
        tower::service_fn(move |_request: reqwest::Request| {
            let provider = provider.clone();
            async move {
                provider.calls.fetch_add(1, Ordering::SeqCst);
                let status = if provider.down.load(Ordering::SeqCst) {
                    503
                } else {
                    200
                };
                let answer = axum::http::Response::builder()
                    .status(status)
                    .body("{}")
                    .unwrap();
                Ok::<_, BoxError>(reqwest::Response::from(answer))
            }
        })
    }

    fn stack(&self) -> ProviderStack {
        over(limits(4, 1_000), self.transport(), self.transport())
    }
}

#[tokio::test(start_paused = true)]
async fn the_breaker_opens_after_five_failures_and_a_probe_closes_it() {
    let provider = Switchable::default();
    provider.down.store(true, Ordering::SeqCst);
    let stack = provider.stack();
    for _ in 0..5 {
        let answer = stack.send(Lane::Orders, request()).await.unwrap();
        assert_eq!(answer.status(), 503);
    }
    assert_eq!(stack.breaker_state(), breaker::BreakerState::Open);
    // Refused at once, nothing sent, both lanes.
    for lane in [Lane::Orders, Lane::Search] {
        let refused = stack.send(lane, request()).await.unwrap_err();
        assert!(
            matches!(refused, ProviderError::CircuitOpen { retry_in, .. } if retry_in <= Duration::from_secs(30)),
            "{refused:?}"
        );
    }
    assert_eq!(provider.calls.load(Ordering::SeqCst), 5);

    // After the ejection one probe goes; the provider is back.
    tokio::time::advance(Duration::from_secs(30)).await;
    provider.down.store(false, Ordering::SeqCst);
    let answer = stack.send(Lane::Search, request()).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(stack.breaker_state(), breaker::BreakerState::Closed);
    stack.send(Lane::Orders, request()).await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 7);
}

#[tokio::test(start_paused = true)]
async fn a_failed_probe_ejects_the_provider_again_for_longer() {
    let provider = Switchable::default();
    provider.down.store(true, Ordering::SeqCst);
    let stack = provider.stack();
    for _ in 0..5 {
        stack.send(Lane::Orders, request()).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(
        stack.send(Lane::Orders, request()).await.unwrap().status(),
        503
    );
    match stack.send(Lane::Orders, request()).await.unwrap_err() {
        ProviderError::CircuitOpen { retry_in, .. } => {
            assert_eq!(retry_in, Duration::from_secs(60))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn answered_refusals_and_4xx_are_not_failures() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let transport = move || {
        let calls = counted.clone();
        tower::service_fn(move |_request: reqwest::Request| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let answer = axum::http::Response::builder()
                    .status(404)
                    .body(r#"{"success":false,"msg":"车次不存在"}"#)
                    .unwrap();
                Ok::<_, BoxError>(reqwest::Response::from(answer))
            }
        })
    };
    let stack = over(limits(4, 1_000), transport(), transport());
    for _ in 0..20 {
        stack.send(Lane::Orders, request()).await.unwrap();
    }
    assert_eq!(stack.breaker_state(), breaker::BreakerState::Closed);
    assert_eq!(calls.load(Ordering::SeqCst), 20);
}

#[tokio::test(start_paused = true)]
async fn reads_are_retried_within_the_budget_and_writes_never() {
    let provider = Switchable::default();
    provider.down.store(true, Ordering::SeqCst);
    let mut stack = provider.stack();
    stack.set_resilience(Resilience {
        // The breaker out of the way: this is about retries.
        breaker: BreakerSettings {
            consecutive_failures: 0,
            ..BreakerSettings::default()
        },
        retries: RetrySettings {
            budget_percent: 20,
            min_per_second: 1,
            max_retries: 2,
        },
    });
    // A write is sent once.
    stack.send(Lane::Orders, request()).await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    // A read up to three times while the budget lasts: the reserve is one
    // retry a second over 10 s, plus one per five reads.
    stack.send_read(Lane::Search, request()).await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 4);
    for _ in 0..30 {
        stack.send_read(Lane::Search, request()).await.unwrap();
    }
    let sent = provider.calls.load(Ordering::SeqCst) - 1;
    let retries = sent - 31;
    // 10 (reserve) + 31 / 5 deposits, give or take the window's slots.
    assert!(
        (10..=17).contains(&retries),
        "{retries} retries for 31 reads"
    );
    // Healthy again: one call per read.
    provider.down.store(false, Ordering::SeqCst);
    let before = provider.calls.load(Ordering::SeqCst);
    stack.send_read(Lane::Search, request()).await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), before + 1);
}

#[tokio::test(start_paused = true)]
async fn a_probe_whose_caller_went_away_does_not_wedge_the_breaker() {
    let slow = Recorder::default();
    let provider = Switchable::default();
    provider.down.store(true, Ordering::SeqCst);
    let stack = over(
        limits(4, 1_000),
        slow.transport(Duration::from_secs(3)),
        provider.transport(),
    );
    for _ in 0..5 {
        stack.send(Lane::Orders, request()).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    // The probe goes on the slow lane and its caller gives up.
    let probe = tokio::time::timeout(
        Duration::from_millis(10),
        stack.send(Lane::Search, request()),
    )
    .await;
    assert!(probe.is_err(), "the probe was cut short");
    // The next call may probe.
    provider.down.store(false, Ordering::SeqCst);
    stack.send(Lane::Orders, request()).await.unwrap();
    assert_eq!(stack.breaker_state(), breaker::BreakerState::Closed);
}
