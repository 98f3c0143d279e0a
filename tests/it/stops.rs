//! GetStops: by offer id from a Search, and by train code + stations.

use crate::support::{TestApp, date_in, violations};
use railgate::proto::{GetStopsRequest, Provider, SearchRequest};
use tonic::Code;

#[tokio::test]
async fn stops_of_an_offer_from_search() {
    let app = TestApp::spawn().await;
    let search = app
        .booking()
        .search(SearchRequest {
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            travel_date: date_in(1),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let g101 = search
        .trains
        .iter()
        .find(|train| train.train_code == "G101")
        .unwrap();
    let response = app
        .booking()
        .get_stops(GetStopsRequest {
            offer_id: g101.seats[0].offer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.train_code, "G101");
    assert_eq!(response.train_no, "240000G1010T");
    let names: Vec<&str> = response
        .stops
        .iter()
        .map(|stop| stop.station.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names.first(), Some(&"北京南"));
    assert_eq!(names.last(), Some(&"上海虹桥"));
    let origin = &response.stops[0];
    assert_eq!((origin.sequence, origin.arrival_time.as_str()), (1, ""));
    assert_eq!(origin.departure_time, "06:10");
    let terminus = response.stops.last().unwrap();
    assert_eq!(terminus.arrival_time, "12:09");
    assert_eq!(terminus.departure_time, "");
    for pair in response.stops.windows(2) {
        assert!(pair[0].sequence < pair[1].sequence);
    }
    assert!(response.stops.iter().all(|stop| stop.day_offset == 0));
}

#[tokio::test]
async fn stops_of_a_juhe_offer_come_from_a_provider_with_stop_lists() {
    let app = TestApp::spawn().await;
    let search = app
        .booking()
        .search(SearchRequest {
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            travel_date: date_in(2),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let g101 = search
        .trains
        .iter()
        .find(|train| train.train_code == "G101")
        .unwrap();
    let juhe_offer = g101
        .seats
        .iter()
        .find(|seat| seat.provider == Provider::Juhe as i32)
        .expect("the sandbox Juhe offers G101");
    let response = app
        .booking()
        .get_stops(GetStopsRequest {
            offer_id: juhe_offer.offer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.train_no, "240000G1010T");
    assert_eq!(
        response
            .stops
            .first()
            .unwrap()
            .station
            .as_ref()
            .unwrap()
            .name,
        "北京南"
    );
}

#[tokio::test]
async fn stops_by_train_code_and_stations() {
    let app = TestApp::spawn().await;
    let response = app
        .booking()
        .get_stops(GetStopsRequest {
            train_code: "k22".into(),
            travel_date: date_in(1),
            from_station: "nanning".into(),
            to_station: "BXP".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.train_code, "K22");
    assert_eq!(response.stops.len(), 30);
    let last = response.stops.last().unwrap();
    assert_eq!(last.station.as_ref().unwrap().name, "北京西");
    assert_eq!(last.day_offset, 1, "K22 arrives the next day");
}

#[tokio::test]
async fn unknown_train_is_not_found_and_bad_offer_is_invalid() {
    let app = TestApp::spawn().await;
    let status = app
        .booking()
        .get_stops(GetStopsRequest {
            train_code: "G99999".into(),
            travel_date: date_in(1),
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("G99999"));

    let status = app
        .booking()
        .get_stops(GetStopsRequest {
            offer_id: "not-an-offer".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status)[0].0, "offer_id");

    let status = app
        .booking()
        .get_stops(GetStopsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(
        fields,
        ["train_code", "from_station", "to_station", "travel_date"]
    );
}
