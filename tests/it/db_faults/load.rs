//! A steady load of Books from several clients, each retrying a refused
//! Book with the same idempotency key (as the API asks) until it succeeds.

use crate::booking::book_request;
use crate::scripted::{Scripted, eventually, get};
use railgate::proto as pb;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tonic::Code;

/// A Book still refused this long after its first try fails the test.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// A refusal the API tells callers to retry with the same key: the
/// database out of reach, or an earlier attempt with the key still holding
/// its lease (its outcome being found out).
fn retryable(status: &tonic::Status) -> bool {
    match status.code() {
        Code::Unavailable => true,
        Code::Aborted => crate::support::details(status)
            .error_info()
            .is_some_and(|info| info.reason == "IDEMPOTENCY_KEY_IN_PROGRESS"),
        _ => false,
    }
}

/// Running clients.
pub struct BookLoad {
    clients: JoinSet<ClientRecord>,
    successes: Arc<AtomicUsize>,
    refusals: Arc<AtomicUsize>,
}

/// What one client saw.
#[derive(Debug, Default)]
struct ClientRecord {
    /// Idempotency key → the order the successful Book answered.
    booked: Vec<(String, String)>,
    /// Codes of the refused attempts.
    refused: Vec<Code>,
}

/// What every client saw, together.
#[derive(Debug)]
pub struct LoadOutcome {
    /// Idempotency key → order id, one per Book that succeeded.
    pub booked: BTreeMap<String, String>,
    /// Refused attempts (each later retried until it succeeded).
    pub refused: usize,
}

impl BookLoad {
    /// `clients` clients, each booking `books` orders one after another,
    /// each on an offer of its own with seats enough for all of them.
    pub async fn start(pairs: &Scripted, prefix: &str, clients: usize, books: usize) -> Self {
        let offers = offers(pairs, clients, books as i32 * 2).await;
        let successes = Arc::new(AtomicUsize::new(0));
        let refusals = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for (client, offer_id) in offers.into_iter().enumerate() {
            let mut booking = pairs.app.booking();
            let successes = Arc::clone(&successes);
            let refusals = Arc::clone(&refusals);
            let prefix = format!("{prefix}-{client}");
            set.spawn(async move {
                let mut record = ClientRecord::default();
                for book in 0..books {
                    let key = format!("{prefix}-{book}");
                    let deadline = Instant::now() + GIVE_UP_AFTER;
                    let order_id = loop {
                        match booking.book(book_request(&key, &offer_id)).await {
                            Ok(answer) => break answer.into_inner().order.unwrap().order_id,
                            Err(status) => {
                                if record.refused.len() < 3 || !retryable(&status) {
                                    eprintln!("{key}: {:?} {}", status.code(), status.message());
                                }
                                record.refused.push(status.code());
                                refusals.fetch_add(1, Ordering::Relaxed);
                                assert!(
                                    retryable(&status) && Instant::now() < deadline,
                                    "{key} refused for good: {status:?}"
                                );
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    };
                    successes.fetch_add(1, Ordering::Relaxed);
                    record.booked.push((key, order_id));
                }
                record
            });
        }
        BookLoad {
            clients: set,
            successes,
            refusals,
        }
    }

    /// Waits until `count` Books have succeeded.
    pub async fn wait_for_successes(&self, count: usize) {
        eventually("the load to get going", async || {
            (self.successes.load(Ordering::Relaxed) >= count).then_some(())
        })
        .await;
    }

    /// Waits until the fault has refused `count` Books.
    pub async fn wait_for_refusals(&self, count: usize) {
        eventually("the fault to refuse a Book", async || {
            (self.refusals.load(Ordering::Relaxed) >= count).then_some(())
        })
        .await;
    }

    /// Waits for every client to finish.
    pub async fn finish(self) -> LoadOutcome {
        let records = self.clients.join_all().await;
        let mut booked = BTreeMap::new();
        let mut refused = Vec::new();
        for record in records {
            booked.extend(record.booked);
            refused.extend(record.refused);
        }
        // Every refusal was retryable (the clients assert it as they go),
        // and the database's own were UNAVAILABLE.
        assert!(
            refused
                .iter()
                .all(|code| matches!(code, Code::Unavailable | Code::Aborted))
        );
        LoadOutcome {
            booked,
            refused: refused.len(),
        }
    }
}

impl LoadOutcome {
    /// Every Book seen to succeed exists exactly once: one order per key,
    /// no two keys sharing one, one provider order per key, and the
    /// provider holding no order railgate does not know.
    pub async fn check(&self, pairs: &Scripted) {
        let orders: BTreeSet<&String> = self.booked.values().collect();
        assert_eq!(orders.len(), self.booked.len(), "two keys, one order");
        let mut provider_orders = BTreeSet::new();
        for order_id in &orders {
            let order = wait_settled(pairs, order_id).await;
            // Held, or its hold already lapsed (provider time runs 60×).
            assert!(
                [pb::OrderStatus::Held, pb::OrderStatus::Expired]
                    .map(|status| status as i32)
                    .contains(&order.status),
                "{order:?}"
            );
            assert!(provider_orders.insert(order.provider_order_no.clone()));
        }
        assert_eq!(pairs.sim.order_count(), self.booked.len());
        let listed = pairs
            .app
            .booking()
            .list_orders(pb::ListOrdersRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .orders;
        assert_eq!(listed.len(), self.booked.len(), "orders railgate stored");
    }
}

/// Confirms every order still held and waits until each is final: ISSUED,
/// or EXPIRED when its hold lapsed first.
pub async fn confirm_all(pairs: &Scripted, outcome: &LoadOutcome) {
    let mut confirmed = 0;
    for (key, order_id) in &outcome.booked {
        let order = get(&pairs.app, order_id).await;
        if order.status != pb::OrderStatus::Held as i32 {
            continue;
        }
        let request = pb::ConfirmRequest {
            idempotency_key: format!("{key}-pay"),
            order_id: order_id.clone(),
            expected_amount_fen: order.total_amount_fen,
        };
        match pairs.app.booking().confirm(request).await {
            Ok(_) => confirmed += 1,
            // The hold lapsed between the read and the Confirm.
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert!(confirmed > 0, "no order was left to confirm");
    for order_id in outcome.booked.values() {
        crate::scripted::wait_until(&pairs.app, order_id, "a final state", |order| {
            order.status == pb::OrderStatus::Issued as i32
                || order.status == pb::OrderStatus::Expired as i32
        })
        .await;
    }
}

/// The order once it is past PENDING and UNKNOWN (the reconciler resolves
/// an order whose answer the fault cut off).
async fn wait_settled(pairs: &Scripted, order_id: &str) -> pb::Order {
    crate::scripted::wait_until(&pairs.app, order_id, "a settled order", |order| {
        order.status != pb::OrderStatus::Pending as i32
            && order.status != pb::OrderStatus::Unknown as i32
    })
    .await
}

/// One second-class offer per client, each with `seats` tickets left.
async fn offers(pairs: &Scripted, clients: usize, seats: i32) -> Vec<String> {
    let response = pairs
        .app
        .booking()
        .search(pb::SearchRequest {
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            travel_date: crate::support::date_in(3),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let offers: Vec<String> = response
        .trains
        .iter()
        .flat_map(|train| train.seats.iter())
        .filter(|seat| seat.seat_class == pb::SeatClass::Second as i32 && seat.remaining >= seats)
        .map(|seat| seat.offer_id.clone())
        .take(clients)
        .collect();
    assert_eq!(offers.len(), clients, "offers with {seats} seats");
    offers
}
