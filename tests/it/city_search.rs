//! Same-city search: a city's name searches every station named after the
//! city at that end, as 12306 does; `exact_stations` searches the named
//! stations alone.

use crate::scripted::Scripted;
use crate::support::{TestApp, date_in};
use railgate::proto as pb;
use std::collections::BTreeSet;

async fn search(app: &TestApp, from: &str, to: &str, exact: bool) -> pb::SearchResponse {
    app.booking()
        .search(pb::SearchRequest {
            from_station: from.into(),
            to_station: to.into(),
            travel_date: date_in(3),
            exact_stations: exact,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// (train code, departure, boarding station, alighting station).
type Ride = (String, String, String, String);

fn rides(response: &pb::SearchResponse) -> BTreeSet<Ride> {
    response
        .trains
        .iter()
        .map(|train| {
            (
                train.train_code.clone(),
                train.departure_time.clone(),
                train.from_station.as_ref().unwrap().name.clone(),
                train.to_station.as_ref().unwrap().name.clone(),
            )
        })
        .collect()
}

fn names(stations: &[pb::Station]) -> Vec<&str> {
    stations
        .iter()
        .map(|station| station.name.as_str())
        .collect()
}

#[tokio::test]
async fn a_city_search_finds_what_every_station_pair_finds() {
    // No cache: each search below asks the simulators afresh.
    let app = TestApp::spawn_with(|config| config.search.cache_ttl_ms = 0).await;
    let city = search(&app, "北京", "上海", false).await;
    let from = names(&city.from_stations);
    let to = names(&city.to_stations);
    assert_eq!(from.len(), 9, "{from:?}");
    assert_eq!(from[0], "北京");
    assert!(
        from.contains(&"北京南") && from.contains(&"北京丰台"),
        "{from:?}"
    );
    assert_eq!(to, ["上海", "上海南", "上海西", "上海虹桥", "上海松江"]);

    // The same set, searched pair by pair by hand.
    let mut by_hand = BTreeSet::new();
    let mut pairs = 0;
    for departure in &from {
        for arrival in &to {
            by_hand.extend(rides(&search(&app, departure, arrival, true).await));
            pairs += 1;
        }
    }
    assert_eq!(pairs, 45);
    let found = rides(&city);
    assert_eq!(found, by_hand);

    // Each train says which stations it really uses; several of each.
    let boarding: BTreeSet<&str> = found.iter().map(|ride| ride.2.as_str()).collect();
    let alighting: BTreeSet<&str> = found.iter().map(|ride| ride.3.as_str()).collect();
    assert!(
        boarding.contains("北京南") && boarding.contains("北京"),
        "{boarding:?}"
    );
    assert!(
        alighting.contains("上海虹桥") && alighting.contains("上海"),
        "{alighting:?}"
    );

    // The exact flag restores the literal 北京 → 上海 answer.
    let exact = search(&app, "北京", "上海", true).await;
    assert_eq!(names(&exact.from_stations), ["北京"]);
    assert_eq!(names(&exact.to_stations), ["上海"]);
    let literal = rides(&exact);
    assert!(
        literal
            .iter()
            .all(|ride| ride.2 == "北京" && ride.3 == "上海")
    );
    assert!(
        found.len() > literal.len() + 10,
        "{} vs {}",
        found.len(),
        literal.len()
    );
    assert!(literal.is_subset(&found));

    // Pinyin and initials name the city too; a station's name does not.
    assert_eq!(rides(&search(&app, "beijing", "sh", false).await), found);
    let south = search(&app, "北京南", "上海", false).await;
    assert_eq!(names(&south.from_stations), ["北京南"]);
    assert_eq!(south.to_stations.len(), 5);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn station_pairs_are_one_provider_call_each_unless_the_provider_merges_cities() {
    let pairs = Scripted::start_with(|config| config.search.cache_ttl_ms = 0).await;
    let before = pairs.sim.search_requests();
    search(&pairs.app, "北京", "上海", false).await;
    assert_eq!(pairs.sim.search_requests() - before, 45);

    // Configured as merging a city, Panhe is asked once, for the stations
    // named, and only trains between searched stations are kept.
    let merged = Scripted::start_with(|config| {
        config.search.cache_ttl_ms = 0;
        config.search.city_merging_providers = vec![railgate::domain::ProviderId::Panhe];
    })
    .await;
    let before = merged.sim.search_requests();
    let answer = search(&merged.app, "北京", "上海", false).await;
    assert_eq!(merged.sim.search_requests() - before, 1);
    assert!(!answer.trains.is_empty());
    assert_eq!(answer.from_stations.len(), 9);
}
