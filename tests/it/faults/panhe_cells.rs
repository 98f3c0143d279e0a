//! The Panhe rows: every endpoint the adapter calls for an order's life,
//! each under one fault, each on a fresh order made without faults.

use super::group::Group;
use super::mutation::{AtSimulator, Mutation};
use super::observe::{Row, change_is, first_ticket, newest_change, order_of, order_status, settle};
use super::proxy::Fault;
use super::reads;
use crate::booking::book_request;
use railgate::proto::{self as pb};
use railgate_sim::panhe::orders::OrderDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanheOp {
    Search,
    Stops,
    Book,
    Confirm,
    Cancel,
    Refund,
    ChangeApply,
    ChangeConfirm,
    ChangeCancel,
    OrderDetail,
}

impl PanheOp {
    pub const ALL: [PanheOp; 10] = [
        PanheOp::Search,
        PanheOp::Stops,
        PanheOp::Book,
        PanheOp::Confirm,
        PanheOp::Cancel,
        PanheOp::Refund,
        PanheOp::ChangeApply,
        PanheOp::ChangeConfirm,
        PanheOp::ChangeCancel,
        PanheOp::OrderDetail,
    ];

    /// The endpoint (railgate's default Panhe paths).
    pub fn path(self) -> &'static str {
        match self {
            PanheOp::Search => "/train/queryTickets",
            PanheOp::Stops => "/train/queryStopStationsV2",
            PanheOp::Book => "/train/createOrder",
            PanheOp::Confirm => "/train/confirmOrder",
            PanheOp::Cancel => "/train/cancelOrder",
            PanheOp::Refund => "/train/refundTicket",
            PanheOp::ChangeApply => "/train/applyChange",
            PanheOp::ChangeConfirm => "/train/confirmChange",
            PanheOp::ChangeCancel => "/train/cancelChange",
            PanheOp::OrderDetail => "/train/orderDetail",
        }
    }

    /// The RPC and the endpoint, as the table shows them.
    pub fn label(self) -> &'static str {
        match self {
            PanheOp::Search => "Search → queryTickets",
            PanheOp::Stops => "GetStops → queryStopStationsV2",
            PanheOp::Book => "Book → createOrder",
            PanheOp::Confirm => "Confirm → confirmOrder",
            PanheOp::Cancel => "Cancel → cancelOrder",
            PanheOp::Refund => "Refund → refundTicket",
            PanheOp::ChangeApply => "Change → applyChange",
            PanheOp::ChangeConfirm => "ConfirmChange → confirmChange",
            PanheOp::ChangeCancel => "CancelChange → cancelChange",
            PanheOp::OrderDetail => "reconciler → orderDetail",
        }
    }
}

/// Runs one Panhe cell; `tag` makes its idempotency keys unique.
pub async fn run(group: &Group, op: PanheOp, fault: Fault, tag: &str) -> Row {
    let row = Row::new("Panhe", op.label(), fault);
    let proxy = &group.panhe_proxy;
    match op {
        PanheOp::Search => reads::search(group, proxy, pb::Provider::Panhe, op.path(), row).await,
        PanheOp::Stops => {
            let offer = offer(group, 3).await;
            reads::stops(group, proxy, &offer.offer_id, op.path(), row).await
        }
        PanheOp::OrderDetail => {
            let held = held(group, tag).await;
            reads::reconciled(group, proxy, "panhe", op.path(), &held.order_id, row).await
        }
        _ => mutation(group, op, tag, row).await,
    }
}

async fn mutation(group: &Group, op: PanheOp, tag: &str, row: Row) -> Row {
    let app = &group.app;
    let before = group.panhe.order_count();
    let key = format!("{tag}-op");
    let mut cell = Mutation {
        row,
        group,
        proxy: &group.panhe_proxy,
        path: op.path(),
        detail_path: PanheOp::OrderDetail.path(),
        order_id: None,
        done: |order| order.status == pb::OrderStatus::Held as i32,
        show: order_status,
        reconciled: true,
        send_limit: 1,
    };
    let view = move |effect: fn(Option<&OrderDetail>, usize) -> bool| {
        move |order: Option<&pb::Order>| at_simulator(group, before, order, effect)
    };
    match op {
        PanheOp::Book => {
            let offer = offer(group, 3).await;
            cell.reconciled = false;
            cell.send_limit = 2;
            let request = book_request(&key, &offer.offer_id);
            cell.run(
                async || order_of(app.booking().book(request.clone()).await),
                view(|_, bookings| bookings > 0),
            )
            .await
        }
        PanheOp::Confirm => {
            let held = held(group, tag).await;
            cell.order_id = Some(held.order_id.clone());
            cell.done = |order| order.status == pb::OrderStatus::Issued as i32;
            cell.run(
                async || confirm(group, &key, &held).await,
                view(|detail, _| detail.is_some_and(|detail| detail.pay_time.is_some())),
            )
            .await
        }
        PanheOp::Cancel => {
            let held = held(group, tag).await;
            cell.order_id = Some(held.order_id.clone());
            cell.done = |order| order.status == pb::OrderStatus::Cancelled as i32;
            let request = pb::CancelRequest {
                idempotency_key: key.clone(),
                order_id: held.order_id.clone(),
            };
            cell.run(
                async || order_of(app.booking().cancel(request.clone()).await),
                view(|detail, _| detail.is_some_and(|detail| detail.order_status == 5)),
            )
            .await
        }
        PanheOp::Refund => {
            let issued = issued(group, tag).await;
            cell.order_id = Some(issued.order_id.clone());
            cell.done = |order| order.tickets[0].status == pb::TicketStatus::Refunded as i32;
            cell.show = first_ticket;
            let request = pb::RefundRequest {
                idempotency_key: key.clone(),
                order_id: issued.order_id.clone(),
                ticket_id: issued.tickets[0].ticket_id.clone(),
                ..Default::default()
            };
            cell.run(
                async || order_of(app.booking().refund(request.clone()).await),
                view(|detail, _| detail.is_some_and(|detail| refunds(detail) > 0)),
            )
            .await
        }
        PanheOp::ChangeApply => {
            let issued = issued(group, tag).await;
            let request = change_request(group, &key, &issued).await;
            cell.order_id = Some(issued.order_id.clone());
            cell.done = |order| change_is(order, pb::ChangeStatus::Held);
            cell.show = newest_change;
            cell.run(
                async || order_of(app.booking().change(request.clone()).await),
                view(|detail, _| detail.is_some_and(|detail| !detail.train_cha_order.is_empty())),
            )
            .await
        }
        PanheOp::ChangeConfirm | PanheOp::ChangeCancel => {
            let (order, change) = held_change(group, tag).await;
            cell.order_id = Some(order.order_id.clone());
            cell.show = newest_change;
            if op == PanheOp::ChangeConfirm {
                cell.done = |order| change_is(order, pb::ChangeStatus::Issued);
                let request = pb::ConfirmChangeRequest {
                    idempotency_key: key.clone(),
                    order_id: order.order_id.clone(),
                    change_id: change.change_id.clone(),
                    expected_amount_fen: change.need_to_pay_fen,
                };
                cell.run(
                    async || order_of(app.booking().confirm_change(request.clone()).await),
                    view(|detail, _| {
                        detail.is_some_and(|detail| {
                            detail
                                .train_cha_order
                                .iter()
                                .any(|change| matches!(change.cha_order_status, 33..=35))
                        })
                    }),
                )
                .await
            } else {
                cell.done = |order| change_is(order, pb::ChangeStatus::Cancelled);
                let request = pb::CancelChangeRequest {
                    idempotency_key: key.clone(),
                    order_id: order.order_id.clone(),
                    change_id: change.change_id.clone(),
                    remark: "行程取消".into(),
                };
                cell.run(
                    async || order_of(app.booking().cancel_change(request.clone()).await),
                    view(|detail, _| {
                        detail.is_some_and(|detail| {
                            detail
                                .train_cha_order
                                .iter()
                                .any(|change| change.cha_order_status == 37)
                        })
                    }),
                )
                .await
            }
        }
        PanheOp::Search | PanheOp::Stops | PanheOp::OrderDetail => unreachable!("reads"),
    }
}

/// Bookings, payments, changes and refunds of the cell at the simulator.
fn at_simulator(
    group: &Group,
    before: usize,
    order: Option<&pb::Order>,
    effect: fn(Option<&OrderDetail>, usize) -> bool,
) -> AtSimulator {
    let bookings = group.panhe.order_count() - before;
    let detail = order
        .filter(|order| !order.provider_order_no.is_empty())
        .and_then(|order| group.panhe.order(&order.provider_order_no));
    let confirmed_changes = detail.as_ref().map_or(0, |detail| {
        detail
            .train_cha_order
            .iter()
            .filter(|change| matches!(change.cha_order_status, 33..=35))
            .count()
    });
    AtSimulator {
        effect: effect(detail.as_ref(), bookings),
        bookings,
        payments: detail
            .as_ref()
            .map_or(0, |detail| usize::from(detail.pay_time.is_some()))
            + confirmed_changes,
        changes: detail
            .as_ref()
            .map_or(0, |detail| detail.train_cha_order.len()),
        refunds: detail.as_ref().map_or(0, refunds),
    }
}

/// Tickets refunded or being refunded (退票中 and after).
fn refunds(detail: &OrderDetail) -> usize {
    detail
        .train_tickets
        .iter()
        .filter(|ticket| matches!(ticket.ticket_status, 20..=23))
        .count()
}

/// A second-class Panhe offer with two seats left, `days` out.
pub async fn offer(group: &Group, days: i64) -> pb::SeatOffer {
    reads::offer(group, pb::Provider::Panhe, days).await
}

async fn confirm(group: &Group, key: &str, held: &pb::Order) -> Result<pb::Order, tonic::Status> {
    let answer = group
        .app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: key.into(),
            order_id: held.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await;
    order_of(answer)
}

/// A Panhe order with its seats held (no fault armed).
async fn held(group: &Group, tag: &str) -> pb::Order {
    let offer = offer(group, 3).await;
    let booked = order_of(
        group
            .app
            .booking()
            .book(book_request(&format!("{tag}-book"), &offer.offer_id))
            .await,
    )
    .expect("the fixture's Book answers");
    fixture(group, &booked.order_id, "HELD", |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await
}

/// A Panhe order issued (no fault armed).
async fn issued(group: &Group, tag: &str) -> pb::Order {
    let held = held(group, tag).await;
    confirm(group, &format!("{tag}-pay"), &held)
        .await
        .expect("the fixture's Confirm answers");
    fixture(group, &held.order_id, "ISSUED", |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await
}

/// A Change of the first ticket of `issued` to a train two days later.
async fn change_request(group: &Group, key: &str, issued: &pb::Order) -> pb::ChangeRequest {
    let offer = offer(group, 5).await;
    pb::ChangeRequest {
        idempotency_key: key.into(),
        order_id: issued.order_id.clone(),
        ticket_ids: vec![issued.tickets[0].ticket_id.clone()],
        offer_id: offer.offer_id,
        remark: "行程有变".into(),
        ..Default::default()
    }
}

/// An issued order with a held change of its first ticket.
pub async fn held_change(group: &Group, tag: &str) -> (pb::Order, pb::ChangeOrder) {
    let issued = issued(group, tag).await;
    let request = change_request(group, &format!("{tag}-change"), &issued).await;
    group
        .app
        .booking()
        .change(request)
        .await
        .expect("the fixture's Change answers");
    let order = fixture(group, &issued.order_id, "change HELD", |order| {
        change_is(order, pb::ChangeStatus::Held)
    })
    .await;
    let change = order.changes.last().cloned().expect("the change");
    (order, change)
}

/// Waits for a fixture's state; a fixture that does not get there is a
/// broken test, not a finding.
async fn fixture(
    group: &Group,
    order_id: &str,
    what: &str,
    done: impl Fn(&pb::Order) -> bool,
) -> pb::Order {
    match settle(&group.app, order_id, done).await {
        Ok(order) => order,
        // Statuses only: the order's passengers stay out of the output.
        Err(order) => panic!(
            "fixture never {what}: {}, {}, {}",
            order_status(&order),
            first_ticket(&order),
            newest_change(&order)
        ),
    }
}
