//! The soak's mixed load, from this process over gRPC: searches at a
//! steady rate, Panhe bookings and Juhe grab orders through their whole
//! lives ([`super::cycles`]), WatchOrder streams opened and abandoned,
//! order reads, and a trickle of client-side faults
//! ([`super::oddities`]). Modest on purpose: the soak looks for what
//! accumulates over time, not for the ceiling.

use super::cycles::code;
use super::{cycles, oddities};
use crate::BenchError;
use railgate::domain::time::{Clock, SystemClock};
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// Searches started per second (each in a task of its own, so a slow
/// provider delays none of the next ones), at most this many in flight.
const SEARCH_INTERVAL: Duration = Duration::from_millis(250);
const SEARCHES_IN_FLIGHT: usize = 32;
/// Panhe bookings in progress at once, each a Book → HELD → Confirm →
/// ISSUED → QuoteRefund → Refund → REFUNDED cycle (about 20 s at the
/// simulator's real-time delays).
const PANHE_CYCLES: usize = 3;
/// Juhe grab orders in progress at once (about 35 s each).
const GRAB_CYCLES: usize = 1;
/// A new following WatchOrder stream this often, each abandoned after
/// 2 to 20 s.
const WATCH_INTERVAL: Duration = Duration::from_secs(3);
/// GetOrder this often; ListOrders and GetStops every tenth time.
const READ_INTERVAL: Duration = Duration::from_secs(1);
/// A client-side fault this often.
const ODDITY_INTERVAL: Duration = Duration::from_secs(2);
/// HTTP/2 connections the load shares.
const CONNECTIONS: usize = 4;
/// Order ids kept for reads and watchers.
const RECENT_ORDERS: usize = 64;

/// Routes searched: busy ones, a same-city search and a through-stop
/// search among them (more provider calls per Search).
pub const ROUTES: [(&str, &str, bool); 10] = [
    ("北京南", "上海虹桥", false),
    ("上海虹桥", "北京南", false),
    ("广州南", "深圳北", false),
    ("杭州东", "南京南", false),
    ("成都东", "重庆北", false),
    ("武汉", "长沙南", false),
    ("北京西", "郑州东", false),
    ("西安北", "郑州东", false),
    ("北京", "上海", false),
    ("南京南", "杭州东", true),
];

/// Counts by name of what the clients saw: cycle outcomes, client-side
/// faults and how railgate answered them.
#[derive(Debug, Default)]
pub struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    pub fn count(&self, what: impl Into<String>) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(what.into()).or_default() += 1;
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }
}

/// What every worker shares.
pub struct Ctx {
    channels: Vec<Channel>,
    pub grpc_addr: SocketAddr,
    /// Unique per run: idempotency keys never meet an earlier run's.
    pub run: String,
    pub tally: Tally,
    recent: Mutex<VecDeque<String>>,
    next: AtomicU64,
    pub stop: watch::Receiver<bool>,
}

impl Ctx {
    /// A client on one of the shared connections, in turn.
    pub fn client(&self) -> BookingServiceClient<Channel> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        BookingServiceClient::new(self.channels[index % self.channels.len()].clone())
    }

    /// A number unique in this run.
    pub fn sequence(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub fn remember(&self, order_id: &str) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == RECENT_ORDERS {
                recent.pop_front();
            }
            recent.push_back(order_id.to_owned());
        }
    }

    /// One of the recent orders, chosen by `pick`.
    pub fn recent_order(&self, pick: u64) -> Option<String> {
        let recent = self.recent.lock().ok()?;
        let count = recent.len() as u64;
        (count > 0).then(|| recent[(pick % count) as usize].clone())
    }

    pub fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleeps `length`; false if the soak stopped meanwhile.
    pub async fn sleep(&self, length: Duration) -> bool {
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(length) => !self.stopped(),
            _ = stop.wait_for(|stop| *stop) => false,
        }
    }
}

/// The load as the document describes it, from the constants above.
pub fn description() -> Vec<String> {
    let per_second = |interval: Duration| 1.0 / interval.as_secs_f64();
    vec![
        format!(
            "{:.0} Searches a second over {} routes (a same-city 北京 → 上海 and a through-stop search among them) and the 14 presale days, at most {SEARCHES_IN_FLIGHT} in flight; railgate's 10 s search cache answers some, the providers the rest",
            per_second(SEARCH_INTERVAL),
            ROUTES.len()
        ),
        format!(
            "{PANHE_CYCLES} Panhe bookings in progress at all times, each Search → Book → (WatchOrder) HELD → Confirm → ISSUED → QuoteRefund → Refund → REFUNDED; every 6th cancelled while held instead, every 5th Book and 7th Confirm sent twice with the same key"
        ),
        format!(
            "{GRAB_CYCLES} Juhe grab order in progress at all times: Book with grab options → GRABBING → ISSUED → Refund; every 4th cancelled while grabbing"
        ),
        format!(
            "a following WatchOrder stream opened on a recent order every {} s and abandoned by the client after 2 to 20 s (the booking cycles follow their orders with WatchOrder too)",
            WATCH_INTERVAL.as_secs()
        ),
        format!(
            "GetOrder of a recent order every {} s, ListOrders and GetStops every 10 s",
            READ_INTERVAL.as_secs()
        ),
        format!(
            "a client-side fault every {} s (below), all over {CONNECTIONS} shared HTTP/2 connections except the fault's own",
            ODDITY_INTERVAL.as_secs()
        ),
    ]
}

/// A Search of `ROUTES[route]`, `days` from today.
pub fn search_request(route: usize, days: i64) -> pb::SearchRequest {
    let (from, to, through_stops) = ROUTES[route % ROUTES.len()];
    pb::SearchRequest {
        from_station: from.to_owned(),
        to_station: to.to_owned(),
        travel_date: date_in(days),
        through_stops,
        ..Default::default()
    }
}

/// The Asia/Shanghai date `days` from today, as the API spells dates.
pub fn date_in(days: i64) -> String {
    (SystemClock.today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// The running load.
pub struct Traffic {
    pub ctx: Arc<Ctx>,
    workers: JoinSet<()>,
}

impl Traffic {
    /// Connects and starts every worker; they run until `stop` fires.
    pub async fn start(
        uri: &str,
        grpc_addr: SocketAddr,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, BenchError> {
        let channels = crate::load::connect(uri, CONNECTIONS).await?;
        let ctx = Arc::new(Ctx {
            channels,
            grpc_addr,
            run: uuid::Uuid::now_v7().simple().to_string(),
            tally: Tally::default(),
            recent: Mutex::new(VecDeque::new()),
            next: AtomicU64::new(0),
            stop,
        });
        let mut workers = JoinSet::new();
        workers.spawn(searches(ctx.clone()));
        for worker in 0..PANHE_CYCLES {
            workers.spawn(cycles::panhe_worker(ctx.clone(), worker));
        }
        for worker in 0..GRAB_CYCLES {
            workers.spawn(cycles::grab_worker(ctx.clone(), worker));
        }
        workers.spawn(watchers(ctx.clone()));
        workers.spawn(reads(ctx.clone()));
        workers.spawn(oddities::run(ctx.clone(), ODDITY_INTERVAL));
        Ok(Self { ctx, workers })
    }

    /// Waits for the workers to notice the stop, at most `grace`; the
    /// rest are dropped (their calls cancelled).
    pub async fn finish(mut self, grace: Duration) -> BTreeMap<String, u64> {
        let drained = tokio::time::timeout(grace, async {
            while self.workers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.workers.abort_all();
            while self.workers.join_next().await.is_some() {}
        }
        self.ctx.tally.snapshot()
    }
}

/// Searches on a fixed schedule over every route and the presale days.
async fn searches(ctx: Arc<Ctx>) {
    let slots = Arc::new(Semaphore::new(SEARCHES_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    let mut tick = tokio::time::interval(SEARCH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut count: u64 = 0;
    while !ctx.stopped() {
        let mut stop = ctx.stop.clone();
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|stop| *stop) => break,
        }
        // Finished searches leave the set, so it stays small.
        while tasks.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            ctx.tally.count("Search skipped: 32 already in flight");
            continue;
        };
        let request = search_request(count as usize, (count % 14) as i64);
        count += 1;
        let mut client = ctx.client();
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let _slot = slot;
            if let Err(status) = client.search(request).await {
                ctx.tally.count(format!("Search failed: {}", code(&status)));
            }
        });
    }
    tasks.abort_all();
}

/// Following streams on recent orders, each abandoned by the client after
/// a while (the server sees the stream cancelled, not finished).
async fn watchers(ctx: Arc<Ctx>) {
    let mut streams = JoinSet::new();
    let mut count: u64 = 0;
    while ctx.sleep(WATCH_INTERVAL).await {
        while streams.try_join_next().is_some() {}
        count += 1;
        let Some(order_id) = ctx.recent_order(count * 7) else {
            continue;
        };
        let hold = Duration::from_secs(2 + (count * 7) % 19);
        let mut client = ctx.client();
        let ctx = ctx.clone();
        streams.spawn(async move {
            let request = pb::WatchOrderRequest {
                order_id,
                follow: true,
                ..Default::default()
            };
            let mut events = match client.watch_order(request).await {
                Ok(events) => events.into_inner(),
                Err(status) => {
                    ctx.tally
                        .count(format!("WatchOrder refused: {}", code(&status)));
                    return;
                }
            };
            let read = async { while let Some(Ok(_event)) = events.next().await {} };
            match tokio::time::timeout(hold, read).await {
                Err(_) => ctx.tally.count("WatchOrder abandoned by the client"),
                Ok(()) => ctx.tally.count("WatchOrder ended by railgate"),
            }
        });
    }
    streams.abort_all();
}

/// GetOrder of recent orders; now and then ListOrders and GetStops.
async fn reads(ctx: Arc<Ctx>) {
    let mut count: u64 = 0;
    while ctx.sleep(READ_INTERVAL).await {
        count += 1;
        let mut client = ctx.client();
        if let Some(order_id) = ctx.recent_order(count * 13) {
            if let Err(status) = client.get_order(pb::GetOrderRequest { order_id }).await {
                ctx.tally
                    .count(format!("GetOrder failed: {}", code(&status)));
            }
        }
        if count % 10 == 0 {
            let listed = client
                .list_orders(pb::ListOrdersRequest {
                    page_size: 20,
                    ..Default::default()
                })
                .await;
            if let Err(status) = listed {
                ctx.tally
                    .count(format!("ListOrders failed: {}", code(&status)));
            }
        }
        if count % 10 == 5 {
            let stops = client
                .get_stops(pb::GetStopsRequest {
                    // G1 runs 北京南 → 上海 daily.
                    train_code: "G1".into(),
                    travel_date: date_in(2),
                    from_station: "北京南".into(),
                    to_station: "上海".into(),
                    ..Default::default()
                })
                .await;
            if let Err(status) = stops {
                ctx.tally
                    .count(format!("GetStops failed: {}", code(&status)));
            }
        }
    }
}
