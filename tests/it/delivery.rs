//! Callback delivery faults, end to end against a standalone Panhe
//! simulator: with every callback dropped, the reconciler alone brings
//! orders to their final states; with every callback delivered twice and
//! out of order, each order's event history is the one clean delivery
//! leaves.

use crate::booking::offer_on;
use crate::scripted::{Scripted, book, confirm, eventually, get, wait_status, wait_until};
use railgate::domain::{ChangeStatus, OrderEvent, OrderEventKind, OrderStatus, TicketStatus};
use railgate::proto::{self as pb};
use railgate_sim::panhe::PanheSimConfig;
use railgate_sim::panhe::orders::{CallbackMode, CallbackRecord};
use serde_json::Value;

/// A reconciler round every 100 ms: a dropped callback costs little.
const RECONCILE_MS: u64 = 100;

fn sim_at(clock_scale: f64) -> PanheSimConfig {
    PanheSimConfig {
        clock_scale,
        ..PanheSimConfig::default()
    }
}

/// The orders one journey leaves in final states.
struct Journey {
    /// Issued, then ticket 0 refunded and ticket 1 changed (confirmed).
    travelled: pb::Order,
    /// Held, then cancelled.
    cancelled: pb::Order,
}

/// Book → held → confirm → issued; refund ticket 0; change ticket 1 and
/// confirm the change; and a second order booked and cancelled. Each step
/// waits (with a deadline) until railgate shows the provider's answer,
/// however it learned it.
async fn travel(t: &Scripted, prefix: &str) -> Journey {
    let app = &t.app;
    let booked = book(app, &format!("{prefix}-travel")).await;
    let id = booked.order_id.clone();
    let held = wait_status(app, &id, pb::OrderStatus::Held).await;
    confirm(app, &format!("{prefix}-pay"), &held).await;
    let issued = wait_status(app, &id, pb::OrderStatus::Issued).await;

    app.booking()
        .refund(pb::RefundRequest {
            idempotency_key: format!("{prefix}-refund"),
            order_id: id.clone(),
            ticket_id: issued.tickets[0].ticket_id.clone(),
            remark: String::new(),
            quote_id: String::new(),
        })
        .await
        .unwrap();
    wait_until(app, &id, "ticket 0 REFUNDED", |order| {
        order.tickets[0].status == pb::TicketStatus::Refunded as i32
    })
    .await;

    let change = app
        .booking()
        .change(pb::ChangeRequest {
            idempotency_key: format!("{prefix}-change"),
            order_id: id.clone(),
            ticket_ids: vec![issued.tickets[1].ticket_id.clone()],
            offer_id: offer_on(app, 5).await.offer_id,
            remark: "行程有变".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .change
        .unwrap();
    let change_is = |status: pb::ChangeStatus| {
        let change_id = change.change_id.clone();
        move |order: &pb::Order| {
            order
                .changes
                .iter()
                .any(|c| c.change_id == change_id && c.status == status as i32)
        }
    };
    let change_held = wait_until(app, &id, "change HELD", change_is(pb::ChangeStatus::Held)).await;
    let need_to_pay = change_held
        .changes
        .iter()
        .find(|c| c.change_id == change.change_id)
        .unwrap()
        .need_to_pay_fen;
    app.booking()
        .confirm_change(pb::ConfirmChangeRequest {
            idempotency_key: format!("{prefix}-change-pay"),
            order_id: id.clone(),
            change_id: change.change_id.clone(),
            expected_amount_fen: need_to_pay,
        })
        .await
        .unwrap();
    wait_until(app, &id, "change ISSUED", |order| {
        change_is(pb::ChangeStatus::Issued)(order)
            && order.tickets[1].status == pb::TicketStatus::Changed as i32
    })
    .await;

    let other = book(app, &format!("{prefix}-cancel")).await;
    wait_status(app, &other.order_id, pb::OrderStatus::Held).await;
    let cancelled = app
        .booking()
        .cancel(pb::CancelRequest {
            idempotency_key: format!("{prefix}-cancel-it"),
            order_id: other.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(cancelled.status, pb::OrderStatus::Cancelled as i32);

    Journey {
        travelled: get(app, &id).await,
        cancelled,
    }
}

/// The callbacks the simulator made for `order`.
fn callbacks_of<'a>(records: &'a [CallbackRecord], order: &pb::Order) -> Vec<&'a CallbackRecord> {
    records
        .iter()
        .filter(|record| record.body["orderNo"] == order.provider_order_no.as_str())
        .collect()
}

/// Proof that the reconciler, not a callback, did the work: the simulator
/// made callbacks of every `kinds` for the order, dropped them all, and
/// railgate's inbox never saw one.
async fn assert_all_dropped(t: &Scripted, order: &pb::Order, kinds: &[&str]) {
    let records = t.sim.callbacks();
    let mine = callbacks_of(&records, order);
    for kind in kinds {
        assert!(
            mine.iter().any(|record| record.body["notifyType"] == *kind),
            "no {kind} callback: {mine:#?}"
        );
    }
    for record in mine {
        assert!(
            record.dropped && !record.delivered && record.attempts == 0,
            "{record:?}"
        );
    }
    assert_eq!(t.inbox().await, (0, 0), "no callback reached railgate");
}

#[tokio::test]
async fn with_every_callback_dropped_the_reconciler_settles_orders() {
    let t = Scripted::launch(sim_at(60.0), CallbackMode::Drop, |config| {
        config.orders.reconcile_interval_ms = RECONCILE_MS;
    })
    .await;
    let journey = travel(&t, "dropped").await;

    let travelled = &journey.travelled;
    assert_eq!(travelled.status, pb::OrderStatus::Issued as i32);
    let tickets: Vec<i32> = travelled.tickets.iter().map(|t| t.status).collect();
    assert_eq!(
        tickets,
        [
            pb::TicketStatus::Refunded as i32,
            pb::TicketStatus::Changed as i32
        ]
    );
    assert_eq!(travelled.changes.len(), 1);
    assert_eq!(travelled.changes[0].status, pb::ChangeStatus::Issued as i32);
    assert_all_dropped(&t, travelled, &["order", "refund", "change"]).await;
    assert_all_dropped(&t, &journey.cancelled, &["order"]).await;
}

#[tokio::test]
async fn with_every_callback_dropped_an_unpaid_order_still_expires() {
    // Provider time at 600×: the 10-minute pay window lasts one second.
    let t = Scripted::launch(sim_at(600.0), CallbackMode::Drop, |config| {
        config.orders.reconcile_interval_ms = RECONCILE_MS;
    })
    .await;
    let booked = book(&t.app, "dropped-expire").await;
    let expired = wait_status(&t.app, &booked.order_id, pb::OrderStatus::Expired).await;
    for ticket in &expired.tickets {
        assert_eq!(
            ticket.status,
            pb::TicketStatus::Cancelled as i32,
            "{ticket:?}"
        );
    }
    // Held, then cancelled by the pay window: both callbacks dropped.
    let records = t.sim.callbacks();
    let statuses: Vec<&Value> = callbacks_of(&records, &expired)
        .iter()
        .map(|record| &record.body["orderStatus"])
        .collect();
    assert_eq!(statuses, [&Value::from(2), &Value::from(5)]);
    assert_all_dropped(&t, &expired, &["order"]).await;
}

/// One event as the comparison sees it: what kind, and the statuses right
/// after (no timestamps, ids or provider numbers, which differ per run).
#[derive(Debug, PartialEq)]
struct Step {
    kind: OrderEventKind,
    status: OrderStatus,
    tickets: Vec<TicketStatus>,
    changes: Vec<ChangeStatus>,
}

fn steps(events: &[OrderEvent]) -> Vec<Step> {
    events
        .iter()
        .map(|event| Step {
            kind: event.kind,
            status: event.order.status,
            tickets: event.order.tickets.iter().map(|t| t.status).collect(),
            changes: event.order.changes.iter().map(|c| c.status).collect(),
        })
        .collect()
}

/// What one run of the journey leaves: each order's event history and
/// the callbacks the provider made (type and status only), in order.
#[derive(Debug, PartialEq)]
struct Outcome {
    travelled: Vec<Step>,
    cancelled: Vec<Step>,
    callbacks: Vec<Vec<String>>,
}

/// A callback's type and the status it announces.
fn announced(record: &CallbackRecord) -> String {
    let body = &record.body;
    let status = ["orderStatus", "ticketStatus", "chaOrderStatus"]
        .iter()
        .find_map(|key| body.get(*key))
        .map(Value::to_string)
        .unwrap_or_default();
    format!("{}:{status}", body["notifyType"].as_str().unwrap_or(""))
}

/// The journey with callbacks in `mode` and no reconciler: callbacks are
/// all railgate hears from the provider.
async fn journey_with(mode: CallbackMode) -> Outcome {
    let t = Scripted::launch(sim_at(60.0), mode, |_| {}).await;
    let journey = travel(&t, "journey").await;
    let copies = if mode == CallbackMode::DuplicateLate {
        2
    } else {
        1
    };
    // railgate answers a callback after processing it, so once every copy
    // is answered nothing is still in flight.
    let records = eventually("every callback answered", async || {
        let records = t.sim.callbacks();
        records
            .iter()
            .all(|record| record.deliveries.len() == copies)
            .then_some(records)
    })
    .await;
    assert!(!records.is_empty());
    if mode == CallbackMode::DuplicateLate {
        // Out of order: some stale copy arrived after a newer callback of
        // the same order.
        let stale_after_newer = [&journey.travelled, &journey.cancelled]
            .iter()
            .any(|order| {
                callbacks_of(&records, order)
                    .windows(2)
                    .any(|pair| pair[0].deliveries[1] > pair[1].deliveries[0])
            });
        assert!(stale_after_newer, "{records:#?}");
    }
    // Copies carry the same body: one inbox row each, all processed.
    let distinct = i64::try_from(records.len()).unwrap();
    assert_eq!(t.inbox().await, (distinct, distinct));

    let travelled = t.history(&journey.travelled.order_id).await;
    let cancelled = t.history(&journey.cancelled.order_id).await;
    Outcome {
        travelled: steps(&travelled),
        cancelled: steps(&cancelled),
        callbacks: [&journey.travelled, &journey.cancelled]
            .iter()
            .map(|order| {
                callbacks_of(&records, order)
                    .into_iter()
                    .map(announced)
                    .collect()
            })
            .collect(),
    }
}

#[tokio::test]
async fn duplicated_late_callbacks_leave_the_history_of_clean_delivery() {
    let clean = journey_with(CallbackMode::Deliver).await;
    let duplicated = journey_with(CallbackMode::DuplicateLate).await;
    assert_eq!(clean, duplicated);
}
