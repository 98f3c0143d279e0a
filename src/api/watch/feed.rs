//! One watched order's feed: a task that fans the order's events out to
//! all of its watchers, converted to protobuf once. In-process events come
//! from [`super::hub`]; events stored by another instance sharing the
//! database are heard through the hub's `LISTEN` connection, or, while it
//! has none, found by one periodic read of the store per order.
//!
//! The feed publishes without gaps: from the sequence it started at, each
//! event goes out after the one before it. An event that arrives ahead of
//! its predecessor (one was missed) makes the feed read the store from the
//! last one it published instead.

use super::super::convert_order::{event_to_proto, order_to_proto};
use crate::domain::time::RAIL_TZ;
use crate::domain::{Order, OrderEvent, OrderId};
use crate::proto as pb;
use crate::stations::StationDirectory;
use crate::store::Store;
use crate::telemetry::ErrorChain;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, MissedTickBehavior};

/// One order event as every watcher sends it.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    /// The event's sequence (a snapshot's: the order's last sequence).
    pub sequence: i64,
    /// The order is in a final state after this event: a watcher that
    /// does not follow ends here.
    pub is_final: bool,
    /// The event as sent.
    pub proto: pb::OrderEvent,
}

impl FeedEvent {
    /// A stored event.
    pub fn stored(event: &OrderEvent, stations: &StationDirectory) -> Self {
        Self {
            sequence: event.sequence,
            is_final: event.order.status.is_final(),
            proto: event_to_proto(event, stations),
        }
    }

    /// The order as it is now, as the first event of a new watcher.
    pub fn snapshot(order: &Order, stations: &StationDirectory) -> Self {
        Self {
            sequence: order.last_sequence,
            is_final: order.status.is_final(),
            proto: pb::OrderEvent {
                sequence: order.last_sequence,
                kind: pb::OrderEventKind::Snapshot as i32,
                occur_time: order.updated_at.with_timezone(&RAIL_TZ).to_rfc3339(),
                order: Some(order_to_proto(order, stations)),
            },
        }
    }
}

/// What the hub tells a feed.
#[derive(Debug)]
pub enum Notice {
    /// This process stored an event of the feed's order.
    Stored(Arc<OrderEvent>),
    /// Some instance committed event `sequence` of the feed's order: read
    /// the store if it is new here.
    Committed(i64),
    /// Events may have been missed (the hub lagged, or its `LISTEN`
    /// connection was down): read the store.
    Resync,
}

/// The task behind one watched order; it ends when its inbox closes (the
/// last watcher left).
pub struct FeedTask {
    pub order_id: OrderId,
    /// The highest sequence published: every later event is published in
    /// order, so a watcher that has seen this one misses nothing.
    pub published: i64,
    pub store: Store,
    pub stations: &'static StationDirectory,
    pub sender: broadcast::Sender<Arc<FeedEvent>>,
    /// True while the hub hears every instance's events: no polling.
    pub listening: Arc<std::sync::atomic::AtomicBool>,
}

impl FeedTask {
    /// Publishes until `inbox` closes, reading the store every
    /// `poll_interval` for events stored elsewhere.
    pub async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Notice>,
        poll_interval: Duration,
    ) {
        let mut poll = tokio::time::interval_at(Instant::now() + poll_interval, poll_interval);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                notice = inbox.recv() => match notice {
                    Some(Notice::Stored(event)) => self.offer(&event).await,
                    Some(Notice::Committed(sequence)) => {
                        if sequence > self.published {
                            self.catch_up().await;
                        }
                    }
                    Some(Notice::Resync) => self.catch_up().await,
                    None => return,
                },
                _ = poll.tick() => {
                    if !self.listening.load(std::sync::atomic::Ordering::Relaxed) {
                        self.catch_up().await;
                    }
                }
            }
        }
    }

    async fn offer(&mut self, event: &OrderEvent) {
        if event.sequence <= self.published {
            // A read of the store published it already.
            return;
        }
        if event.sequence == self.published + 1 {
            self.publish(event);
        } else {
            self.catch_up().await;
        }
    }

    /// Publishes what the store holds after the last published event.
    async fn catch_up(&mut self) {
        match self
            .store
            .events_after(&self.order_id, self.published)
            .await
        {
            Ok(events) => events.iter().for_each(|event| self.publish(event)),
            // Watchers keep what they have; the next event or poll retries.
            Err(error) => tracing::warn!(
                order_id = %self.order_id.as_str(),
                error = %ErrorChain(&error),
                "watch feed cannot read the order's events"
            ),
        }
    }

    fn publish(&mut self, event: &OrderEvent) {
        self.published = event.sequence;
        // No receivers: the last watcher is leaving and the inbox closes next.
        let _ = self
            .sender
            .send(Arc::new(FeedEvent::stored(event, self.stations)));
    }
}
