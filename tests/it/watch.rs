//! WatchOrder: current state first, then each event; resumable from a
//! sequence number; ends at a final state unless asked to follow. Many
//! watchers of one order share one feed; events stored by another
//! instance sharing the database reach them too.

use crate::booking::{app, book_request, offer, wait_for};
use crate::scripted::{Scripted, book};
use crate::support::TestApp;
use railgate::domain::{OrderEventKind, OrderId, OrderStatus};
use railgate::proto::{self as pb};
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::codec::Streaming;

/// Longest wait for the next message of a stream.
const PATIENCE: Duration = Duration::from_secs(20);

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

async fn watch(
    app: &TestApp,
    order_id: &str,
    after_sequence: i64,
    follow: bool,
) -> Streaming<pb::WatchOrderResponse> {
    app.booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: order_id.into(),
            after_sequence,
            follow,
        })
        .await
        .unwrap()
        .into_inner()
}

/// The next event as (sequence, status); None at the end of the stream.
async fn next_event(stream: &mut Streaming<pb::WatchOrderResponse>) -> Option<(i64, i32)> {
    let message = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("a message or the end of the stream within 20 s")?;
    let event = message.unwrap().event.unwrap();
    Some((event.sequence, event.order.unwrap().status))
}

/// Every event until the stream ends.
async fn drain(stream: &mut Streaming<pb::WatchOrderResponse>) -> Vec<(i64, i32)> {
    let mut events = Vec::new();
    while let Some(event) = next_event(stream).await {
        events.push(event);
    }
    events
}

fn consecutive(events: &[(i64, i32)]) -> bool {
    events.windows(2).all(|pair| pair[1].0 == pair[0].0 + 1)
}

#[tokio::test]
async fn many_watchers_of_one_order_get_the_same_events_in_order() {
    let app = app().await;
    let offer = offer(&app).await;
    let booked = app
        .booking()
        .book(book_request("watch-many", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    let mut watchers = Vec::new();
    for _ in 0..20 {
        watchers.push(watch(&app, &booked.order_id, 0, false).await);
    }
    // One resumes mid-way: after the first event, while the order is HELD.
    let mut resumed = watch(&app, &booked.order_id, 1, false).await;
    app.booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "watch-many-confirm".into(),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap();

    let first = drain(&mut watchers[0]).await;
    assert_eq!(first[0].1, pb::OrderStatus::Held as i32, "{first:?}");
    assert_eq!(
        first.last().unwrap().1,
        pb::OrderStatus::Issued as i32,
        "{first:?}"
    );
    assert!(consecutive(&first), "{first:?}");
    for watcher in &mut watchers[1..] {
        assert_eq!(drain(watcher).await, first);
    }
    let replay = drain(&mut resumed).await;
    assert_eq!(replay[0].0, 2, "{replay:?}");
    assert!(consecutive(&replay), "{replay:?}");
    assert_eq!(replay.last(), first.last(), "{replay:?}");
}

/// Another railgate sharing the database: events it stores reach this
/// instance's watchers through the store alone.
#[tokio::test]
async fn an_event_stored_by_another_instance_reaches_a_watcher() {
    let t = Scripted::start().await;
    let booked = book(&t.app, "watch-elsewhere").await;
    let mut stream = watch(&t.app, &booked.order_id, 0, false).await;
    let (snapshot, _) = next_event(&mut stream).await.unwrap();

    let id = OrderId::parse(&booked.order_id).unwrap();
    let mut order = t.store.get_order(&id).await.unwrap().unwrap();
    order.status = OrderStatus::Failed;
    order.status_reason = Some("failed at the other instance".into());
    let sequence = t
        .store
        .update_order(&mut order, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();

    assert_eq!(sequence, snapshot + 1);
    assert_eq!(
        drain(&mut stream).await,
        vec![(sequence, pb::OrderStatus::Failed as i32)],
        "the event, then the end at a final state"
    );
}

/// More events at once than the feed buffers for a watcher: the watcher
/// reads what it missed from the store, and gets each once, in order.
#[tokio::test]
async fn a_watcher_behind_the_feed_still_gets_every_event() {
    const EVENTS: i64 = 150;
    let t = Scripted::start().await;
    let booked = book(&t.app, "watch-burst").await;
    let mut stream = watch(&t.app, &booked.order_id, 0, false).await;
    let (snapshot, _) = next_event(&mut stream).await.unwrap();

    let id = OrderId::parse(&booked.order_id).unwrap();
    let mut order = t.store.get_order(&id).await.unwrap().unwrap();
    for round in 1..=EVENTS {
        order.status_reason = Some(format!("round {round}"));
        if round == EVENTS {
            order.status = OrderStatus::Failed;
        }
        t.store
            .update_order(&mut order, OrderEventKind::StatusChanged, &[])
            .await
            .unwrap();
    }

    let events = drain(&mut stream).await;
    let sequences: Vec<i64> = events.iter().map(|event| event.0).collect();
    let wanted: Vec<i64> = (snapshot + 1..=snapshot + EVENTS).collect();
    assert_eq!(sequences, wanted);
    assert_eq!(events.last().unwrap().1, pb::OrderStatus::Failed as i32);
}
