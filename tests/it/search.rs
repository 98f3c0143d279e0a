//! Search through the gateway against the sandbox Panhe simulator, which
//! serves the real 2023-12-15 national timetable.

use crate::support::{TestApp, date_in, violations};
use railgate::proto::{self as pb, SearchRequest};
use tonic::Code;

fn request(from: &str, to: &str, date: &str) -> SearchRequest {
    SearchRequest {
        from_station: from.into(),
        to_station: to.into(),
        travel_date: date.into(),
        ..Default::default()
    }
}

async fn search(app: &TestApp, from: &str, to: &str, date: &str) -> pb::SearchResponse {
    app.booking()
        .search(request(from, to, date))
        .await
        .unwrap_or_else(|status| panic!("search {from}→{to}: {status:?}"))
        .into_inner()
}

fn codes(response: &pb::SearchResponse) -> Vec<String> {
    response
        .trains
        .iter()
        .map(|train| train.train_code.clone())
        .collect()
}

#[tokio::test]
async fn beijing_south_to_shanghai_hongqiao_returns_the_real_g_trains() {
    let app = TestApp::spawn().await;
    let tomorrow = date_in(1);
    let response = search(&app, "北京南", "上海虹桥", &tomorrow).await;

    assert_eq!(response.from_station.as_ref().unwrap().telecode, "VNP");
    assert_eq!(response.to_station.as_ref().unwrap().telecode, "AOH");
    assert_eq!(response.travel_date, tomorrow);
    // The timetable has 38 trains calling at 北京南 and later 上海虹桥, all G.
    assert_eq!(response.trains.len(), 38, "{:?}", codes(&response));
    assert!(
        response
            .trains
            .iter()
            .all(|train| train.train_code.starts_with('G'))
    );
    assert!(
        response
            .trains
            .iter()
            .all(|train| train.train_type == pb::TrainType::HighSpeed as i32)
    );

    let g101 = response
        .trains
        .iter()
        .find(|train| train.train_code == "G101")
        .expect("G101");
    assert_eq!(g101.train_no, "240000G1010T");
    assert_eq!(g101.departure_time, format!("{tomorrow}T06:10:00+08:00"));
    assert_eq!(g101.arrival_time, format!("{tomorrow}T12:09:00+08:00"));
    assert_eq!(g101.duration_minutes, 5 * 60 + 59);
    assert_eq!(g101.from_station.as_ref().unwrap().name, "北京南");
    assert_eq!(g101.to_station.as_ref().unwrap().name, "上海虹桥");
    assert!(g101.seat_choice_supported);

    // Ordered by departure.
    let departures: Vec<&str> = response
        .trains
        .iter()
        .map(|t| t.departure_time.as_str())
        .collect();
    let mut sorted = departures.clone();
    sorted.sort();
    assert_eq!(departures, sorted);

    // Seat classes of a G train, priced in fen, with remaining counts and
    // an offer id each.
    let classes: Vec<i32> = g101.seats.iter().map(|seat| seat.seat_class).collect();
    for class in [
        pb::SeatClass::Business,
        pb::SeatClass::First,
        pb::SeatClass::Second,
    ] {
        assert!(
            classes.contains(&(class as i32)),
            "G101 lacks {class:?}: {classes:?}"
        );
    }
    for seat in &g101.seats {
        assert!(seat.price_fen > 0, "{seat:?}");
        assert_eq!(
            seat.price_fen % 50,
            0,
            "fares are in half-yuan steps: {seat:?}"
        );
        assert!(seat.remaining >= 0);
        assert!(seat.offer_id.starts_with("o1."), "{seat:?}");
    }
    // The sandbox runs both simulators: each class is offered by both
    // providers, at the same (simulated) fare.
    let price_from = |provider: pb::Provider, class: pb::SeatClass| {
        g101.seats
            .iter()
            .find(|s| s.seat_class == class as i32 && s.provider == provider as i32)
            .unwrap_or_else(|| panic!("{provider:?} offers no {class:?}"))
            .price_fen
    };
    let price = |class: pb::SeatClass| price_from(pb::Provider::Panhe, class);
    for class in [pb::SeatClass::First, pb::SeatClass::Second] {
        assert_eq!(price(class), price_from(pb::Provider::Juhe, class));
    }
    assert!(price(pb::SeatClass::Second) < price(pb::SeatClass::First));
    assert!(price(pb::SeatClass::First) < price(pb::SeatClass::Business));
    // Real 2nd-class fares Beijing–Shanghai are about ¥550–¥660.
    assert!(
        (40_000..80_000).contains(&price(pb::SeatClass::Second)),
        "{}",
        price(pb::SeatClass::Second)
    );

    let reported: Vec<(i32, i32)> = response
        .provider_results
        .iter()
        .map(|report| (report.provider, report.status))
        .collect();
    let ok = pb::ProviderResultStatus::Ok as i32;
    assert_eq!(
        reported,
        [
            (pb::Provider::Panhe as i32, ok),
            (pb::Provider::Juhe as i32, ok)
        ]
    );
}

#[tokio::test]
async fn pinyin_initials_and_telecodes_return_the_same_trains() {
    let app = TestApp::spawn().await;
    let date = date_in(2);
    let by_name = search(&app, "北京南", "上海虹桥", &date).await;
    for (from, to) in [
        ("beijingnan", "shanghaihongqiao"),
        ("VNP", "AOH"),
        ("bjn", "shhq"),
        ("BeiJingNan", "aoh"),
    ] {
        let other = search(&app, from, to, &date).await;
        assert_eq!(codes(&other), codes(&by_name), "{from}→{to}");
        assert_eq!(
            other.trains, by_name.trains,
            "{from}→{to}: same offers, prices and counts"
        );
    }
}

#[tokio::test]
async fn remaining_counts_are_deterministic() {
    let app = TestApp::spawn().await;
    let date = date_in(3);
    let first = search(&app, "南京南", "杭州东", &date).await;
    let second = search(&app, "南京南", "杭州东", &date).await;
    assert!(!first.trains.is_empty());
    assert_eq!(first.trains, second.trains);
}

#[tokio::test]
async fn overnight_trains_arrive_on_a_later_day() {
    let app = TestApp::spawn().await;
    let date = date_in(1);
    let response = search(&app, "南宁", "北京西", &date).await;
    let k22 = response
        .trains
        .iter()
        .find(|train| train.train_code == "K22")
        .expect("K22 runs 南宁→北京西");
    assert_eq!(k22.departure_time, format!("{date}T12:38:00+08:00"));
    assert_eq!(k22.arrival_day_offset, 1);
    assert_eq!(k22.arrival_time, format!("{}T22:48:00+08:00", date_in(2)));
    assert_eq!(k22.duration_minutes, 34 * 60 + 10);
    assert_eq!(k22.train_type, pb::TrainType::Fast as i32);
    let hard_sleeper = k22
        .seats
        .iter()
        .find(|seat| seat.seat_class == pb::SeatClass::HardSleeper as i32)
        .expect("K22 sells hard sleepers");
    let berths: Vec<i32> = hard_sleeper.berth_prices.iter().map(|b| b.berth).collect();
    assert_eq!(
        berths,
        [
            pb::Berth::Lower as i32,
            pb::Berth::Middle as i32,
            pb::Berth::Upper as i32
        ]
    );
    let lower = hard_sleeper.berth_prices[0].price_fen;
    let upper = hard_sleeper.berth_prices[2].price_fen;
    assert!(lower > upper, "lower berths cost more: {hard_sleeper:?}");
}

#[tokio::test]
async fn train_type_filter_applies() {
    let app = TestApp::spawn().await;
    let mut only_k = request("南宁", "北京西", &date_in(1));
    only_k.train_types = vec![pb::TrainType::Fast as i32];
    let response = app.booking().search(only_k).await.unwrap().into_inner();
    assert!(!response.trains.is_empty());
    assert!(
        response
            .trains
            .iter()
            .all(|train| train.train_type == pb::TrainType::Fast as i32)
    );
}

#[tokio::test]
async fn bad_input_is_invalid_argument_with_field_violations() {
    let app = TestApp::spawn().await;
    let tomorrow = date_in(1);
    let cases: Vec<(SearchRequest, Vec<&str>)> = vec![
        (
            request("北京难", "上海虹桥", &tomorrow),
            vec!["from_station"],
        ),
        (request("北京南", "", &tomorrow), vec!["to_station"]),
        (
            request("北京南", "上海虹桥", "2026/11/24"),
            vec!["travel_date"],
        ),
        (
            request("北京南", "上海虹桥", "2026-02-30"),
            vec!["travel_date"],
        ),
        (
            request("北京南", "上海虹桥", &date_in(-1)),
            vec!["travel_date"],
        ),
        (request("北京南", "VNP", &tomorrow), vec!["to_station"]),
        (
            request("nowhere", "nowhere2", "yesterday"),
            vec!["from_station", "to_station", "travel_date"],
        ),
    ];
    for (request, fields) in cases {
        let status = app.booking().search(request.clone()).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{request:?}: {status:?}"
        );
        let found: Vec<String> = violations(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(found, fields, "{request:?}");
    }
}

#[tokio::test]
async fn unknown_station_suggests_and_past_date_explains() {
    let app = TestApp::spawn().await;
    let status = app
        .booking()
        .search(request("beijingnn", "上海虹桥", &date_in(1)))
        .await
        .unwrap_err();
    let (field, description) = violations(&status).remove(0);
    assert_eq!(field, "from_station");
    assert!(
        description.contains("北京南"),
        "suggests the station meant: {description}"
    );

    let status = app
        .booking()
        .search(request("北京南", "上海虹桥", &date_in(-1)))
        .await
        .unwrap_err();
    let (_, description) = violations(&status).remove(0);
    assert!(description.contains("in the past"), "{description}");
}
