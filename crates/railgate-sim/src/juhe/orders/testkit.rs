//! Test harness for the Juhe simulator: a simulator on a clock the test can
//! move, form and query-string request helpers, a ride picker and a
//! callback receiver.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fares::{self, SeatClass};
use crate::juhe::codes::OrderStatus;
use crate::juhe::{DEFAULT_KEY, Endpoint, JuheSimConfig, SimState, router_with_state};
use crate::timetable::{DAY_MINUTES, Timetable};

/// "Now" when a test starts: 2026-05-01 10:00 Asia/Shanghai.
pub fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 5, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

/// How long a wait may take in real time before the test fails.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// A deterministic, valid 18-digit resident id for a name.
pub fn id_for(name: &str) -> String {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(name.as_bytes());
    let body = format!("110105{:011}", hasher.finish() % 100_000_000_000);
    (b'0'..=b'9')
        .chain([b'X'])
        .map(char::from)
        .map(|c| format!("{body}{c}"))
        .find(|candidate| crate::identity::id18_is_valid(candidate))
        .expect("one check character fits")
}

/// A ride to book in a test: what search lists for it.
#[derive(Debug, Clone)]
pub struct TestRide {
    pub train_code: String,
    pub train_no: String,
    pub from: String,
    pub to: String,
    pub depart: NaiveDateTime,
}

impl TestRide {
    pub fn date(&self) -> NaiveDate {
        self.depart.date()
    }
}

/// A simulator under test.
pub struct Sim {
    pub router: Router,
    pub state: Arc<SimState>,
    /// A G train 北京南→上海虹桥 tomorrow afternoon with plenty of 二等 and
    /// 一等 seats.
    pub ride: TestRide,
    /// Seconds added to the fixed clock.
    offset: Arc<AtomicI64>,
    counter: AtomicU32,
}

impl Sim {
    /// A simulator at [`now`], running `clock_scale` times real time.
    pub fn start(clock_scale: f64) -> Sim {
        Sim::start_with(JuheSimConfig {
            clock_scale,
            ..JuheSimConfig::default()
        })
    }

    /// A simulator with `config`, its clock replaced by [`now`] plus the
    /// test's offset.
    pub fn start_with(config: JuheSimConfig) -> Sim {
        let offset = Arc::new(AtomicI64::new(0));
        let clock_offset = Arc::clone(&offset);
        let config = JuheSimConfig {
            clock: Arc::new(move || {
                now() + TimeDelta::seconds(clock_offset.load(Ordering::Relaxed))
            }),
            ..config
        };
        let (router, state) = router_with_state(config);
        Sim {
            router,
            state,
            ride: pick_ride(Timetable::embedded()),
            offset,
            counter: AtomicU32::new(0),
        }
    }

    /// Move the clock on (sleeping drivers notice at their next wake).
    pub fn advance(&self, by: TimeDelta) {
        self.offset.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }

    /// GET with `pairs` (and the key) in the query string.
    pub async fn get(&self, endpoint: Endpoint, pairs: &[(&str, &str)]) -> Value {
        let query = encode(&with_key(pairs));
        let request = Request::get(format!("{}?{query}", endpoint.path()))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// POST `pairs` (and the key) as a form.
    pub async fn post(&self, endpoint: Endpoint, pairs: &[(&str, &str)]) -> Value {
        let request = Request::post(endpoint.path())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode(&with_key(pairs))))
            .unwrap();
        self.send(request).await
    }

    /// Send a request, expecting HTTP 200 and JSON.
    pub async fn send(&self, request: Request<Body>) -> Value {
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// search.php for a ride's stations and date; the whole answer.
    pub async fn search(&self, ride: &TestRide) -> Value {
        let date = ride.date().format("%Y%m%d").to_string();
        let reply = self
            .get(
                Endpoint::Search,
                &[("from", &ride.from), ("to", &ride.to), ("date", &date)],
            )
            .await;
        assert_eq!(reply["error_code"], json!(0), "{reply}");
        reply
    }

    /// A fresh queryKey for a ride's search.
    pub async fn query_key(&self, ride: &TestRide) -> String {
        let reply = self.search(ride).await;
        reply["result"]["queryKey"].as_str().unwrap().to_owned()
    }

    /// A valid submitOrder form for one train and class, adults, closing
    /// two hours before departure, with a fresh outOrderNo.
    pub fn order_form(
        &self,
        query_key: &str,
        ride: &TestRide,
        seat: &str,
        names: &[&str],
    ) -> Vec<(String, String)> {
        let number = self.counter.fetch_add(1, Ordering::Relaxed);
        let passengers: Vec<Value> = names
            .iter()
            .map(|name| {
                json!({"passengerName": name, "passengerType": "1", "idCardType": "0",
                       "idCardNo": id_for(name), "birthday": "1990-01-02"})
            })
            .collect();
        let close = ride.depart - TimeDelta::hours(2);
        [
            ("queryKey", query_key.to_owned()),
            ("outOrderNo", format!("test{number:06}")),
            ("ticketModel", "0".to_owned()),
            ("trainNo", ride.train_code.clone()),
            ("seatClassCode", seat.to_owned()),
            ("mainTrainNo", ride.train_code.clone()),
            ("mainSeatClass", seat.to_owned()),
            ("fromStation", ride.from.clone()),
            ("toStation", ride.to.clone()),
            // One train: its departure time, as the seed asks.
            (
                "departDate",
                ride.depart.format("%Y-%m-%d %H:%M").to_string(),
            ),
            ("closeTime", close.format("%Y-%m-%d %H:%M:%S").to_string()),
            ("acceptNoSeat", "0".to_owned()),
            ("person", "李伟".to_owned()),
            ("cellphone", "18754683215".to_owned()),
            ("passengers", Value::Array(passengers).to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// submitOrder with `form`; the whole answer.
    pub async fn submit(&self, form: &[(String, String)]) -> Value {
        let pairs: Vec<(&str, &str)> = form
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        self.post(Endpoint::SubmitOrder, &pairs).await
    }

    /// Search, then submit an order on the default ride (二等) that must be
    /// accepted; its outOrderNo.
    pub async fn grab(&self, names: &[&str]) -> String {
        let key = self.query_key(&self.ride).await;
        let form = self.order_form(&key, &self.ride, "secondseat", names);
        let reply = self.submit(&form).await;
        assert_eq!(reply["error_code"], json!(0), "{reply}");
        reply["result"]["outOrderNo"].as_str().unwrap().to_owned()
    }

    /// Wait (without requests) until the order reaches `status`.
    pub async fn wait_status(&self, out_order_no: &str, status: OrderStatus) {
        let started = Instant::now();
        while self.state.order_status(out_order_no) != Some(status) {
            assert!(
                started.elapsed() < WAIT_LIMIT,
                "order stuck in {:?}, wanted {status:?}",
                self.state.order_status(out_order_no)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// orderDetail's `result`, with or without `issue=1`, over HTTP.
    pub async fn detail(&self, out_order_no: &str, issued: bool) -> Value {
        let mut pairs = vec![("outOrderNo", out_order_no)];
        if issued {
            pairs.push(("issue", "1"));
        }
        let reply = self.get(Endpoint::OrderDetail, &pairs).await;
        assert_eq!(reply["error_code"], json!(0), "{reply}");
        reply["result"].clone()
    }
}

fn with_key<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = pairs.to_vec();
    if !pairs.iter().any(|(name, _)| *name == "key") {
        all.push(("key", DEFAULT_KEY));
    }
    all
}

/// `application/x-www-form-urlencoded` text of `pairs`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The default ride (see [`Sim::ride`]).
fn pick_ride(timetable: &Timetable) -> TestRide {
    let date = now().date() + TimeDelta::days(1);
    for segment in timetable.trains_between("北京南", "上海虹桥") {
        let time_of_day = segment.depart() % DAY_MINUTES;
        if !segment.train_code().starts_with('G') || !(12 * 60..20 * 60).contains(&time_of_day) {
            continue;
        }
        let left =
            |seat| fares::remaining(&segment.train.train_no, date, "北京南", "上海虹桥", seat);
        if left(SeatClass::Second) >= 30 && left(SeatClass::First) >= 10 {
            return TestRide {
                train_code: segment.train_code().to_owned(),
                train_no: segment.train.train_no.clone(),
                from: "北京南".into(),
                to: "上海虹桥".into(),
                depart: date.and_hms_opt(0, 0, 0).unwrap()
                    + TimeDelta::minutes(i64::from(time_of_day)),
            };
        }
    }
    panic!("no G train 北京南→上海虹桥 with seats");
}

/// A failure answer with this code whose reason contains `needle`.
pub fn assert_failure(reply: &Value, code: u32, needle: &str) {
    assert_eq!(reply["error_code"], json!(code), "{reply}");
    assert_eq!(reply["result"], Value::Null, "{reply}");
    let reason = reply["reason"].as_str().unwrap();
    assert!(
        reason.contains(needle),
        "reason {reason:?} should mention {needle:?}"
    );
}

/// Receives callbacks; can refuse the first ones with HTTP 500.
#[derive(Clone)]
pub struct CallbackServer {
    pub base: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    refusals: Arc<AtomicU32>,
}

async fn receive(
    State(server): State<CallbackServer>,
    axum::extract::Path(kind): axum::extract::Path<String>,
    body: axum::Json<Value>,
) -> StatusCode {
    let refuse = server
        .refusals
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if refuse {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    server.received.lock().unwrap().push((kind, body.0));
    StatusCode::OK
}

impl CallbackServer {
    /// Listens on `/callbacks/juhe/{kind}`.
    pub async fn start() -> CallbackServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = CallbackServer {
            base: format!("http://{address}/callbacks/juhe"),
            received: Arc::default(),
            refusals: Arc::default(),
        };
        let app = Router::new()
            .route("/callbacks/juhe/{kind}", post(receive))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    /// The URL for a kind (`issue`, `refund`, `expiry`).
    pub fn url(&self, kind: &str) -> String {
        format!("{}/{kind}", self.base)
    }

    /// Register all three types with the simulator.
    pub async fn register(&self, sim: &Sim) {
        for (kind, name) in [("1", "issue"), ("2", "refund"), ("3", "expiry")] {
            let url = self.url(name);
            let reply = sim
                .get(Endpoint::AddCallbackUrl, &[("url", &url), ("type", kind)])
                .await;
            assert_eq!(reply["error_code"], json!(0), "{reply}");
        }
    }

    /// Answer the next `count` callbacks with HTTP 500.
    pub fn refuse_next(&self, count: u32) {
        self.refusals.store(count, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().unwrap().clone()
    }

    /// Wait for a callback of `kind` matching `wanted`.
    pub async fn wait_for(&self, kind: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let found = self
                .received()
                .into_iter()
                .find(|(received, body)| received == kind && wanted(body));
            if let Some((_, body)) = found {
                return body;
            }
            assert!(
                started.elapsed() < WAIT_LIMIT,
                "no such {kind} callback among {:#?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Wait for a callback record (sent or not) matching `wanted`.
pub async fn wait_record(
    sim: &Sim,
    wanted: impl Fn(&super::CallbackRecord) -> bool,
) -> super::CallbackRecord {
    let started = Instant::now();
    loop {
        if let Some(record) = sim
            .state
            .callbacks()
            .into_iter()
            .find(|record| wanted(record))
        {
            return record;
        }
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "no such callback record among {:#?}",
            sim.state.callbacks()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Differences in shape between `ours` and a seed example: key sets of
/// objects (recursively, array elements against the seed's first) and JSON
/// types where neither is null.
pub fn shape_problems(path: &str, ours: &Value, seed: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    collect_shape_problems(path, ours, seed, &mut problems);
    problems
}

fn collect_shape_problems(path: &str, ours: &Value, seed: &Value, problems: &mut Vec<String>) {
    match (ours, seed) {
        (Value::Object(ours), Value::Object(seed)) => {
            for key in seed.keys().filter(|key| !ours.contains_key(*key)) {
                problems.push(format!("{path}.{key} missing"));
            }
            for key in ours.keys().filter(|key| !seed.contains_key(*key)) {
                problems.push(format!("{path}.{key} not in the seed"));
            }
            for (key, value) in ours {
                if let Some(expected) = seed.get(key) {
                    collect_shape_problems(&format!("{path}.{key}"), value, expected, problems);
                }
            }
        }
        (Value::Array(ours), Value::Array(seed)) => {
            if let Some(first) = seed.first() {
                for (index, item) in ours.iter().enumerate() {
                    collect_shape_problems(&format!("{path}[{index}]"), item, first, problems);
                }
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (ours, seed) => {
            let kind = |value: &Value| match value {
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
                Value::Null => "null",
            };
            if kind(ours) != kind(seed) {
                problems.push(format!(
                    "{path}: {} where the seed has {}",
                    kind(ours),
                    kind(seed)
                ));
            }
        }
    }
}
