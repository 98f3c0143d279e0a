//! Juhe sleepers: Search quotes a sleeper at its cheapest berth and a Book
//! without a berth preference grabs that berth at that price (seed 001's
//! berth codes are separate seats: `softsleeperdown`'s price is the lower
//! berth's).

use crate::booking::wait_for;
use crate::grab::{book, grab_request, hours_from_now, start_with};
use crate::support::date_in;
use railgate::domain::offer_seal::read_unverified;
use railgate::proto::{self as pb};

#[tokio::test]
async fn a_sleeper_is_booked_in_the_berth_and_at_the_price_search_quoted() {
    let grab = start_with(|_| {}).await;
    let response = grab
        .app
        .booking()
        .search(pb::SearchRequest {
            from_station: "南宁".into(),
            to_station: "北京西".into(),
            travel_date: date_in(5),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let sleeper = response
        .trains
        .iter()
        .flat_map(|train| train.seats.iter())
        .find(|seat| {
            seat.provider == pb::Provider::Juhe as i32
                && seat.seat_class == pb::SeatClass::HardSleeper as i32
                && seat.berth_prices.len() > 1
                && seat.remaining >= 2
        })
        .cloned()
        .expect("a Juhe hard sleeper with berth prices 南宁→北京西");
    let cheapest = *sleeper
        .berth_prices
        .iter()
        .min_by_key(|berth| berth.price_fen)
        .unwrap();
    assert_eq!(sleeper.price_fen, cheapest.price_fen, "{sleeper:?}");
    assert!(
        sleeper
            .berth_prices
            .iter()
            .any(|berth| berth.price_fen > cheapest.price_fen),
        "berths priced differently: {sleeper:?}"
    );
    let quoted = read_unverified(&sleeper.offer_id).unwrap();
    assert!(quoted.berth.is_some(), "{quoted:?}");

    let mut request = grab_request("juhe-sleeper", &sleeper.offer_id, hours_from_now(48));
    request
        .grab
        .as_mut()
        .unwrap()
        .alternative_seat_classes
        .clear();
    let booked = book(&grab.app, request).await;
    for ticket in &booked.tickets {
        assert_eq!(ticket.berth, cheapest.berth, "{ticket:?}");
    }
    let issued = wait_for(&grab.app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await;
    for ticket in &issued.tickets {
        assert_eq!(ticket.price_fen, sleeper.price_fen, "{ticket:?}");
        assert_eq!(ticket.berth, cheapest.berth, "{ticket:?}");
    }
}
