//! The hub, its feeds and watchers over a real SQLite store in a temporary
//! file; "this process" storing an event is the test sending it on the
//! hub's event source, as `OrderService::save` does.

use super::feed::FeedEvent;
use super::hub::{Subscription, WatchHub, WatchSettings};
use super::stream::Watcher;
use crate::alitrip::fixtures::issued_order;
use crate::domain::{Order, OrderEvent, OrderEventKind, OrderStatus};
use crate::orders::OrderError;
use crate::proto as pb;
use crate::stations::StationDirectory;
use crate::store::Store;
use futures_util::{Stream, StreamExt};
use std::collections::VecDeque;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Longest wait for a watcher's next message (a hang fails, not times).
const PATIENCE: Duration = Duration::from_secs(20);

struct Fixture {
    _dir: tempfile::TempDir,
    url: String,
    store: Store,
    /// The hub's event source: what this process stores.
    events: broadcast::Sender<Arc<OrderEvent>>,
    hub: Arc<WatchHub>,
    order: Order,
}

/// A hub over a fresh store holding one HELD order (sequence 1).
async fn fixture(settings: WatchSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("watch.db").display()
    );
    let store = Store::connect(&url).await.unwrap();
    let mut order = issued_order();
    order.status = OrderStatus::Held;
    store.insert_order(&mut order).await.unwrap();
    let (events, source) = broadcast::channel(16);
    let hub = WatchHub::start(
        store.clone(),
        StationDirectory::embedded(),
        settings,
        source,
    );
    Fixture {
        _dir: dir,
        url,
        store,
        events,
        hub,
        order,
    }
}

/// Polls only when asked: feeds never read the store on a timer.
fn no_polling() -> WatchSettings {
    WatchSettings {
        poll_interval: Duration::from_secs(3600),
        ..WatchSettings::default()
    }
}

impl Fixture {
    /// Stores a change of status through `store` without telling the hub
    /// (as another instance sharing the database does).
    async fn store_through(&mut self, store: &Store, status: OrderStatus) -> OrderEvent {
        self.order.status = status;
        let sequence = store
            .update_order(&mut self.order, OrderEventKind::StatusChanged, &[])
            .await
            .unwrap();
        OrderEvent {
            order_id: self.order.id.clone(),
            sequence,
            kind: OrderEventKind::StatusChanged,
            occurred_at: self.order.updated_at,
            order: self.order.clone(),
        }
    }

    /// Stores a change of status and tells the hub, as `OrderService::save`.
    async fn save(&mut self, status: OrderStatus) -> i64 {
        let store = self.store.clone();
        let event = self.store_through(&store, status).await;
        let sequence = event.sequence;
        self.events.send(Arc::new(event)).unwrap();
        sequence
    }

    async fn watch(
        &self,
        after_sequence: i64,
        follow: bool,
    ) -> impl Stream<Item = Result<pb::WatchOrderResponse, tonic::Status>> + use<> {
        Watcher::open(&self.hub, self.order.id.clone(), after_sequence, follow)
            .await
            .unwrap()
            .into_stream()
    }
}

/// The next event's (sequence, status), or None at the end of the stream.
async fn next(
    stream: &mut (impl Stream<Item = Result<pb::WatchOrderResponse, tonic::Status>> + Unpin),
) -> Option<(i64, i32)> {
    let message = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("a message or the end of the stream")?;
    let event = message.unwrap().event.unwrap();
    Some((event.sequence, event.order.unwrap().status))
}

fn status(status: pb::OrderStatus) -> i32 {
    status as i32
}

#[tokio::test]
async fn a_feed_is_shared_by_watchers_and_removed_with_the_last() {
    let f = fixture(no_polling()).await;
    assert_eq!(f.hub.watched_orders(), 0);
    let first = f.watch(0, true).await;
    let second = f.watch(0, true).await;
    assert_eq!(f.hub.watched_orders(), 1, "one feed for one order");
    drop(first);
    assert_eq!(f.hub.watched_orders(), 1, "a watcher is left");
    drop(second);
    assert_eq!(f.hub.watched_orders(), 0, "removed with the last watcher");
    // A new watcher gets a new feed.
    let mut third = pin!(f.watch(0, true).await);
    assert_eq!(f.hub.watched_orders(), 1);
    assert_eq!(
        next(&mut third).await,
        Some((1, status(pb::OrderStatus::Held)))
    );
}

#[tokio::test]
async fn watching_an_unknown_order_leaves_no_feed() {
    let f = fixture(no_polling()).await;
    let unknown = crate::domain::OrderId::new();
    let error = Watcher::open(&f.hub, unknown, 0, true).await.unwrap_err();
    assert!(matches!(error, OrderError::NotFound(_)), "{error:?}");
    assert_eq!(f.hub.watched_orders(), 0);
}

#[tokio::test]
async fn every_watcher_gets_every_event_once_in_order() {
    let mut f = fixture(no_polling()).await;
    let mut watchers = Vec::new();
    for _ in 0..50 {
        let mut watcher = Box::pin(f.watch(0, false).await);
        assert_eq!(
            next(&mut watcher).await,
            Some((1, status(pb::OrderStatus::Held)))
        );
        watchers.push(watcher);
    }
    assert_eq!(f.save(OrderStatus::Issuing).await, 2);
    assert_eq!(f.save(OrderStatus::Issued).await, 3);
    for watcher in &mut watchers {
        assert_eq!(
            next(watcher).await,
            Some((2, status(pb::OrderStatus::Issuing)))
        );
        assert_eq!(
            next(watcher).await,
            Some((3, status(pb::OrderStatus::Issued)))
        );
        assert_eq!(next(watcher).await, None, "ends at a final state");
    }
}

#[tokio::test]
async fn a_watcher_resumes_after_a_sequence() {
    let mut f = fixture(no_polling()).await;
    f.save(OrderStatus::Issuing).await;
    let mut resumed = pin!(f.watch(1, true).await);
    assert_eq!(
        next(&mut resumed).await,
        Some((2, status(pb::OrderStatus::Issuing)))
    );
    f.save(OrderStatus::Issued).await;
    assert_eq!(
        next(&mut resumed).await,
        Some((3, status(pb::OrderStatus::Issued)))
    );
}

#[tokio::test]
async fn an_event_stored_by_another_instance_reaches_watchers() {
    let mut f = fixture(WatchSettings {
        poll_interval: Duration::from_millis(20),
        ..WatchSettings::default()
    })
    .await;
    let mut watcher = pin!(f.watch(0, false).await);
    assert_eq!(
        next(&mut watcher).await,
        Some((1, status(pb::OrderStatus::Held)))
    );
    let elsewhere = Store::connect(&f.url).await.unwrap();
    f.store_through(&elsewhere, OrderStatus::Issuing).await;
    assert_eq!(
        next(&mut watcher).await,
        Some((2, status(pb::OrderStatus::Issuing)))
    );
    // Then one stored here: the feed goes on from the polled event.
    f.save(OrderStatus::Issued).await;
    assert_eq!(
        next(&mut watcher).await,
        Some((3, status(pb::OrderStatus::Issued)))
    );
    assert_eq!(next(&mut watcher).await, None);
}

#[tokio::test]
async fn a_feed_that_misses_an_event_reads_it_from_the_store() {
    let mut f = fixture(no_polling()).await;
    let mut watcher = pin!(f.watch(0, true).await);
    assert_eq!(
        next(&mut watcher).await,
        Some((1, status(pb::OrderStatus::Held)))
    );
    // Event 2 never reaches the hub; event 3 does, and shows the gap.
    let store = f.store.clone();
    f.store_through(&store, OrderStatus::Issuing).await;
    f.save(OrderStatus::Issued).await;
    assert_eq!(
        next(&mut watcher).await,
        Some((2, status(pb::OrderStatus::Issuing)))
    );
    assert_eq!(
        next(&mut watcher).await,
        Some((3, status(pb::OrderStatus::Issued)))
    );
}

/// A watcher over a channel the test publishes on, after its snapshot.
async fn watcher_on(
    f: &Fixture,
    capacity: usize,
) -> (
    broadcast::Sender<Arc<FeedEvent>>,
    impl Stream<Item = Result<pb::WatchOrderResponse, tonic::Status>> + use<>,
) {
    let (sender, receiver) = broadcast::channel(capacity);
    let watcher = Watcher {
        order_id: f.order.id.clone(),
        follow: true,
        last_seen: f.order.last_sequence,
        backlog: VecDeque::new(),
        stale: false,
        subscription: Subscription::detached(receiver),
        store: f.store.clone(),
        stations: StationDirectory::embedded(),
        finished: false,
        stopping: f.hub.stopping(),
    };
    (sender, watcher.into_stream())
}

#[tokio::test]
async fn a_watcher_that_lags_behind_the_feed_reads_the_store() {
    let mut f = fixture(no_polling()).await;
    let (feed, stream) = watcher_on(&f, 2).await;
    let mut stream = pin!(stream);
    let statuses = [
        OrderStatus::Issuing,
        OrderStatus::Held,
        OrderStatus::Issuing,
        OrderStatus::Held,
        OrderStatus::Issuing,
    ];
    // Five events into a buffer of two before the watcher reads any.
    let store = f.store.clone();
    for status in statuses {
        let event = f.store_through(&store, status).await;
        feed.send(Arc::new(FeedEvent::stored(
            &event,
            StationDirectory::embedded(),
        )))
        .unwrap();
    }
    for (sequence, status) in (2..).zip(statuses) {
        assert_eq!(
            next(&mut stream).await,
            Some((sequence, proto_status(status)))
        );
    }
    // Caught up: the feed's events go out again, without repeats.
    let event = f.store_through(&store, OrderStatus::Issued).await;
    feed.send(Arc::new(FeedEvent::stored(
        &event,
        StationDirectory::embedded(),
    )))
    .unwrap();
    assert_eq!(
        next(&mut stream).await,
        Some((7, status(pb::OrderStatus::Issued)))
    );
}

fn proto_status(status: OrderStatus) -> i32 {
    crate::api::convert_order::order_status_to_proto(status) as i32
}

#[tokio::test]
async fn a_store_error_ends_the_stream_with_a_status() {
    let f = fixture(no_polling()).await;
    let (feed, stream) = watcher_on(&f, 2).await;
    let mut stream = pin!(stream);
    f.store.close().await;
    // A gap sends the watcher to the closed store.
    let mut ahead = FeedEvent::snapshot(&f.order, StationDirectory::embedded());
    ahead.sequence += 2;
    feed.send(Arc::new(ahead)).unwrap();
    let message = tokio::time::timeout(PATIENCE, stream.next()).await.unwrap();
    // A closed pool is a database out of reach: worth a retry elsewhere.
    assert_eq!(
        message.unwrap().unwrap_err().code(),
        tonic::Code::Unavailable
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
}

#[tokio::test]
async fn a_resume_at_the_end_of_a_finished_order_ends_at_once() {
    let mut f = fixture(no_polling()).await;
    let last = f.save(OrderStatus::Cancelled).await;
    // Without follow: nothing left to send, the stream ends.
    let mut resumed = pin!(f.watch(last, false).await);
    assert_eq!(next(&mut resumed).await, None);
    let mut beyond = pin!(f.watch(last + 5, false).await);
    assert_eq!(next(&mut beyond).await, None);
    // Resumed before the end: the final event, then the end.
    let mut earlier = pin!(f.watch(last - 1, false).await);
    assert_eq!(
        next(&mut earlier).await,
        Some((last, status(pb::OrderStatus::Cancelled)))
    );
    assert_eq!(next(&mut earlier).await, None);
    // Following, the stream stays open for what may come (no event now).
    let mut following = pin!(f.watch(last, true).await);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), following.next())
            .await
            .is_err(),
        "a follower waits"
    );
}
