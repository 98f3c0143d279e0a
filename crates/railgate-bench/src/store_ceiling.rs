//! The ceiling of the order scenarios: the store work of one order's
//! Book → Confirm → ISSUED, replayed straight on the store railgate used,
//! without gRPC, HTTP, the provider or any contention between writers of
//! one order.
//!
//! The Search scenarios have a no-work tonic server as their ceiling; an
//! order has no provider-free equivalent, but most of its cost on a small
//! host is the store: every statement is a hop to sqlx's connection
//! thread on SQLite and a round trip on PostgreSQL (the suite's "What one
//! order costs the store" counts them). Replaying the same store calls at
//! the same concurrency measures what the store alone allows, so the order
//! rows get a ratio like the others.
//!
//! The replay is the store calls railgate makes when nothing races (the
//! benchmark's simulator calls back while Book and Confirm are still
//! recording, so railgate also pays version conflicts and re-reads):
//!
//! | step | store calls |
//! | --- | --- |
//! | Book | claim key, insert order, update (Panhe's number) + complete key |
//! | hold callback | read by Panhe's number (with the inbox check), update (HELD, seats) + inbox entry |
//! | WatchOrder | read, events after the snapshot (×3 as events arrive) |
//! | Confirm | claim key, read, update (ISSUING) + complete key |
//! | issue callback | read by Panhe's number (with the inbox check), update (ISSUED, ticket numbers) + inbox entry |
//!
//! "+" is one transaction (`Store::update_order_alongside`, given the
//! order as read, so unchanged tickets are not rewritten, as railgate's
//! saves do).

use super::BenchError;
use super::load::{self, CallFuture, LoadPlan, Workload};
use super::report::Report;
use railgate::domain::{
    Order, OrderEventKind, OrderId, OrderStatus, ProviderId, TicketId, TicketStatus,
};
use railgate::store::{Alongside, Begin, OrderFilter, Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;

/// The ceiling's name in reports.
pub const STORE_CEILING: &str = "store alone";

/// Idempotency lease of the replayed claims (never runs out in a run).
const LEASE: Duration = Duration::from_secs(600);

/// Replays one order's store calls per call on the store at `store_url`
/// under `plan`, with orders shaped like one railgate issued there.
pub async fn measure(
    store_url: &str,
    channels: &[Channel],
    plan: LoadPlan,
) -> Result<Report, BenchError> {
    let setup = |error: StoreError| BenchError::Setup(format!("store: {error}"));
    let store = Store::connect(store_url).await.map_err(setup)?;
    let filter = OrderFilter {
        statuses: vec![OrderStatus::Issued],
        ..Default::default()
    };
    let template = store
        .list_orders(&filter, 1, None)
        .await
        .map_err(setup)?
        .orders
        .into_iter()
        .next()
        .ok_or_else(|| BenchError::Setup("no order was issued to copy".into()))?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    Ok(load::run(
        STORE_CEILING,
        replay(store, template, run_id),
        channels,
        plan,
    )
    .await)
}

/// A workload replaying one order's store calls per call, on `store`,
/// with orders shaped like `template` (an order railgate booked).
fn replay(store: Store, template: Order, run_id: String) -> Arc<dyn Workload> {
    let shared = Arc::new((store, template, run_id));
    Arc::new(move |_: &Channel, sequence: u64| -> CallFuture {
        let shared = shared.clone();
        Box::pin(async move {
            let (store, template, run_id) = &*shared;
            one_order(store, template, &format!("ceiling-{run_id}-{sequence}"))
                .await
                .map_err(|error| format!("store: {error}"))
        })
    })
}

/// The template order, reset to how Book first records it.
fn fresh(template: &Order, key: &str) -> Order {
    let mut order = template.clone();
    order.id = OrderId::new();
    for ticket in &mut order.tickets {
        ticket.id = TicketId::new();
    }
    order.customer_order_no = key.to_owned();
    order.provider_order_no = None;
    order.order_no_12306 = None;
    order.status = OrderStatus::Pending;
    order.status_reason = None;
    order.version = 0;
    order.last_sequence = 0;
    order
}

async fn one_order(store: &Store, template: &Order, key: &str) -> Result<(), StoreError> {
    let provider_order_no = format!("P{key}");

    // Book: the answer is recorded on the order as inserted, the key
    // completed in the same transaction.
    let book_key = format!("{key}-book");
    store
        .begin_idempotent(&book_key, "book", key.as_bytes(), LEASE)
        .await
        .and_then(owned)?;
    let mut order = fresh(template, key);
    store.insert_order(&mut order).await?;
    write(store, order, Alongside::completing(&book_key), |order| {
        order.provider_order_no = Some(provider_order_no.clone());
    })
    .await?;

    // Panhe's hold callback; the watcher opened by the client.
    let (order_id, mut seen) = callback(store, &provider_order_no, "held", |order| {
        order.status = OrderStatus::Held;
        for (seat, ticket) in order.tickets.iter_mut().enumerate() {
            ticket.status = TicketStatus::Held;
            ticket.coach = Some("05".to_owned());
            ticket.seat_number = Some(format!("{:02}A", seat + 1));
        }
    })
    .await?;
    let watched = read(store, &order_id).await?;
    seen = seen.max(events(store, &watched.id, 0).await?);

    // Confirm: the pay step reads the order and records the effect on
    // that read, completing the key with it.
    let confirm_key = format!("{key}-confirm");
    store
        .begin_idempotent(&confirm_key, "confirm", key.as_bytes(), LEASE)
        .await
        .and_then(owned)?;
    let paying = read(store, &order_id).await?;
    write(
        store,
        paying,
        Alongside::completing(&confirm_key),
        |order| order.status = OrderStatus::Issuing,
    )
    .await?;
    seen = seen.max(events(store, &order_id, seen).await?);

    // Panhe's issue callback; the watcher gets the last event.
    callback(store, &provider_order_no, "issued", |order| {
        order.status = OrderStatus::Issued;
        for ticket in &mut order.tickets {
            ticket.status = TicketStatus::Issued;
            ticket.ticket_number = Some(format!("E{provider_order_no}"));
        }
    })
    .await?;
    events(store, &order_id, seen).await?;
    Ok(())
}

/// A callback: read the order by Panhe's number (with whether the inbox
/// holds the callback already) and save it changed by `change` with the
/// callback written to the inbox, processed. Returns the order's id and
/// the new event's sequence.
async fn callback(
    store: &Store,
    provider_order_no: &str,
    what: &str,
    change: impl FnOnce(&mut Order),
) -> Result<(OrderId, i64), StoreError> {
    let dedupe_key = format!("order:{provider_order_no}:{what}");
    let (order, _) = store
        .find_order_for_callback(ProviderId::Panhe, provider_order_no, None, &dedupe_key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no order {provider_order_no}")))?;
    let order_id = order.id.clone();
    let recorded = Alongside::recording(ProviderId::Panhe, &dedupe_key, what.as_bytes());
    let sequence = write(store, order, recorded, change).await?;
    Ok((order_id, sequence))
}

/// Changes `order` (as read) and writes it with the optimistic version
/// and `alongside` (no conflicts here: each order has one writer).
async fn write(
    store: &Store,
    mut order: Order,
    alongside: Alongside<'_>,
    change: impl FnOnce(&mut Order),
) -> Result<i64, StoreError> {
    let before = order.clone();
    change(&mut order);
    let kind = OrderEventKind::between(&before, &order);
    store
        .update_order_alongside(Some(&before), &mut order, kind, &[], &alongside)
        .await
}

async fn read(store: &Store, order_id: &OrderId) -> Result<Order, StoreError> {
    store
        .get_order(order_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("order {} vanished", order_id.as_str())))
}

/// Events after `after` (a watcher catching up); the last sequence read.
async fn events(store: &Store, order_id: &OrderId, after: i64) -> Result<i64, StoreError> {
    let events = store.events_after(order_id, after).await?;
    Ok(events.last().map_or(after, |event| event.sequence))
}

fn owned(begin: Begin) -> Result<(), StoreError> {
    match begin {
        Begin::New | Begin::Resumed => Ok(()),
        _ => Err(StoreError::Corrupt("replayed key claimed twice".into())),
    }
}
