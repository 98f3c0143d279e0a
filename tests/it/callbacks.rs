//! Callback ingress: Panhe's status callbacks, POSTed to railgate's HTTP
//! listener, move orders on without the reconciler; a wrong secret is
//! refused, redeliveries are deduplicated and unknown orders are ignored.

use crate::scripted::{NO_RECONCILER_MS, SECRET, Scripted, book, confirm, get, wait_status};
use crate::support::TestApp;
use railgate::domain::OrderId;
use railgate::proto::{self as pb};
use railgate::store::OrderFilter;
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn orders_reach_held_and_issued_through_callbacks_alone() {
    // The sandbox as `make run` starts it (random secret, default public
    // URL), with the reconciler out of the way.
    let app = TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = NO_RECONCILER_MS;
    })
    .await;
    let booked = book(&app, "callbacks-alone").await;
    assert_eq!(booked.status, pb::OrderStatus::Pending as i32);

    let held = wait_status(&app, &booked.order_id, pb::OrderStatus::Held).await;
    assert!(held.total_amount_fen > 0);
    let issuing = confirm(&app, "callbacks-alone-pay", &held).await;
    assert_eq!(issuing.status, pb::OrderStatus::Issuing as i32);

    let issued = wait_status(&app, &booked.order_id, pb::OrderStatus::Issued).await;
    for ticket in &issued.tickets {
        assert!(!ticket.ticket_number.is_empty(), "{ticket:?}");
        assert!(!ticket.seat_number.is_empty(), "{ticket:?}");
    }
}

#[tokio::test]
async fn wrong_secret_redelivery_and_unknown_orders() {
    let t = Scripted::start().await;
    let booked = book(&t.app, "callbacks-scripted").await;
    let order_no = booked.provider_order_no.clone();
    let held_callback = t.dropped_callback(&order_no, 2).await;
    assert!(
        t.sim.callbacks()[0]
            .url
            .starts_with(&t.url(SECRET, "order")),
        "railgate sends its callback URL: {}",
        t.sim.callbacks()[0].url
    );
    let created_events = t.events(&booked.order_id).await;

    // A wrong secret (same length, or not) is refused and stores nothing.
    for secret in ["test-callback-secret-0123456788", "guess"] {
        let (status, _) = t.post_json(&t.url(secret, "order"), &held_callback).await;
        assert_eq!(status, 403);
    }
    assert_eq!(t.inbox().await, (0, 0));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Pending as i32
    );

    // The right secret: the order is re-read from Panhe and is HELD.
    let (status, answer) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"success": true, "msg": "success"})
    );
    let held = get(&t.app, &booked.order_id).await;
    assert_eq!(held.status, pb::OrderStatus::Held as i32);
    let held_events = t.events(&booked.order_id).await;
    assert_eq!(held_events, created_events + 1);
    assert_eq!(t.inbox().await, (1, 1));

    // Paid: Panhe issues, but its callbacks are dropped.
    confirm(&t.app, "callbacks-scripted-pay", &held).await;
    t.dropped_callback(&order_no, 8).await;
    let issuing_events = t.events(&booked.order_id).await;

    // The HELD callback again (a redelivery) is acknowledged and dropped:
    // no re-read, so the order stays ISSUING and gets no event.
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Issuing as i32
    );
    assert_eq!(t.events(&booked.order_id).await, issuing_events);
    assert_eq!(t.inbox().await, (1, 1));

    // The issue callback, as a form this time, brings ISSUED; its
    // redelivery changes nothing.
    let form = format!(
        "orderNo={order_no}&customerOrderNo={}&orderStatus=8",
        held_callback["customerOrderNo"].as_str().unwrap()
    );
    for _ in 0..2 {
        let (status, _) = t.post_form(&t.url(SECRET, "order"), &form).await;
        assert_eq!(status, 200);
        assert_eq!(
            get(&t.app, &booked.order_id).await.status,
            pb::OrderStatus::Issued as i32
        );
        assert_eq!(t.events(&booked.order_id).await, issuing_events + 1);
        assert_eq!(t.inbox().await, (2, 2));
    }

    // An order railgate never booked: acknowledged, nothing stored.
    let stranger = serde_json::json!({
        "notifyType": "refund", "orderNo": "T99991231235959999", "customerOrderNo": "not-ours",
        "ticketNo": "E999999999", "ticketStatus": 21,
    });
    let (status, _) = t.post_json(&t.url(SECRET, "refund"), &stranger).await;
    assert_eq!(status, 200);
    assert_eq!(t.inbox().await, (2, 2));
    let orders = t
        .store
        .list_orders(&OrderFilter::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(orders.orders.len(), 1);

    // A body without an order number is refused; other paths are not ours.
    let (status, _) = t
        .post_json(
            &t.url(SECRET, "order"),
            &serde_json::json!({"orderStatus": 2}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = t.post_json(&t.url(SECRET, "change"), &held_callback).await;
    assert_eq!(status, 404);
    assert_eq!(t.inbox().await, (2, 2));
}

#[tokio::test]
async fn a_failed_refresh_asks_for_a_retry_and_the_retry_is_processed() {
    let t = Scripted::start_with(|config| config.panhe.timeout_ms = 500).await;
    let booked = book(&t.app, "callbacks-retry").await;
    let held_callback = t.dropped_callback(&booked.provider_order_no, 2).await;

    // Panhe answers order detail too late: the callback gets a 500 and
    // nothing of it is written (its inbox entry is written with what it
    // brings, processed, or not at all).
    t.sim.set_response_delay(Some(Duration::from_secs(2)));
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 500);
    assert_eq!(t.inbox().await, (0, 0));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Pending as i32
    );

    // Panhe retries the same body: not dropped as a duplicate, processed.
    t.sim.set_response_delay(None);
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    assert_eq!(t.inbox().await, (1, 1));
    assert_eq!(
        get(&t.app, &booked.order_id).await.status,
        pb::OrderStatus::Held as i32
    );
}

#[tokio::test]
async fn a_callback_that_overtakes_the_booking_answer_is_adopted() {
    let t = Scripted::start_with(|config| config.panhe.timeout_ms = 500).await;
    // Panhe takes both orders but answers createOrder too late: railgate
    // has no Panhe number for either, as when a callback overtakes the
    // answer.
    t.sim.set_response_delay(Some(Duration::from_secs(2)));
    let ours = book(&t.app, "callbacks-overtaken").await;
    let other = book(&t.app, "callbacks-overtaken-other").await;
    t.sim.set_response_delay(None);
    for order in [&ours, &other] {
        assert_eq!(order.status, pb::OrderStatus::Unknown as i32);
        assert!(order.provider_order_no.is_empty(), "{order:?}");
    }
    let sim_order_no = async |order: &pb::Order| {
        let id = OrderId::parse(&order.order_id).unwrap();
        let stored = t.store.get_order(&id).await.unwrap().unwrap();
        t.sim
            .order_by_customer_no(&stored.customer_order_no)
            .unwrap()
            .order_no
    };
    let (ours_no, other_no) = (sim_order_no(&ours).await, sim_order_no(&other).await);
    let held_callback = t.dropped_callback(&ours_no, 2).await;

    // Our customer number with the other order's Panhe number: Panhe's
    // detail of that number names another customer order, so nothing is
    // adopted (and the inbox entry is processed: nothing to retry).
    let mut mismatched = held_callback.clone();
    mismatched["orderNo"] = Value::from(other_no.clone());
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &mismatched).await;
    assert_eq!(status, 200);
    let unchanged = get(&t.app, &ours.order_id).await;
    assert_eq!(unchanged.status, pb::OrderStatus::Unknown as i32);
    assert!(unchanged.provider_order_no.is_empty());

    // The real callback: found by our customer number, read by the Panhe
    // number it names, adopted at once (no retry, no reconciler).
    let (status, _) = t.post_json(&t.url(SECRET, "order"), &held_callback).await;
    assert_eq!(status, 200);
    let held = get(&t.app, &ours.order_id).await;
    assert_eq!(held.status, pb::OrderStatus::Held as i32);
    assert_eq!(held.provider_order_no, ours_no);
    assert!(held.total_amount_fen > 0);
    assert_eq!(t.inbox().await, (2, 2));
}
