//! One watcher's stream: what it read from the store first, then its
//! order's feed. No task or channel of its own: tonic polls the stream,
//! and an idle watcher is a waiting broadcast receiver.
//!
//! The watcher remembers the last sequence it sent and sends each later
//! one exactly once, in order. Whenever the feed cannot give it the next
//! one (the watcher lagged behind the feed's buffer, or a sequence is
//! missing), it reads the store from there.

use super::feed::FeedEvent;
use super::hub::{Subscription, WatchHub};
use crate::api::status::ApiError;
use crate::domain::OrderId;
use crate::orders::OrderError;
use crate::proto as pb;
use crate::stations::StationDirectory;
use crate::store::Store;
use futures_util::Stream;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tonic::Status;

/// A watcher of one order.
pub struct Watcher {
    pub(super) order_id: OrderId,
    /// Keep going after a final state (otherwise the stream ends there).
    pub(super) follow: bool,
    /// The last sequence sent (or the caller's `after_sequence`).
    pub(super) last_seen: i64,
    /// Events to send before the feed's (the snapshot, or what a read of
    /// the store returned).
    pub(super) backlog: VecDeque<FeedEvent>,
    /// Read the store before the next event of the feed.
    pub(super) stale: bool,
    pub(super) subscription: Subscription,
    pub(super) store: Store,
    pub(super) stations: &'static StationDirectory,
    /// Nothing is left to send: a resume at (or past) the last event of a
    /// finished order, without follow. The stream ends at once.
    pub(super) finished: bool,
    /// True at shutdown: the stream ends with UNAVAILABLE.
    pub(super) stopping: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("order_id", &self.order_id)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Watches `order_id` from `after_sequence` (0: a snapshot of the
    /// order first). NOT_FOUND and store errors come before the stream.
    pub async fn open(
        hub: &Arc<WatchHub>,
        order_id: OrderId,
        after_sequence: i64,
        follow: bool,
    ) -> Result<Self, OrderError> {
        // Subscribe before reading, so nothing stored in between is missed;
        // the feed's own read serves when this watcher started the feed.
        let mut subscription = hub.subscribe(&order_id).await?;
        let read = match subscription.take_start_read() {
            Some(read) => read,
            None => hub.store().get_order(&order_id).await?,
        };
        let order = read.ok_or_else(|| OrderError::NotFound(order_id.as_str().to_owned()))?;
        let mut watcher = Self {
            order_id,
            follow,
            last_seen: after_sequence,
            backlog: VecDeque::new(),
            stale: false,
            subscription,
            store: hub.store().clone(),
            stations: hub.stations(),
            stopping: hub.stopping(),
            // Nothing more will come that this watcher would be sent.
            finished: !follow
                && after_sequence > 0
                && order.status.is_final()
                && after_sequence >= order.last_sequence,
        };
        if after_sequence == 0 {
            let snapshot = FeedEvent::snapshot(&order, watcher.stations);
            watcher.backlog.push_back(snapshot);
        } else {
            // Resuming: the stored events after it come first, read once
            // the stream is polled (a store error then ends the stream).
            watcher.stale = true;
        }
        Ok(watcher)
    }

    /// The watcher as the stream WatchOrder answers with.
    pub fn into_stream(self) -> impl Stream<Item = Result<pb::WatchOrderResponse, Status>> + Send {
        let start = (!self.finished).then_some(self);
        futures_util::stream::unfold(start, |watcher| async move {
            let mut watcher = watcher?;
            match watcher.next().await? {
                Ok(Next { event, last }) => {
                    let response = pb::WatchOrderResponse { event: Some(event) };
                    Some((Ok(response), (!last).then_some(watcher)))
                }
                Err(status) => Some((Err(status), None)),
            }
        })
    }

    /// The next event, or the error that ends the stream; None if the
    /// feed's channel closed (it cannot while the subscription holds the
    /// feed; a test's bare channel can).
    async fn next(&mut self) -> Option<Result<Next, Status>> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if self.backlog.is_empty() {
                    // An empty backlog keeps its space (a few KiB) for the
                    // life of the stream otherwise.
                    self.backlog = VecDeque::new();
                }
                return Some(Ok(self.send(event.sequence, event.is_final, event.proto)));
            }
            if self.stale {
                // Boxed: the read's future is large, and an idle watcher
                // should not carry its space.
                let read = Box::pin(self.store.events_after(&self.order_id, self.last_seen)).await;
                match read {
                    Ok(events) => self.backlog.extend(
                        events
                            .iter()
                            .map(|event| FeedEvent::stored(event, self.stations)),
                    ),
                    Err(error) => {
                        return Some(Err(Status::from(ApiError::Orders(OrderError::Store(
                            error,
                        )))));
                    }
                }
                self.stale = false;
                continue;
            }
            let received = tokio::select! {
                received = self.subscription.receiver.recv() => received,
                // Shutdown (or the hub gone): the watcher resumes elsewhere.
                _ = self.stopping.wait_for(|stopping| *stopping) => {
                    return Some(Err(Status::from(ApiError::ShuttingDown {
                        last_sequence: self.last_seen,
                    })));
                }
            };
            match received {
                Ok(event) if event.sequence <= self.last_seen => {}
                Ok(event) if event.sequence == self.last_seen + 1 => {
                    return Some(Ok(self.send(
                        event.sequence,
                        event.is_final,
                        event.proto.clone(),
                    )));
                }
                // A gap or missed events: the store has them all.
                Ok(_) | Err(RecvError::Lagged(_)) => self.stale = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn send(&mut self, sequence: i64, is_final: bool, event: pb::OrderEvent) -> Next {
        self.last_seen = sequence;
        Next {
            event,
            last: is_final && !self.follow,
        }
    }
}

/// The next event to send.
struct Next {
    event: pb::OrderEvent,
    /// The stream ends after it (a final state, not following).
    last: bool,
}
