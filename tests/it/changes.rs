//! Change (改签) through the gateway: apply, then confirm or cancel.

use crate::booking::{app, issued_order, offer_on, wait_for};
use crate::scripted::{Scripted, book, confirm, wait_status, wait_until};
use crate::support::{TestApp, details};
use railgate::proto::{self as pb};
use tonic::Code;

/// Waits until the change `change_id` of the order has `status`.
async fn wait_for_change(
    app: &TestApp,
    order_id: &str,
    change_id: &str,
    status: pb::ChangeStatus,
) -> pb::Order {
    wait_for(app, order_id, |order| {
        order
            .changes
            .iter()
            .any(|change| change.change_id == change_id && change.status == status as i32)
    })
    .await
}

/// Waits until the change `change_id` is held; the change as it is then.
async fn held_change(app: &TestApp, order_id: &str, change_id: &str) -> pb::ChangeOrder {
    let order = wait_for_change(app, order_id, change_id, pb::ChangeStatus::Held).await;
    order
        .changes
        .into_iter()
        .find(|change| change.change_id == change_id)
        .expect("the held change")
}

/// Applies for the change of `ticket_id` to `offer_id`; the new change.
async fn apply_change(
    app: &TestApp,
    key: &str,
    order_id: &str,
    ticket_id: &str,
    offer_id: &str,
) -> pb::ChangeOrder {
    app.booking()
        .change(pb::ChangeRequest {
            idempotency_key: key.into(),
            order_id: order_id.into(),
            ticket_ids: vec![ticket_id.into()],
            offer_id: offer_id.into(),
            remark: "行程有变".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .change
        .unwrap()
}

/// Confirms a held change, paying what it asks.
async fn confirm_change(app: &TestApp, key: &str, order_id: &str, held: &pb::ChangeOrder) {
    app.booking()
        .confirm_change(pb::ConfirmChangeRequest {
            idempotency_key: key.into(),
            order_id: order_id.into(),
            change_id: held.change_id.clone(),
            expected_amount_fen: held.need_to_pay_fen,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn change_then_confirm_and_change_then_cancel() {
    let app = app().await;
    let issued = issued_order(&app, "change-flow").await;
    let offer_id = offer_on(&app, 5).await.offer_id;

    let applied = app
        .booking()
        .change(pb::ChangeRequest {
            idempotency_key: "change-1".into(),
            order_id: issued.order_id.clone(),
            ticket_ids: vec![issued.tickets[0].ticket_id.clone()],
            offer_id: offer_id.clone(),
            remark: "行程有变".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let change = applied.change.unwrap();
    assert_eq!(change.status, pb::ChangeStatus::Pending as i32);
    assert!(!change.provider_change_no.is_empty());
    assert_eq!(
        applied.order.unwrap().tickets[0].status,
        pb::TicketStatus::Changing as i32
    );

    let held_change = held_change(&app, &issued.order_id, &change.change_id).await;
    assert!(!held_change.confirm_deadline.is_empty());
    // A complete quote before anything is paid: the new fare, the fare
    // difference, the change fee and its rate, what is to pay or to come
    // back, and how the fares compare.
    assert!(held_change.new_fare_fen > 0, "{held_change:?}");
    assert_eq!(
        held_change.price_difference_fen,
        held_change.new_fare_fen - issued.tickets[0].price_fen
    );
    // A fee is due exactly when a rate is (the simulator's reading of
    // 12306: no change fee this far ahead).
    assert_eq!(
        held_change.change_fee_rate_bps == 0,
        held_change.change_fee_fen == 0,
        "{held_change:?}"
    );
    assert_ne!(
        held_change.price_change,
        pb::PriceChange::Unspecified as i32
    );
    assert!(
        held_change.need_to_pay_fen > 0
            || held_change.refund_due_fen > 0
            || held_change.price_difference_fen == 0
    );
    app.booking()
        .confirm_change(pb::ConfirmChangeRequest {
            idempotency_key: "change-1-confirm".into(),
            order_id: issued.order_id.clone(),
            change_id: change.change_id.clone(),
            expected_amount_fen: held_change.need_to_pay_fen,
        })
        .await
        .unwrap();
    let changed = wait_for_change(
        &app,
        &issued.order_id,
        &change.change_id,
        pb::ChangeStatus::Issued,
    )
    .await;
    assert_eq!(
        changed.tickets[0].status,
        pb::TicketStatus::Changed as i32,
        "{:?}",
        changed.tickets[0]
    );

    // A changed ticket cannot change again.
    let status = app
        .booking()
        .change(pb::ChangeRequest {
            idempotency_key: "change-again".into(),
            order_id: issued.order_id.clone(),
            ticket_ids: vec![issued.tickets[0].ticket_id.clone()],
            offer_id: offer_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "TICKET_STATE"
    );

    // The other ticket: apply, then cancel.
    let second = app
        .booking()
        .change(pb::ChangeRequest {
            idempotency_key: "change-2".into(),
            order_id: issued.order_id.clone(),
            ticket_ids: vec![issued.tickets[1].ticket_id.clone()],
            offer_id,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .change
        .unwrap();
    wait_for_change(
        &app,
        &issued.order_id,
        &second.change_id,
        pb::ChangeStatus::Held,
    )
    .await;
    let cancelled = app
        .booking()
        .cancel_change(pb::CancelChangeRequest {
            idempotency_key: "change-2-cancel".into(),
            order_id: issued.order_id.clone(),
            change_id: second.change_id.clone(),
            remark: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let change = cancelled
        .changes
        .iter()
        .find(|c| c.change_id == second.change_id)
        .unwrap();
    assert_eq!(change.status, pb::ChangeStatus::Cancelled as i32);

    // A change id the order does not have is named as such.
    let unknown = railgate::domain::ChangeId::new();
    let status = app
        .booking()
        .confirm_change(pb::ConfirmChangeRequest {
            idempotency_key: "change-unknown".into(),
            order_id: issued.order_id.clone(),
            change_id: unknown.as_str().to_owned(),
            expected_amount_fen: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let info = details(&status).error_info().unwrap().clone();
    assert_eq!(info.reason, "CHANGE_NOT_FOUND");
    assert_eq!(info.metadata["change_id"], unknown.as_str());
}

#[tokio::test]
async fn a_changed_ticket_is_in_force_with_its_money_and_is_refunded_by_its_new_number() {
    let app = app().await;
    let issued = issued_order(&app, "change-refund").await;
    let original = issued.tickets[0].clone();
    let offer_id = offer_on(&app, 5).await.offer_id;
    let change = apply_change(
        &app,
        "cr-apply",
        &issued.order_id,
        &original.ticket_id,
        &offer_id,
    )
    .await;
    let held_change = held_change(&app, &issued.order_id, &change.change_id).await;
    assert_eq!(held_change.origin, pb::ChangeOrigin::Railgate as i32);
    assert_ne!(
        held_change.price_change,
        pb::PriceChange::Unspecified as i32,
        "{held_change:?}"
    );
    confirm_change(&app, "cr-confirm-change", &issued.order_id, &held_change).await;
    let changed = wait_for_change(
        &app,
        &issued.order_id,
        &change.change_id,
        pb::ChangeStatus::Issued,
    )
    .await;
    // The new ticket is in force; the original is kept as replaced.
    let ticket = &changed.tickets[0];
    let replaced = ticket.replaced.as_ref().expect("the replaced ticket");
    assert_eq!(replaced.change_id, change.change_id);
    assert_eq!(replaced.ticket_number, original.ticket_number);
    assert_eq!(replaced.price_fen, original.price_fen);
    assert!(!ticket.ticket_number.is_empty());
    assert_ne!(ticket.ticket_number, original.ticket_number);
    let issued_change = changed
        .changes
        .iter()
        .find(|c| c.change_id == change.change_id)
        .unwrap();
    assert_eq!(
        issued_change.price_difference_fen,
        ticket.price_fen - original.price_fen,
        "{issued_change:?}"
    );

    // Panhe refunds a changed ticket only by its new number.
    app.booking()
        .refund(pb::RefundRequest {
            idempotency_key: "cr-refund".into(),
            order_id: issued.order_id.clone(),
            ticket_id: original.ticket_id.clone(),
            remark: "plans changed".into(),
            quote_id: String::new(),
        })
        .await
        .unwrap();
    let refunded = wait_for(&app, &issued.order_id, |order| {
        order.tickets[0].status == pb::TicketStatus::Refunded as i32
    })
    .await;
    let ticket = &refunded.tickets[0];
    assert!(ticket.refund_amount_fen > 0, "{ticket:?}");
    assert_eq!(
        ticket.refund_amount_fen + ticket.refund_fee_fen,
        ticket.price_fen,
        "refunded at the new ticket's price: {ticket:?}"
    );
    assert!(ticket.replaced.is_some());
}

#[tokio::test]
async fn a_change_whose_answer_was_lost_is_found_in_the_detail_and_confirmed() {
    let scripted = Scripted::start_with(|config| {
        config.panhe.timeout_ms = 500;
        config.orders.reconcile_interval_ms = 100;
    })
    .await;
    let app = &scripted.app;
    let booked = book(app, "lost-change").await;
    let held = wait_status(app, &booked.order_id, pb::OrderStatus::Held).await;
    confirm(app, "lost-change-confirm", &held).await;
    let issued = wait_status(app, &booked.order_id, pb::OrderStatus::Issued).await;
    let offer_id = offer_on(app, 5).await.offer_id;

    // Panhe makes the change but its answer comes after railgate gave up.
    scripted
        .sim
        .set_response_delay(Some(std::time::Duration::from_secs(2)));
    let change = apply_change(
        app,
        "lost-change-apply",
        &issued.order_id,
        &issued.tickets[0].ticket_id,
        &offer_id,
    )
    .await;
    scripted.sim.set_response_delay(None);
    assert!(change.provider_change_no.is_empty(), "{change:?}");

    // The reconciler reads the detail and recognises the change by its
    // train and ticket: it gets Panhe's number and moves on.
    let found = wait_until(app, &issued.order_id, "the change's number", |order| {
        order.changes.iter().any(|c| {
            c.change_id == change.change_id
                && !c.provider_change_no.is_empty()
                && c.status == pb::ChangeStatus::Held as i32
        })
    })
    .await;
    assert_eq!(found.changes.len(), 1, "no second change: {found:?}");
    let held_change = &found.changes[0];
    assert_eq!(held_change.origin, pb::ChangeOrigin::Railgate as i32);
    confirm_change(
        app,
        "lost-change-confirm-change",
        &issued.order_id,
        held_change,
    )
    .await;
    wait_until(app, &issued.order_id, "the change issued", |order| {
        order.changes[0].status == pb::ChangeStatus::Issued as i32
            && order.tickets[0].replaced.is_some()
    })
    .await;
}
