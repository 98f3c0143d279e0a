//! Orders for the detail and callback targets to apply answers to, made
//! once from the alitrip fixtures (two passengers, G1 北京南 → 上海虹桥) in
//! the states a provider's answer meets them in.

use crate::alitrip::fixtures;
use crate::domain::{Order, OrderStatus, ProviderId, Ticket};
use std::sync::LazyLock;

/// The fixture order as railgate records it before the provider answers:
/// no provider number, no amounts, tickets pending.
fn booked(provider: ProviderId, status: OrderStatus) -> Order {
    let mut order = fixtures::issued_order();
    order.provider = provider;
    order.status = status;
    order.provider_order_no = None;
    order.order_no_12306 = None;
    order.total_amount = None;
    order.ticket_amount = None;
    order.service_fee = None;
    order.channel = None;
    order.tickets = order
        .tickets
        .into_iter()
        .map(|ticket| Ticket::new(ticket.passenger, ticket.seat_class, ticket.berth))
        .collect();
    order
}

static PANHE: LazyLock<Vec<Order>> = LazyLock::new(|| {
    let mut held = booked(ProviderId::Panhe, OrderStatus::Held);
    held.provider_order_no = Some("T24012512251820419".into());
    vec![
        booked(ProviderId::Panhe, OrderStatus::Pending),
        held,
        fixtures::issued_order(),
    ]
});

static JUHE: LazyLock<Vec<Order>> = LazyLock::new(|| {
    let mut issued = fixtures::issued_order();
    issued.provider = ProviderId::Juhe;
    issued.channel = None;
    vec![
        booked(ProviderId::Juhe, OrderStatus::Pending),
        booked(ProviderId::Juhe, OrderStatus::Grabbing),
        issued,
    ]
});

/// Panhe orders: just booked, held, issued.
pub(super) fn panhe_orders() -> Vec<Order> {
    PANHE.clone()
}

/// Juhe orders numbered `out_order_no` (Juhe addresses an order by
/// railgate's number, and refuses a payload about another): just
/// submitted, grabbing, issued.
pub(super) fn juhe_orders(out_order_no: &str) -> Vec<Order> {
    let mut orders = JUHE.clone();
    for order in &mut orders {
        out_order_no.trim().clone_into(&mut order.customer_order_no);
    }
    orders
}
