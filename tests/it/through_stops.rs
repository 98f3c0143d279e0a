//! Buying through stops (买长乘短): a train sold out on the traveller's
//! segment is offered on a longer segment that still has tickets, flagged,
//! and booking it names the longer segment on the tickets.

use crate::booking::book_request;
use crate::scripted::{Scripted, wait_status};
use crate::support::{date_in, violations};
use chrono::NaiveDate;
use railgate::proto as pb;

const FROM: &str = "济南西";
const TO: &str = "南京南";

fn through_search(days: i64, party: i32) -> pb::SearchRequest {
    pb::SearchRequest {
        from_station: FROM.into(),
        to_station: TO.into(),
        travel_date: date_in(days),
        party_size: party,
        through_stops: true,
        ..Default::default()
    }
}

async fn search(pairs: &Scripted, request: pb::SearchRequest) -> pb::SearchResponse {
    pairs
        .app
        .booking()
        .search(request)
        .await
        .unwrap()
        .into_inner()
}

/// A train of the journey that starts before 济南西 and ends after 南京南,
/// so longer segments exist both ways.
fn a_through_train(response: &pb::SearchResponse) -> pb::TrainOption {
    response
        .trains
        .iter()
        .find(|train| {
            train.origin_station_name != FROM
                && train.terminal_station_name != TO
                && train.train_code.starts_with('G')
        })
        .cloned()
        .expect("a G train running beyond both ends")
}

#[tokio::test]
async fn a_sold_out_segment_is_offered_and_booked_on_a_longer_one() {
    let pairs = Scripted::start_with(|config| {
        config.search.cache_ttl_ms = 0;
        config.orders.reconcile_interval_ms = 50;
    })
    .await;
    let days = 3;
    let plain = search(&pairs, through_search(days, 2)).await;
    let train = a_through_train(&plain);
    assert!(
        plain
            .trains
            .iter()
            .all(|train| train.through_ticket.is_none()),
        "nothing is short, so nothing is offered through stops"
    );
    let date = NaiveDate::parse_from_str(&date_in(days), "%Y-%m-%d").unwrap();
    pairs.sim.sell_out(&train.train_no, date, FROM, TO);

    let answer = search(&pairs, through_search(days, 2)).await;
    let position = answer
        .trains
        .iter()
        .position(|t| t.train_code == train.train_code && t.through_ticket.is_none())
        .unwrap();
    let sold_out = &answer.trains[position];
    assert!(sold_out.seats.iter().all(|seat| seat.remaining == 0));
    // The through-stop offer follows the train it stands in for.
    let offer = &answer.trains[position + 1];
    assert_eq!(offer.train_code, train.train_code);
    let ticket = offer.through_ticket.as_ref().expect("flagged");
    // The traveller's own stations and times…
    assert_eq!(offer.from_station.as_ref().unwrap().name, FROM);
    assert_eq!(offer.to_station.as_ref().unwrap().name, TO);
    assert_eq!(offer.departure_time, sold_out.departure_time);
    // …and the ticket's, one stop longer at the far end first.
    let (ticket_from, ticket_to) = (
        ticket.from_station.as_ref().unwrap().name.clone(),
        ticket.to_station.as_ref().unwrap().name.clone(),
    );
    assert!(ticket_from != FROM || ticket_to != TO);
    // The ticket's segment covers the journey on the train's stop list.
    let stops = pairs
        .app
        .booking()
        .get_stops(pb::GetStopsRequest {
            offer_id: sold_out.seats[0].offer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .stops;
    let at = |name: &str| {
        stops
            .iter()
            .position(|stop| stop.station.as_ref().unwrap().name == name)
            .unwrap()
    };
    assert!(at(&ticket_from) <= at(FROM) && at(TO) <= at(&ticket_to));
    let seat = offer
        .seats
        .iter()
        .find(|seat| seat.seat_class == pb::SeatClass::Second as i32)
        .expect("second class on the longer segment");
    assert!(seat.remaining >= 2);
    // Longer costs more: the difference is the two fares' difference.
    let own_second = sold_out
        .seats
        .iter()
        .find(|s| s.seat_class == pb::SeatClass::Second as i32)
        .unwrap();
    assert_eq!(
        seat.extra_fare_fen,
        Some(seat.price_fen - own_second.price_fen)
    );
    assert!(seat.extra_fare_fen.unwrap() > 0);

    // Book it: the order and its tickets name the longer segment.
    let order = pairs
        .app
        .booking()
        .book(book_request("through-1", &seat.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    // Prices are the provider's, known once the seats are held.
    let order = wait_status(&pairs.app, &order.order_id, pb::OrderStatus::Held).await;
    assert_eq!(order.from_station.as_ref().unwrap().name, ticket_from);
    assert_eq!(order.to_station.as_ref().unwrap().name, ticket_to);
    assert_eq!(order.train_code, train.train_code);
    assert_eq!(order.tickets.len(), 2);
    assert!(order.tickets.iter().all(|t| t.price_fen == seat.price_fen));
}

#[tokio::test]
async fn through_stops_never_spend_more_calls_than_allowed() {
    for budget in [0u32, 3] {
        let pairs = Scripted::start_with(|config| {
            config.search.cache_ttl_ms = 0;
            config.search.through_stops_max_calls = budget;
        })
        .await;
        // Every train of the journey sold out: plenty to spend on.
        let days = 4;
        let date = NaiveDate::parse_from_str(&date_in(days), "%Y-%m-%d").unwrap();
        for train in search(&pairs, through_search(days, 1)).await.trains {
            pairs.sim.sell_out(&train.train_no, date, FROM, TO);
        }
        let before = pairs.sim.search_requests();
        let answer = search(&pairs, through_search(days, 1)).await;
        let extra = pairs.sim.search_requests() - before - 1;
        let offered = answer
            .trains
            .iter()
            .filter(|t| t.through_ticket.is_some())
            .count();
        if budget == 0 {
            assert_eq!((extra, offered), (0, 0));
        } else {
            // One stop list, then segment searches, one call each.
            assert!(extra >= 1 && extra < u64::from(budget), "{extra}");
            assert!(offered <= 1, "{offered}");
        }
    }
}

#[tokio::test]
async fn a_party_larger_than_an_order_is_refused() {
    let pairs = Scripted::start().await;
    let status = pairs
        .app
        .booking()
        .search(through_search(3, 10))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let fields: Vec<String> = violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, ["party_size"]);
}
