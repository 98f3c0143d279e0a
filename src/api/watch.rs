//! WatchOrder: the order's current state (or the events after a sequence
//! number, to resume), then every event as it is stored. Events come from
//! the store, so a watcher never sees a state the store does not hold;
//! the in-process broadcast only says "look now", and a periodic re-read
//! covers events stored by another instance.

use super::ApiState;
use super::convert_order::{event_to_proto, order_to_proto};
use super::status::{ApiError, Violation};
use crate::domain::{OrderEvent, OrderId};
use crate::orders::OrderError;
use crate::proto as pb;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

/// How often a watcher re-reads the store without a local signal (events
/// written by another instance sharing the database).
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Messages buffered per watcher before the producer waits for the client.
const BUFFER: usize = 16;

/// The stream WatchOrder answers with.
pub type WatchStream = ReceiverStream<Result<pb::WatchOrderResponse, Status>>;

/// Starts watching; validation and NOT_FOUND are answered before the
/// stream opens.
pub async fn watch_order(
    state: Arc<ApiState>,
    request: pb::WatchOrderRequest,
) -> Result<WatchStream, ApiError> {
    let order_id = OrderId::parse(request.order_id.trim()).map_err(|_| {
        ApiError::InvalidArgument(vec![Violation::new(
            "order_id",
            "is not an order id returned by Book",
        )])
    })?;
    if request.after_sequence < 0 {
        return Err(ApiError::InvalidArgument(vec![Violation::new(
            "after_sequence",
            "must not be negative",
        )]));
    }
    // Subscribe before reading, so nothing stored in between is missed.
    let signals = state.orders.subscribe();
    let order = state.orders.get(&order_id).await?;
    let (sender, receiver) = mpsc::channel(BUFFER);
    let watcher = Watcher {
        state,
        order_id,
        follow: request.follow,
        sender,
    };
    tokio::spawn(watcher.run(order, request.after_sequence, signals));
    Ok(ReceiverStream::new(receiver))
}

struct Watcher {
    state: Arc<ApiState>,
    order_id: OrderId,
    follow: bool,
    sender: mpsc::Sender<Result<pb::WatchOrderResponse, Status>>,
}

impl Watcher {
    async fn run(
        self,
        order: crate::domain::Order,
        after_sequence: i64,
        mut signals: broadcast::Receiver<(OrderId, i64)>,
    ) {
        let mut last_seen = after_sequence;
        if after_sequence == 0 {
            last_seen = order.last_sequence;
            let final_now = order.status.is_final();
            let snapshot = pb::OrderEvent {
                sequence: order.last_sequence,
                kind: pb::OrderEventKind::Snapshot as i32,
                occur_time: order
                    .updated_at
                    .with_timezone(&crate::domain::time::RAIL_TZ)
                    .to_rfc3339(),
                order: Some(order_to_proto(&order, self.state.stations)),
            };
            if !self.send(snapshot).await || (final_now && !self.follow) {
                return;
            }
        }
        loop {
            match self.catch_up(&mut last_seen).await {
                Ok(Progress::Finished) | Err(()) => return,
                Ok(Progress::Open) => {}
            }
            // Wait for a signal about this order, or poll.
            let wait = async {
                loop {
                    match signals.recv().await {
                        Ok((id, _)) if id == self.order_id => return true,
                        Ok(_) => continue,
                        // Missed signals: re-read the store to be safe.
                        Err(broadcast::error::RecvError::Lagged(_)) => return true,
                        Err(broadcast::error::RecvError::Closed) => return false,
                    }
                }
            };
            // Ok(false): the broadcast closed (shutting down). A timeout
            // falls through to a poll of the store.
            if let Ok(false) = tokio::time::timeout(POLL_INTERVAL, wait).await {
                return;
            }
            if self.sender.is_closed() {
                return;
            }
        }
    }

    /// Sends every stored event after `last_seen`.
    async fn catch_up(&self, last_seen: &mut i64) -> Result<Progress, ()> {
        let events: Vec<OrderEvent> = match self
            .state
            .orders
            .store()
            .events_after(&self.order_id, *last_seen)
            .await
        {
            Ok(events) => events,
            Err(error) => {
                let status = Status::from(ApiError::Orders(OrderError::Store(error)));
                let _ = self.sender.send(Err(status)).await;
                return Err(());
            }
        };
        for event in events {
            *last_seen = event.sequence;
            let final_now = event.order.status.is_final();
            if !self.send(event_to_proto(&event, self.state.stations)).await {
                return Err(());
            }
            if final_now && !self.follow {
                return Ok(Progress::Finished);
            }
        }
        Ok(Progress::Open)
    }

    /// Sends one event; false when the client has gone.
    async fn send(&self, event: pb::OrderEvent) -> bool {
        self.sender
            .send(Ok(pb::WatchOrderResponse { event: Some(event) }))
            .await
            .is_ok()
    }
}

enum Progress {
    /// Keep watching.
    Open,
    /// The order reached a final state and the caller did not ask to follow.
    Finished,
}
