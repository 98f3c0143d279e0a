//! Order scenarios: one booked order for GetOrder, and the whole
//! Book → Confirm → ISSUED lifecycle as one call of a load run.

use super::BenchError;
use super::load::{CallFuture, Workload};
use super::scenarios::{FROM, TO, code_name};
use railgate::domain::time::{Clock, SystemClock};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// Seats to book from: each offer id once per seat left, so a run never
/// asks for a seat the provider has sold.
pub struct OfferPool {
    seats: Vec<String>,
    next: AtomicUsize,
}

impl OfferPool {
    /// Every offer of the bench route on each of `days` (from today).
    pub async fn gather(
        channel: &Channel,
        days: std::ops::RangeInclusive<i64>,
    ) -> Result<Self, BenchError> {
        let mut client = BookingServiceClient::new(channel.clone());
        let mut seats = Vec::new();
        for day in days {
            let date = SystemClock.today() + chrono::Duration::days(day);
            let answer = client
                .search(pb::SearchRequest {
                    from_station: FROM.to_owned(),
                    to_station: TO.to_owned(),
                    travel_date: date.format("%Y-%m-%d").to_string(),
                    ..Default::default()
                })
                .await
                .map_err(|status| BenchError::Setup(format!("Search: {}", code_name(&status))))?
                .into_inner();
            for seat in answer.trains.iter().flat_map(|train| &train.seats) {
                if seat.provider == pb::Provider::Panhe as i32 {
                    let left = usize::try_from(seat.remaining).unwrap_or(0);
                    seats.extend(std::iter::repeat_n(seat.offer_id.clone(), left));
                }
            }
        }
        if seats.is_empty() {
            return Err(BenchError::Setup("no seats on sale to book".into()));
        }
        Ok(Self {
            seats,
            next: AtomicUsize::new(0),
        })
    }

    /// The next seat's offer id, or None when all are taken.
    pub(crate) fn take(&self) -> Option<&str> {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        self.seats.get(index).map(String::as_str)
    }

    /// Seats in the pool.
    pub fn len(&self) -> usize {
        self.seats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seats.is_empty()
    }
}

/// A sandbox booking request for one adult on `offer_id`. The passenger
/// is the sandbox's documented test identity, not a person.
pub fn book_request(idempotency_key: String, offer_id: &str) -> pb::BookRequest {
    pb::BookRequest {
        idempotency_key,
        offer_id: offer_id.to_owned(),
        passengers: vec![pb::Passenger {
            name: "张三".into(),
            id_type: pb::IdType::ResidentIdCard as i32,
            id_number: "11010519491231002X".into(),
            passenger_type: pb::PassengerType::Adult as i32,
            phone: "13800138000".into(),
            ..Default::default()
        }],
        contact: Some(pb::Contact {
            name: "张三".into(),
            phone: "13800138000".into(),
        }),
        account: Some(pb::TrainAccount {
            username: "sandbox-user".into(),
            password: "sandbox-password".into(),
        }),
        ..Default::default()
    }
}

/// Books one order and returns its id (for GetOrder and WatchOrder).
pub async fn book_one(
    channel: &Channel,
    pool: &OfferPool,
    key: &str,
) -> Result<String, BenchError> {
    let offer = pool
        .take()
        .ok_or_else(|| BenchError::Setup("no seat left to book".into()))?;
    let order = BookingServiceClient::new(channel.clone())
        .book(book_request(key.to_owned(), offer))
        .await
        .map_err(|status| BenchError::Setup(format!("Book: {}", code_name(&status))))?
        .into_inner()
        .order
        .ok_or_else(|| BenchError::Setup("Book answered no order".into()))?;
    Ok(order.order_id)
}

/// Book → (watch) HELD → Confirm → (watch) ISSUED per call. `run_id`
/// keeps idempotency keys unique across runs against one store.
pub fn book_confirm(pool: Arc<OfferPool>, run_id: String) -> Arc<dyn Workload> {
    Arc::new(move |channel: &Channel, sequence: u64| -> CallFuture {
        let client = BookingServiceClient::new(channel.clone());
        let pool = pool.clone();
        let key = format!("bench-{run_id}-{sequence}");
        Box::pin(async move {
            let Some(offer) = pool.take() else {
                return Err("no-seats-left".to_owned());
            };
            lifecycle(client, key, offer.to_owned()).await
        })
    })
}

async fn lifecycle(
    mut client: BookingServiceClient<Channel>,
    key: String,
    offer: String,
) -> Result<(), String> {
    let booked = client
        .book(book_request(format!("{key}-book"), &offer))
        .await
        .map_err(|status| format!("Book {}", code_name(&status)))?
        .into_inner()
        .order
        .ok_or("Book without order")?;
    // follow = false: the stream ends by itself at a final state.
    let mut events = client
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            ..Default::default()
        })
        .await
        .map_err(|status| format!("WatchOrder {}", code_name(&status)))?
        .into_inner();
    let mut confirmed = false;
    let mut last_status = booked.status;
    while let Some(message) = events.next().await {
        let message = message.map_err(|status| format!("WatchOrder {}", code_name(&status)))?;
        let Some(order) = message.event.and_then(|event| event.order) else {
            continue;
        };
        last_status = order.status;
        if order.status == pb::OrderStatus::Held as i32 && !confirmed {
            confirmed = true;
            client
                .confirm(pb::ConfirmRequest {
                    idempotency_key: format!("{key}-confirm"),
                    order_id: order.order_id.clone(),
                    expected_amount_fen: order.total_amount_fen,
                })
                .await
                .map_err(|status| format!("Confirm {}", code_name(&status)))?;
        }
    }
    if last_status == pb::OrderStatus::Issued as i32 {
        Ok(())
    } else {
        let name = pb::OrderStatus::try_from(last_status)
            .map(|status| status.as_str_name().to_owned())
            .unwrap_or_else(|_| last_status.to_string());
        Err(format!("ended {name}"))
    }
}
