//! The watch hub: one feed per watched order, shared by all of its
//! watchers and removed when the last one leaves. One task routes the
//! events this process stores (`OrderService::subscribe`) to the feed of
//! their order, so a change wakes only the watchers of that order and is
//! converted once, not once per watcher.
//!
//! On PostgreSQL a second task listens for the events every instance
//! stores (`LISTEN`, see [`crate::store::OrderEventListener`]) and wakes
//! the feed of their order, so a watcher here hears another instance's
//! write as it commits. While that connection is down the feeds poll the
//! store instead, and once it is back every feed re-reads what it missed.
//! At shutdown the hub ends every open stream with UNAVAILABLE, so its
//! watchers resume on another instance from their last sequence.

use super::feed::{FeedEvent, FeedTask, Notice};
use crate::domain::{Order, OrderEvent, OrderId};
use crate::stations::StationDirectory;
use crate::store::{Heard, OrderEventListener};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{OnceCell, broadcast, mpsc, watch};

/// How long the hub waits before connecting its listener again.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// How the hub's feeds behave.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// How often each feed reads the store for events stored by another
    /// instance sharing the database, while no `LISTEN` connection hears
    /// them (SQLite has none; PostgreSQL's may be down).
    pub poll_interval: Duration,
    /// Events a feed keeps for a watcher that has not sent them yet; a
    /// watcher further behind reads the store instead.
    pub capacity: usize,
    /// Streams one caller may hold open.
    pub streams_per_caller: usize,
    /// Where open streams are counted.
    pub metrics: crate::metrics::Metrics,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(2),
            capacity: 64,
            streams_per_caller: 1000,
            metrics: crate::metrics::Metrics::new(),
        }
    }
}

/// The feeds of the watched orders.
pub struct WatchHub {
    store: Store,
    stations: &'static StationDirectory,
    settings: WatchSettings,
    /// Weak: a feed lives as long as its watchers hold it, and removes
    /// itself from here when the last one drops it.
    feeds: Mutex<HashMap<OrderId, Weak<OrderFeed>>>,
    /// Open streams per caller.
    quota: Arc<super::quota::StreamQuota>,
    /// True while a `LISTEN` connection hears every instance's events:
    /// the feeds need not poll.
    listening: Arc<AtomicBool>,
    /// Becomes true at shutdown: every stream ends.
    stopping: watch::Sender<bool>,
}

impl std::fmt::Debug for WatchHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchHub")
            .field("settings", &self.settings)
            .field("watched_orders", &self.watched_orders())
            .finish_non_exhaustive()
    }
}

impl WatchHub {
    /// A hub over `store`, fed with the events of `events` (the events
    /// this process stores) until that closes.
    pub fn start(
        store: Store,
        stations: &'static StationDirectory,
        settings: WatchSettings,
        events: broadcast::Receiver<Arc<OrderEvent>>,
    ) -> Arc<Self> {
        let hub = Arc::new(Self {
            store,
            stations,
            quota: super::quota::StreamQuota::new(
                settings.streams_per_caller,
                settings.metrics.clone(),
            ),
            settings,
            feeds: Mutex::new(HashMap::new()),
            listening: Arc::new(AtomicBool::new(false)),
            stopping: watch::channel(false).0,
        });
        tokio::spawn(route(Arc::downgrade(&hub), events));
        tokio::spawn(listen(Arc::downgrade(&hub)));
        hub
    }

    /// Ends every open stream with UNAVAILABLE, now and for streams opened
    /// from now on (shutdown: their watchers resume elsewhere).
    pub fn stop_streams(&self) {
        self.stopping.send_replace(true);
    }

    /// Becomes true when the streams are to end.
    pub(super) fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Whether a `LISTEN` connection hears every instance's events now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Subscribes to the events of `order_id` stored from now on. The
    /// caller reads the store after this, unless the subscription carries
    /// the feed's own read ([`Subscription::take_start_read`]): every event
    /// after what that read returns reaches the subscription, in order (or
    /// it lags).
    pub async fn subscribe(
        self: &Arc<Self>,
        order_id: &OrderId,
    ) -> Result<Subscription, StoreError> {
        let feed = self.feed(order_id);
        // Before the feed's task can publish anything: the feed's own read
        // is then as good a starting point as a read after this.
        let receiver = feed.sender.subscribe();
        let start_read = feed.start(self).await?;
        Ok(Subscription {
            receiver,
            start_read,
            _feed: Some(feed),
        })
    }

    /// The per-caller cap on open streams.
    pub fn quota(&self) -> &Arc<super::quota::StreamQuota> {
        &self.quota
    }

    /// The store the feeds and their watchers read.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The station names events are converted with.
    pub fn stations(&self) -> &'static StationDirectory {
        self.stations
    }

    /// How many orders have a feed (at least one watcher).
    pub fn watched_orders(&self) -> usize {
        self.lock_feeds().len()
    }

    /// The feed of `order_id`, made if there is none.
    fn feed(self: &Arc<Self>, order_id: &OrderId) -> Arc<OrderFeed> {
        let mut feeds = self.lock_feeds();
        if let Some(feed) = feeds.get(order_id).and_then(Weak::upgrade) {
            return feed;
        }
        let (inbox, inbox_receiver) = mpsc::unbounded_channel();
        let feed = Arc::new(OrderFeed {
            order_id: order_id.clone(),
            hub: self.clone(),
            sender: broadcast::channel(self.settings.capacity).0,
            inbox,
            inbox_receiver: Mutex::new(Some(inbox_receiver)),
            started: OnceCell::new(),
        });
        feeds.insert(order_id.clone(), Arc::downgrade(&feed));
        feed
    }

    /// Passes `notice` to the feed of `order_id`, if it is watched.
    fn notify(&self, order_id: &OrderId, notice: Notice) {
        // Upgraded under the lock, used and dropped after it: dropping the
        // last handle of a feed takes the lock again.
        let feed = self.lock_feeds().get(order_id).and_then(Weak::upgrade);
        if let Some(feed) = feed {
            // Closed only when the feed is being dropped: nobody to tell.
            let _ = feed.inbox.send(notice);
        }
    }

    /// Tells every feed to read the store (in-process events were missed).
    fn resync_all(&self) {
        let feeds: Vec<Arc<OrderFeed>> = self
            .lock_feeds()
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for feed in feeds {
            let _ = feed.inbox.send(Notice::Resync);
        }
    }

    fn lock_feeds(&self) -> MutexGuard<'_, HashMap<OrderId, Weak<OrderFeed>>> {
        // The map stays consistent whatever a panicking holder did: every
        // change is a single insert or remove.
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Routes the events this process stores to the feeds of their orders
/// until the event source closes or the hub is gone.
async fn route(hub: Weak<WatchHub>, mut events: broadcast::Receiver<Arc<OrderEvent>>) {
    loop {
        let received = events.recv().await;
        let Some(hub) = hub.upgrade() else {
            return;
        };
        match received {
            Ok(event) => {
                let order_id = event.order_id.clone();
                hub.notify(&order_id, Notice::Stored(event));
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "watch hub fell behind the order events: feeds re-read the store"
                );
                hub.resync_all();
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Hears the events every instance stores (PostgreSQL) and wakes their
/// feeds, for as long as the hub lives. The feeds poll while the
/// connection is down; the first event heard after it is back proves it
/// listens again, and every feed then re-reads the store, so nothing
/// stored in between is missed.
async fn listen(hub: Weak<WatchHub>) {
    let Some(store) = hub.upgrade().map(|hub| hub.store.clone()) else {
        return;
    };
    let mut listener = loop {
        match store.order_event_listener().await {
            Ok(Some(listener)) => break listener,
            // SQLite: one instance, whose own events arrive in-process.
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(error = %crate::telemetry::ErrorChain(&error), "watch hub cannot LISTEN for order events; feeds poll the store");
                tokio::time::sleep(RELISTEN_AFTER).await;
                if hub.strong_count() == 0 {
                    return;
                }
            }
        }
    };
    if let Some(hub) = hub.upgrade() {
        hub.listening.store(true, Ordering::Relaxed);
        // Feeds that started before the LISTEN polled until now; what was
        // stored between their last poll and the LISTEN is read once.
        hub.resync_all();
    }
    hear(&hub, &mut listener).await;
}

async fn hear(hub: &Weak<WatchHub>, listener: &mut OrderEventListener) {
    loop {
        let heard = listener.next().await;
        let Some(hub) = hub.upgrade() else {
            return;
        };
        match heard {
            Ok(Heard::Event { order_id, sequence }) => {
                if !hub.listening.swap(true, Ordering::Relaxed) {
                    tracing::info!("watch hub hears order events again; feeds re-read the store");
                    hub.resync_all();
                }
                hub.notify(&order_id, Notice::Committed(sequence));
            }
            Ok(Heard::Lost) => {
                if hub.listening.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        "watch hub lost its LISTEN connection; feeds poll the store until it is back"
                    );
                }
            }
            Err(error) => {
                hub.listening.store(false, Ordering::Relaxed);
                tracing::warn!(error = %crate::telemetry::ErrorChain(&error), "watch hub cannot LISTEN again yet; feeds poll the store");
                drop(hub);
                tokio::time::sleep(RELISTEN_AFTER).await;
            }
        }
    }
}

/// The watchers' side of a feed: the events of one order from the moment
/// of subscribing.
#[derive(Debug)]
pub struct Subscription {
    pub(super) receiver: broadcast::Receiver<Arc<FeedEvent>>,
    /// The order as the feed read it at its start, when this subscription
    /// started the feed (`Some(None)`: no such order).
    start_read: Option<Option<Order>>,
    /// Keeps the order's feed alive while the watcher is (None: a bare
    /// channel in tests).
    _feed: Option<Arc<OrderFeed>>,
}

impl Subscription {
    /// A subscription to a channel the test publishes on itself.
    #[cfg(test)]
    pub(super) fn detached(receiver: broadcast::Receiver<Arc<FeedEvent>>) -> Self {
        Self {
            receiver,
            start_read: None,
            _feed: None,
        }
    }

    /// The order as the feed read it when this subscription started it
    /// (`Some(None)`: no such order), taken once: a read made after the
    /// subscription's receiver, so the watcher need not read again. None
    /// when the feed was running already: the watcher reads the store.
    pub(super) fn take_start_read(&mut self) -> Option<Option<Order>> {
        self.start_read.take()
    }
}

/// One watched order: the channel its watchers receive from and the
/// inbox of the task that publishes on it.
struct OrderFeed {
    order_id: OrderId,
    hub: Arc<WatchHub>,
    sender: broadcast::Sender<Arc<FeedEvent>>,
    /// Closes when the feed is dropped, which ends its task.
    inbox: mpsc::UnboundedSender<Notice>,
    /// Taken by the task when it starts; notices wait in it until then.
    inbox_receiver: Mutex<Option<mpsc::UnboundedReceiver<Notice>>>,
    started: OnceCell<()>,
}

impl std::fmt::Debug for OrderFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderFeed")
            .field("order_id", &self.order_id)
            .field("watchers", &self.sender.receiver_count())
            .finish_non_exhaustive()
    }
}

impl OrderFeed {
    /// Starts the feed's task once, at the order's current last sequence.
    /// Every subscriber waits for this, so each reads the store after the
    /// feed's starting point and misses nothing between the two. The
    /// subscriber that started it gets the order the feed read (`Some`;
    /// inside, None for an unknown order), the others None.
    async fn start(&self, hub: &WatchHub) -> Result<Option<Option<Order>>, StoreError> {
        let mut start_read = None;
        self.started
            .get_or_try_init(|| async {
                let order = hub.store.get_order(&self.order_id).await?;
                // Unknown order: the caller answers NOT_FOUND and drops
                // the feed.
                let published = order.as_ref().map_or(0, |order| order.last_sequence);
                start_read = Some(order);
                let inbox = self
                    .inbox_receiver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(inbox) = inbox {
                    let task = FeedTask {
                        order_id: self.order_id.clone(),
                        published,
                        store: hub.store.clone(),
                        stations: hub.stations,
                        sender: self.sender.clone(),
                        listening: hub.listening.clone(),
                    };
                    tokio::spawn(task.run(inbox, hub.settings.poll_interval));
                }
                Ok::<(), StoreError>(())
            })
            .await?;
        Ok(start_read)
    }
}

impl Drop for OrderFeed {
    fn drop(&mut self) {
        let mut feeds = self.hub.lock_feeds();
        // A new feed may already stand in this one's place (a watcher came
        // while this one was being dropped): leave that one.
        if feeds
            .get(&self.order_id)
            .is_some_and(|feed| feed.strong_count() == 0)
        {
            feeds.remove(&self.order_id);
        }
    }
}
