//! The circuit breaker in a real `railgate serve` process: Panhe is down
//! (nothing listens at its address), so after the configured failures in a
//! row railgate refuses at once with PROVIDER_UNAVAILABLE (circuit open,
//! RetryInfo); Panhe comes up at the same address, and after the ejection
//! the probe closes the breaker and Search answers again.

use crate::process::{Railgate, external_panhe};
use crate::support::{date_in, details};
use railgate::proto as pb;
use railgate_sim::panhe::{self, PanheSimConfig};
use std::time::{Duration, Instant};
use tonic::Code;

fn search() -> pb::SearchRequest {
    pb::SearchRequest {
        from_station: "北京南".into(),
        to_station: "上海虹桥".into(),
        travel_date: date_in(3),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_breaker_opens_on_a_dead_provider_and_closes_when_it_returns() {
    // An address where nothing listens (yet).
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let panhe_url = format!("http://{address}");
    let mut env = external_panhe(&panhe_url).to_vec();
    env.extend([
        ("RAILGATE_RESILIENCE_CONSECUTIVE_FAILURES", "3"),
        ("RAILGATE_RESILIENCE_EJECTION_MS", "1000"),
        ("RAILGATE_RESILIENCE_MAX_RETRIES", "0"),
        ("RAILGATE_SEARCH_CACHE_TTL_MS", "0"),
    ]);
    let railgate = Railgate::start(&env).await;
    let mut client = railgate.booking().await;

    // Three refused connections: each an error, the third opens the breaker.
    for attempt in 0..3 {
        let failed = client.search(search()).await.unwrap_err();
        assert_eq!(
            failed.code(),
            Code::Unavailable,
            "attempt {attempt}: {failed:?}"
        );
        let info = details(&failed).error_info().cloned().unwrap();
        assert!(!info.metadata.contains_key("circuit"), "{info:?}");
    }
    // Now refused at once, nothing sent, with when to come back.
    let started = Instant::now();
    let refused = client.search(search()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    let refused_details = details(&refused);
    let info = refused_details.error_info().unwrap();
    assert_eq!(info.reason, "PROVIDER_UNAVAILABLE");
    assert_eq!(info.metadata["circuit"], "open");
    let retry = refused_details.retry_info().expect("RetryInfo");
    assert!(
        retry.retry_delay.unwrap() <= Duration::from_secs(1),
        "{retry:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));

    // Panhe comes up where railgate looks for it.
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    tokio::spawn(panhe::serve(
        listener,
        PanheSimConfig::default(),
        std::future::pending(),
    ));
    // After the ejection the probe goes through and closes the breaker.
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        match client.search(search()).await {
            Ok(answer) => break answer.into_inner(),
            Err(status) => {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                assert!(Instant::now() < deadline, "the breaker never closed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(!answer.trains.is_empty());
    client.search(search()).await.unwrap();
    assert!(
        railgate
            .logs()
            .iter()
            .any(|line| line.contains("provider circuit breaker changed") && line.contains("open")),
        "the breaker's changes are logged"
    );
    railgate.kill();
}
