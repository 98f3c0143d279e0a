//! Search across Panhe and Juhe: merged trains, partial answers when one
//! provider fails or is slow, and one upstream call per provider for
//! identical concurrent searches.

use crate::support::date_in;
use crate::two_sims::TwoSims;
use railgate::config::Config;
use railgate::proto::{self as pb, SearchRequest};
use railgate_sim::juhe;
use std::time::Duration;

async fn two_providers(configure: impl FnOnce(&mut Config)) -> TwoSims {
    TwoSims::start(juhe::JuheSimConfig::default(), configure).await
}

async fn search(both: &TwoSims, days: i64) -> pb::SearchResponse {
    both.app
        .booking()
        .search(request(days))
        .await
        .expect("search answers")
        .into_inner()
}

fn request(days: i64) -> SearchRequest {
    SearchRequest {
        from_station: "北京南".into(),
        to_station: "上海虹桥".into(),
        travel_date: date_in(days),
        ..Default::default()
    }
}

fn status_of(response: &pb::SearchResponse, provider: pb::Provider) -> pb::ProviderResultStatus {
    let result = response
        .provider_results
        .iter()
        .find(|result| result.provider == provider as i32)
        .unwrap_or_else(|| panic!("no result for {provider:?}: {response:?}"));
    result.status()
}

fn providers_of(train: &pb::TrainOption) -> Vec<i32> {
    let mut providers: Vec<i32> = train.seats.iter().map(|seat| seat.provider).collect();
    providers.sort();
    providers.dedup();
    providers
}

#[tokio::test]
async fn the_same_train_from_both_providers_is_one_train_with_both_offers() {
    let both = two_providers(|_| {}).await;
    let response = search(&both, 3).await;
    assert_eq!(
        status_of(&response, pb::Provider::Panhe),
        pb::ProviderResultStatus::Ok
    );
    assert_eq!(
        status_of(&response, pb::Provider::Juhe),
        pb::ProviderResultStatus::Ok
    );
    // Both simulators sell the same real timetable: every train is offered
    // by both, merged into one.
    assert!(response.trains.len() > 10, "{}", response.trains.len());
    for train in &response.trains {
        assert_eq!(
            providers_of(train),
            [pb::Provider::Juhe as i32, pb::Provider::Panhe as i32],
            "{} {}",
            train.train_code,
            train.departure_time
        );
    }
    let codes: Vec<&str> = response
        .trains
        .iter()
        .map(|t| t.train_code.as_str())
        .collect();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(codes, unique, "each train once");
    for train in &response.trains {
        for seat in &train.seats {
            assert!(!seat.offer_id.is_empty(), "{train:?}");
        }
    }
}

#[tokio::test]
async fn a_stopped_provider_leaves_the_others_answer_and_says_so() {
    let mut both = two_providers(|_| {}).await;
    both.stop_juhe();
    // Stopped: the listener is gone once serve_router returns.
    let response = loop {
        let response = search(&both, 3).await;
        if status_of(&response, pb::Provider::Juhe) != pb::ProviderResultStatus::Ok {
            break response;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(
        status_of(&response, pb::Provider::Panhe),
        pb::ProviderResultStatus::Ok
    );
    assert_eq!(
        status_of(&response, pb::Provider::Juhe),
        pb::ProviderResultStatus::Error
    );
    assert!(!response.trains.is_empty());
    assert!(
        response
            .trains
            .iter()
            .all(|train| providers_of(train) == [pb::Provider::Panhe as i32]),
        "only Panhe's offers are left"
    );
}

#[tokio::test]
async fn a_provider_slower_than_its_timeout_is_reported_timed_out() {
    let both = two_providers(|config| {
        config.search.provider_timeout_ms = 2_000;
        config.search.cache_ttl_ms = 0;
    })
    .await;
    // Warm both simulators (the timetable loads on first use) so only the
    // scripted delay decides who is late.
    search(&both, 3).await;
    both.juhe.set_response_delay(Some(Duration::from_secs(30)));
    let response = search(&both, 3).await;
    assert_eq!(
        status_of(&response, pb::Provider::Panhe),
        pb::ProviderResultStatus::Ok
    );
    assert_eq!(
        status_of(&response, pb::Provider::Juhe),
        pb::ProviderResultStatus::Timeout
    );
    assert!(!response.trains.is_empty());
}

#[tokio::test]
async fn identical_concurrent_searches_reach_each_provider_once() {
    let both = two_providers(|config| {
        config.search.cache_ttl_ms = 60_000;
    })
    .await;
    let searches = (0..16).map(|_| search(&both, 4));
    let responses = futures_util::future::join_all(searches).await;
    assert!(
        responses
            .windows(2)
            .all(|pair| pair[0].trains == pair[1].trains)
    );
    assert_eq!(both.panhe.search_requests(), 1);
    assert_eq!(both.juhe.requests(juhe::Endpoint::Search), 1);
    let ages = |response: &pb::SearchResponse| -> Vec<i64> {
        response
            .provider_results
            .iter()
            .map(|result| result.age_millis)
            .collect()
    };
    assert!(
        responses.iter().all(|response| ages(response) == [0, 0]),
        "answers fetched for these searches are fresh"
    );
    // Later, the same search is answered from the cache, and says how old
    // the answers are (at least the pause).
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cached = search(&both, 4).await;
    assert!(
        ages(&cached).iter().all(|age| *age >= 20),
        "{:?}",
        ages(&cached)
    );
    assert_eq!(both.panhe.search_requests(), 1);
    // Another date is another upstream call per provider.
    search(&both, 5).await;
    assert_eq!(both.panhe.search_requests(), 2);
    assert_eq!(both.juhe.requests(juhe::Endpoint::Search), 2);
}

#[tokio::test]
async fn an_ejected_provider_is_reported_and_the_others_answer() {
    let mut both = two_providers(|config| config.search.cache_ttl_ms = 0).await;
    both.stop_juhe();
    // Juhe's failures in a row open its breaker; from then on Search does
    // not wait for it and says why.
    let mut searches = 0;
    let response = loop {
        let response = search(&both, 3).await;
        searches += 1;
        let juhe = response
            .provider_results
            .iter()
            .find(|result| result.provider == pb::Provider::Juhe as i32)
            .unwrap();
        if juhe.message.contains("circuit breaker is open") {
            break response;
        }
        assert!(searches < 20, "Juhe's breaker never opened: {juhe:?}");
    };
    assert_eq!(
        status_of(&response, pb::Provider::Juhe),
        pb::ProviderResultStatus::Error
    );
    assert_eq!(
        status_of(&response, pb::Provider::Panhe),
        pb::ProviderResultStatus::Ok
    );
    assert!(!response.trains.is_empty());
}

#[tokio::test]
async fn a_reused_reply_follows_its_filters_and_its_providers_answers() {
    let mut both = two_providers(|config| config.search.cache_ttl_ms = 400).await;
    let first = search(&both, 6).await;
    let again = search(&both, 6).await;
    // The second reply is the first's encoded bytes with fresh ages.
    assert_eq!(again.trains, first.trains);
    assert_eq!(again.from_stations, first.from_stations);
    assert_eq!(again.provider_results.len(), 2);
    assert_eq!(both.panhe.search_requests(), 1);

    // Other train types are another reply, not the unfiltered one: a
    // type none of its trains has gives no trains.
    let absent = [
        pb::TrainType::Express,
        pb::TrainType::Fast,
        pb::TrainType::DirectExpress,
        pb::TrainType::Intercity,
    ]
    .into_iter()
    .find(|wanted| {
        first
            .trains
            .iter()
            .all(|train| train.train_type() != *wanted)
    })
    .expect("the route lacks some train type");
    let filtered = both
        .app
        .booking()
        .search(SearchRequest {
            train_types: vec![absent as i32],
            ..request(6)
        })
        .await
        .expect("search answers")
        .into_inner();
    assert!(
        filtered.trains.is_empty(),
        "{absent:?}: {:?}",
        filtered.trains
    );
    assert_eq!(filtered.provider_results.len(), 2);

    // Juhe stops; once the cached answers expire, the reply is built from
    // the answers there are, not served from the one with Juhe's offers.
    both.stop_juhe();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = search(&both, 6).await;
    assert_eq!(
        status_of(&later, pb::Provider::Juhe),
        pb::ProviderResultStatus::Error
    );
    assert!(!later.trains.is_empty());
    assert!(
        later
            .trains
            .iter()
            .all(|train| providers_of(train) == [pb::Provider::Panhe as i32]),
        "only Panhe's offers are left"
    );
    assert_eq!(both.panhe.search_requests(), 2, "Panhe asked again");
}
