//! WatchOrder: current state first, then each event; resumable from a
//! sequence number; ends at a final state unless asked to follow.

use crate::booking::{app, book_request, offer};
use railgate::proto::{self as pb};
use tokio_stream::StreamExt;
use tonic::Code;

#[tokio::test]
async fn watch_from_booking_to_issued_then_resume() {
    let app = app().await;
    let offer = offer(&app).await;
    let booked = app
        .booking()
        .book(book_request("watch-1", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let mut stream = app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    let mut events = Vec::new();
    while let Some(message) =
        tokio::time::timeout(std::time::Duration::from_secs(20), stream.next())
            .await
            .expect("an event within 20 s")
    {
        let event = message.unwrap().event.unwrap();
        let order = event.order.clone().unwrap();
        if order.status == pb::OrderStatus::Held as i32 {
            app.booking()
                .confirm(pb::ConfirmRequest {
                    idempotency_key: "watch-confirm".into(),
                    order_id: booked.order_id.clone(),
                    expected_amount_fen: order.total_amount_fen,
                })
                .await
                .unwrap();
        }
        events.push(event);
    }
    // The stream ended by itself at ISSUED (follow = false).
    let first = &events[0];
    assert_eq!(first.kind, pb::OrderEventKind::Snapshot as i32);
    let statuses: Vec<i32> = events
        .iter()
        .map(|event| event.order.as_ref().unwrap().status)
        .collect();
    assert_eq!(
        *statuses.last().unwrap(),
        pb::OrderStatus::Issued as i32,
        "{statuses:?}"
    );
    for wanted in [pb::OrderStatus::Held, pb::OrderStatus::Issuing] {
        assert!(
            statuses.contains(&(wanted as i32)),
            "{wanted:?} in {statuses:?}"
        );
    }
    let sequences: Vec<i64> = events.iter().skip(1).map(|event| event.sequence).collect();
    assert!(
        sequences.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "consecutive: {sequences:?}"
    );

    // Resuming after sequence 1 replays everything after it, in order.
    let replay: Vec<pb::OrderEvent> = app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            after_sequence: 1,
            follow: false,
        })
        .await
        .unwrap()
        .into_inner()
        .map(|message| message.unwrap().event.unwrap())
        .collect()
        .await;
    assert_eq!(replay.first().unwrap().sequence, 2);
    assert_eq!(
        replay.last().unwrap().order.as_ref().unwrap().status,
        pb::OrderStatus::Issued as i32
    );
}

#[tokio::test]
async fn watching_an_unknown_order_is_not_found() {
    let app = app().await;
    let status = app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: "ord_00000000000000000000000000000000".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = app
        .booking()
        .watch_order(pb::WatchOrderRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}
