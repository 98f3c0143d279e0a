//! The Juhe rows: search, the grab order's submit, its detail (read by
//! the reconciler), cancel while grabbing and the refund of an issued
//! ticket; each under one fault, on a fresh order made without faults.

use super::group::Group;
use super::mutation::{AtSimulator, Mutation};
use super::observe::{Row, first_ticket, order_of, order_status, settle};
use super::proxy::Fault;
use super::reads;
use crate::grab::{grab_request, hours_from_now};
use railgate::proto::{self as pb};
use railgate_sim::juhe::codes::OrderStatus as JuheStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JuheOp {
    Search,
    Book,
    OrderDetail,
    Cancel,
    Refund,
}

impl JuheOp {
    pub const ALL: [JuheOp; 5] = [
        JuheOp::Search,
        JuheOp::Book,
        JuheOp::OrderDetail,
        JuheOp::Cancel,
        JuheOp::Refund,
    ];

    /// The endpoint, under the simulator's base path.
    pub fn path(self) -> &'static str {
        match self {
            JuheOp::Search => "/grabTicket/action/search.php",
            JuheOp::Book => "/grabTicket/action/submitOrder.php",
            JuheOp::OrderDetail => "/grabTicket/action/orderDetail.php",
            JuheOp::Cancel => "/grabTicket/action/cancelOrder.php",
            JuheOp::Refund => "/grabTicket/action/applyRefundOrder.php",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JuheOp::Search => "Search → search",
            JuheOp::Book => "Book (grab) → submitOrder",
            JuheOp::OrderDetail => "reconciler → orderDetail",
            JuheOp::Cancel => "Cancel → cancelOrder",
            JuheOp::Refund => "Refund → applyRefundOrder",
        }
    }
}

/// Runs one Juhe cell; `tag` makes its idempotency keys unique.
pub async fn run(group: &Group, op: JuheOp, fault: Fault, tag: &str) -> Row {
    let row = Row::new("Juhe", op.label(), fault);
    let proxy = &group.juhe_proxy;
    match op {
        JuheOp::Search => reads::search(group, proxy, pb::Provider::Juhe, op.path(), row).await,
        JuheOp::OrderDetail => {
            let (grabbing, _) = grabbing(group, tag).await;
            reads::reconciled(group, proxy, "juhe", op.path(), &grabbing.order_id, row).await
        }
        _ => mutation(group, op, tag, row).await,
    }
}

async fn mutation(group: &Group, op: JuheOp, tag: &str, row: Row) -> Row {
    let app = &group.app;
    let before = group.juhe.order_count();
    let key = format!("{tag}-op");
    let mut cell = Mutation {
        row,
        group,
        proxy: &group.juhe_proxy,
        path: op.path(),
        detail_path: JuheOp::OrderDetail.path(),
        order_id: None,
        done: |order| order.status == pb::OrderStatus::Issued as i32,
        show: order_status,
        reconciled: true,
        send_limit: 1,
    };
    match op {
        JuheOp::Book => {
            // On sale: the simulator issues it at its first attempt.
            let offer = reads::offer(group, pb::Provider::Juhe, 5).await;
            let request = grab_request(&key, &offer.offer_id, hours_from_now(48));
            let out_order_no = railgate::orders::customer_order_no(&key);
            cell.run(
                async || order_of(app.booking().book(request.clone()).await),
                |_| at_simulator(group, before, &out_order_no, |_, view| view.bookings > 0),
            )
            .await
        }
        JuheOp::Cancel => {
            let (grabbing, out_order_no) = grabbing(group, tag).await;
            cell.order_id = Some(grabbing.order_id.clone());
            cell.done = |order| order.status == pb::OrderStatus::Cancelled as i32;
            let request = pb::CancelRequest {
                idempotency_key: key.clone(),
                order_id: grabbing.order_id.clone(),
            };
            cell.run(
                async || order_of(app.booking().cancel(request.clone()).await),
                |_| {
                    at_simulator(group, before, &out_order_no, |status, _| {
                        status == Some(JuheStatus::Cancelled)
                    })
                },
            )
            .await
        }
        JuheOp::Refund => {
            let (issued, out_order_no) = issued(group, tag).await;
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
                |_| at_simulator(group, before, &out_order_no, |_, view| view.refunds > 0),
            )
            .await
        }
        JuheOp::Search | JuheOp::OrderDetail => unreachable!("reads"),
    }
}

/// The cell at the simulator; `effect` is asked of the order's status and
/// the counts. Juhe takes no payment call (a grab order is paid from the
/// account when issued).
fn at_simulator(
    group: &Group,
    before: usize,
    out_order_no: &str,
    effect: fn(Option<JuheStatus>, &AtSimulator) -> bool,
) -> AtSimulator {
    let mut view = AtSimulator {
        effect: false,
        bookings: group.juhe.order_count() - before,
        payments: 0,
        changes: 0,
        refunds: refunds(group, out_order_no),
    };
    view.effect = effect(group.juhe.order_status(out_order_no), &view);
    view
}

/// Passengers whose ticket is refunding, refunded or failed to refund
/// (C, T, O in the ticket view).
fn refunds(group: &Group, out_order_no: &str) -> usize {
    let Some(detail) = group.juhe.order_detail(out_order_no, true) else {
        return 0;
    };
    detail["passengers"].as_array().map_or(0, |passengers| {
        passengers
            .iter()
            .filter(|passenger| {
                matches!(passenger["ticketStateCode"].as_str(), Some("C" | "T" | "O"))
            })
            .count()
    })
}

/// A grab order waiting for its date's presale (20 days out), with its
/// outOrderNo (no fault armed).
async fn grabbing(group: &Group, tag: &str) -> (pb::Order, String) {
    let offer = reads::offer(group, pb::Provider::Juhe, 20).await;
    let key = format!("{tag}-grab");
    let request = grab_request(&key, &offer.offer_id, hours_from_now(24 * 10));
    let order =
        order_of(group.app.booking().book(request).await).expect("the fixture's Book answers");
    let order = fixture(group, &order.order_id, pb::OrderStatus::Grabbing).await;
    (order, railgate::orders::customer_order_no(&key))
}

/// A grab order issued (5 days out: on sale), with its outOrderNo.
async fn issued(group: &Group, tag: &str) -> (pb::Order, String) {
    let offer = reads::offer(group, pb::Provider::Juhe, 5).await;
    let key = format!("{tag}-grab");
    let request = grab_request(&key, &offer.offer_id, hours_from_now(48));
    let order =
        order_of(group.app.booking().book(request).await).expect("the fixture's Book answers");
    let order = fixture(group, &order.order_id, pb::OrderStatus::Issued).await;
    (order, railgate::orders::customer_order_no(&key))
}

async fn fixture(group: &Group, order_id: &str, status: pb::OrderStatus) -> pb::Order {
    match settle(&group.app, order_id, |order| order.status == status as i32).await {
        Ok(order) => order,
        // Statuses only: the order's passengers stay out of the output.
        Err(order) => panic!(
            "fixture never {status:?}: {}, {}",
            order_status(&order),
            order.status_reason
        ),
    }
}
