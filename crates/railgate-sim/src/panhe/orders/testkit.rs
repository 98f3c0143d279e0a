//! Test harness for the booking simulator: a simulator on a clock the test
//! can move, request helpers, ride pickers and a callback receiver.

use std::hash::Hasher;
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

use super::model::{Passenger, RefundInfo, Ticket, TicketStatus};
use super::payment_sign;
use crate::fares::{self, Family, SeatClass};
use crate::panhe::{DEFAULT_APP_KEY, PanheSimConfig, SimState, query, router_with_state};
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

/// A ride to book in a test.
#[derive(Debug, Clone)]
pub struct TestRide {
    pub train_code: String,
    pub train_no: String,
    pub from: String,
    pub to: String,
    pub depart: NaiveDateTime,
    pub arrive: NaiveDateTime,
}

impl TestRide {
    pub fn depart_text(&self) -> String {
        self.depart.format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn arrive_text(&self) -> String {
        self.arrive.format("%Y-%m-%d %H:%M").to_string()
    }

    /// The same train a day later.
    pub fn next_day(&self) -> TestRide {
        TestRide {
            depart: self.depart + TimeDelta::days(1),
            arrive: self.arrive + TimeDelta::days(1),
            ..self.clone()
        }
    }
}

/// A simulator under test.
pub struct Sim {
    pub router: Router,
    pub state: Arc<SimState>,
    /// A G train 北京南→上海虹桥 tomorrow afternoon (26–38 h ahead: refunds
    /// cost 10%, changes 5%) with plenty of 二等 and 一等 seats, today and
    /// the day after.
    pub ride: TestRide,
    pub callback_url: Option<String>,
    /// Seconds added to the fixed clock.
    offset: Arc<AtomicI64>,
    counter: AtomicU32,
}

/// A deterministic, valid 18-digit resident id for a name.
pub fn id_for(name: &str) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(name.as_bytes());
    let body = format!("11010519900101{:03}", hasher.finish() % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = char::from(b"10X98765432"[(sum % 11) as usize]);
    format!("{body}{check}")
}

fn mobile_for(name: &str) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(name.as_bytes());
    format!("1380013{:04}", hasher.finish() % 10_000)
}

impl Sim {
    pub async fn start(scale: f64) -> Sim {
        Sim::start_with(scale, None).await
    }

    pub async fn start_with(scale: f64, callback_url: Option<String>) -> Sim {
        let offset = Arc::new(AtomicI64::new(0));
        let clock_offset = Arc::clone(&offset);
        let config = PanheSimConfig {
            clock: Arc::new(move || {
                now() + TimeDelta::seconds(clock_offset.load(Ordering::Relaxed))
            }),
            clock_scale: scale,
            ..PanheSimConfig::default()
        };
        // Parse the timetable first: provider time runs from the router on.
        let timetable = query::timetable().await;
        let (router, state) = router_with_state(config);
        let ride = pick_ride(timetable);
        Sim {
            router,
            state,
            ride,
            callback_url,
            offset,
            counter: AtomicU32::new(0),
        }
    }

    /// Move the clock on (timers are not affected).
    pub fn advance(&self, by: TimeDelta) {
        self.offset.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }

    /// POST `body` (appKey added) to the endpoint with this config key.
    pub async fn call(&self, endpoint: &str, mut body: Value) -> Value {
        let paths = self.state.config().paths.clone();
        let path = paths
            .entries()
            .iter()
            .find(|(key, _)| *key == endpoint)
            .map(|(_, path)| path.to_string())
            .unwrap_or_else(|| panic!("no endpoint {endpoint}"));
        if body.get("appKey").is_none() {
            body["appKey"] = json!(DEFAULT_APP_KEY);
        }
        let request = Request::post(path)
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// createOrder, which must succeed; the order number.
    pub async fn create(&self, body: Value) -> String {
        let reply = self.call("create_order", body).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        reply["data"]["orderNo"].as_str().unwrap().to_owned()
    }

    pub fn order_body(&self, names: &[&str]) -> Value {
        self.order_body_on(&self.ride, names)
    }

    /// A valid createOrder body: 二等座, adults, a unique customerOrderNo.
    pub fn order_body_on(&self, ride: &TestRide, names: &[&str]) -> Value {
        let number = self.counter.fetch_add(1, Ordering::Relaxed);
        let passengers: Vec<Value> = names
            .iter()
            .map(|name| {
                json!({"name": name, "cardType": 1, "cardNo": id_for(name),
                       "mobile": mobile_for(name), "ticketType": 1, "seatType": 4})
            })
            .collect();
        json!({
            "customerOrderNo": format!("c-{number}"),
            "contactName": "李伟",
            "contactMobile": "18754683215",
            "trainCode": ride.train_code,
            "fromStation": ride.from,
            "toStation": ride.to,
            "fromDateTime": ride.depart_text(),
            "toDateTime": ride.arrive_text(),
            "trainAccount": "12306用户名-密文",
            "trainPassword": "12306登录密码-密文",
            "isChooseSeats": false,
            "chooseSeats": null,
            "chooseSleeper": "000",
            "callBackUrl": self.callback_url,
            "refundTicketCallbackUrl": self.callback_url,
            "passengers": passengers,
        })
    }

    /// A G/D ride with 二等 seats leaving `delta` (up to 2 min more) after
    /// provider time now.
    pub fn ride_leaving_in(&self, delta: TimeDelta) -> TestRide {
        let target = self.state.provider_now() + delta;
        let timetable = Timetable::embedded();
        for train in timetable.trains() {
            if !matches!(fares::family(train), Family::HighSpeed | Family::Emu) {
                continue;
            }
            for index in 0..train.stops.len() - 1 {
                let stop = &train.stops[index];
                let time_of_day = stop.depart % DAY_MINUTES;
                let depart = target.date().and_hms_opt(0, 0, 0).unwrap()
                    + TimeDelta::minutes(i64::from(time_of_day));
                let repeated = train
                    .stops
                    .iter()
                    .filter(|other| other.station_name == stop.station_name)
                    .count()
                    > 1;
                let next = &train.stops[index + 1];
                let left = fares::remaining(
                    &train.train_no,
                    depart.date(),
                    &stop.station_name,
                    &next.station_name,
                    SeatClass::Second,
                );
                if depart >= target
                    && depart < target + TimeDelta::minutes(2)
                    && !repeated
                    && left >= 5
                {
                    let minutes = next.arrive_or_depart() - stop.depart;
                    return TestRide {
                        train_code: stop.train_code.to_string(),
                        train_no: train.train_no.clone(),
                        from: stop.station_name.to_string(),
                        to: next.station_name.to_string(),
                        depart,
                        arrive: depart + TimeDelta::minutes(i64::from(minutes)),
                    };
                }
            }
        }
        panic!("no train leaves around {target}");
    }

    /// orderDetail over HTTP, which must succeed; its data.
    pub async fn detail(&self, order_no: &str) -> Value {
        let reply = self
            .call("order_detail", json!({"orderNo": order_no}))
            .await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        reply["data"].clone()
    }

    /// Poll the order until `done` holds.
    pub async fn wait_until(&self, order_no: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let detail = serde_json::to_value(self.state.order(order_no).unwrap()).unwrap();
            if done(&detail) {
                return detail;
            }
            assert!(
                started.elapsed() < WAIT_LIMIT,
                "order never got there: {detail:#}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn wait_status(&self, order_no: &str, status: u8) -> Value {
        self.wait_until(order_no, |detail| detail["orderStatus"] == json!(status))
            .await
    }

    /// 二等 tickets left on the default ride, as 余票查询 shows them.
    pub async fn left_tickets(&self) -> u32 {
        let body = json!({"fromStation": self.ride.from, "toStation": self.ride.to,
                          "fromDate": self.ride.depart.date().to_string()});
        let reply = self.call("query_tickets", body).await;
        let line = reply["data"]["trainLines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["trainNo"] == json!(self.ride.train_no))
            .unwrap()
            .clone();
        let seat = line["Seats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|seat| seat["seatType"] == json!(4))
            .unwrap()
            .clone();
        seat["leftTicketNum"].as_u64().unwrap() as u32
    }

    /// An order on the default ride, held.
    pub async fn hold(&self, names: &[&str]) -> String {
        let order_no = self.create(self.order_body(names)).await;
        self.wait_status(&order_no, 2).await;
        order_no
    }

    /// An order on the default ride, issued; its number and detail.
    pub async fn issue(&self, names: &[&str]) -> (String, Value) {
        let order_no = self.hold(names).await;
        let reply = self.confirm(&order_no, None).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        let detail = self.wait_status(&order_no, 8).await;
        (order_no, detail)
    }

    pub fn sign(&self, subject: &str, amount: Option<&str>) -> String {
        payment_sign(&self.state.config().secret_key, subject, amount)
    }

    /// confirmOrder, signed; `amount` goes out as a JSON number.
    pub async fn confirm(&self, order_no: &str, amount: Option<&str>) -> Value {
        let pay_amount = amount.map(|text| text.parse::<f64>().unwrap());
        let body = json!({"orderNo": order_no, "payAmount": pay_amount,
                          "sign": self.sign(order_no, amount)});
        self.call("confirm_order", body).await
    }

    /// The refundTicket entry for a ticket of order detail.
    pub fn refund_entry(&self, ticket: &Value) -> Value {
        let name = ticket["name"].as_str().unwrap();
        json!({"name": name, "ticketNo": ticket["ticketNo"], "cardType": 1, "cardNo": id_for(name)})
    }

    /// applyChange of `tickets` to `ride` in `seat_type`; the reply.
    pub async fn apply_change(
        &self,
        order_no: &str,
        tickets: &[&Value],
        ride: &TestRide,
        seat_type: i64,
    ) -> Value {
        let numbers: Vec<&str> = tickets
            .iter()
            .map(|ticket| ticket["ticketNo"].as_str().unwrap())
            .collect();
        let body = json!({"orderNo": order_no, "changePsgTicketNos": numbers.join("|"),
            "fromStation": ride.from, "toStation": ride.to, "trainCode": ride.train_code,
            "seatType": seat_type, "fromDateTime": ride.depart_text(), "toDateTime": ride.arrive_text(),
            "isChooseSeats": false, "chooseSleeper": "000", "remark": "行程有变",
            "callBackUrl": self.callback_url});
        self.call("apply_change", body).await
    }

    /// Change one ticket to the default train a day later, 二等; the chaNo.
    pub async fn apply_change_to_next_day(&self, order_no: &str, ticket: &Value) -> String {
        let reply = self
            .apply_change(order_no, &[ticket], &self.ride.next_day(), 4)
            .await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        reply["data"].as_str().unwrap().to_owned()
    }

    /// confirmChange, signed; `amount` goes out as a JSON number.
    pub async fn confirm_change(
        &self,
        order_no: &str,
        cha_no: &str,
        amount: Option<&str>,
    ) -> Value {
        let pay_amount = amount.map(|text| text.parse::<f64>().unwrap());
        let body = json!({"orderNo": order_no, "chaNo": cha_no, "payAmount": pay_amount,
                          "sign": self.sign(cha_no, amount)});
        self.call("confirm_change", body).await
    }

    /// Wait for the change order `index` of the order to reach `status`.
    pub async fn wait_change(&self, order_no: &str, index: usize, status: u8) -> Value {
        self.wait_until(order_no, |detail| {
            detail["trainChaOrder"][index]["chaOrderStatus"] == json!(status)
        })
        .await
    }

    pub async fn refund(&self, order_no: &str, ticket: &Value) -> Value {
        let body = json!({"orderNo": order_no, "tickets": [self.refund_entry(ticket)], "remark": "行程取消了"});
        self.call("refund_ticket", body).await
    }
}

/// The default ride (see [`Sim::ride`]).
fn pick_ride(timetable: &Timetable) -> TestRide {
    let date = now().date() + TimeDelta::days(1);
    for segment in timetable.trains_between("北京南", "上海虹桥") {
        let time_of_day = segment.depart() % DAY_MINUTES;
        if !segment.train_code().starts_with('G') || !(12 * 60..20 * 60).contains(&time_of_day) {
            continue;
        }
        let left = |date: NaiveDate, seat| {
            fares::remaining(&segment.train.train_no, date, "北京南", "上海虹桥", seat)
        };
        let plenty = [date, date + TimeDelta::days(1)]
            .iter()
            .all(|&day| left(day, SeatClass::Second) >= 30 && left(day, SeatClass::First) >= 10);
        if plenty {
            let depart =
                date.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(i64::from(time_of_day));
            return TestRide {
                train_code: segment.train_code().to_owned(),
                train_no: segment.train.train_no.clone(),
                from: "北京南".into(),
                to: "上海虹桥".into(),
                depart,
                arrive: depart + TimeDelta::minutes(i64::from(segment.minutes())),
            };
        }
    }
    panic!("no G train 北京南→上海虹桥 with seats");
}

/// A failure envelope whose message contains `needle`.
pub fn assert_failure(reply: &Value, needle: &str) {
    assert_eq!(reply["success"], json!(false), "{reply}");
    assert_eq!(reply["data"], Value::Null, "{reply}");
    let msg = reply["msg"].as_str().unwrap();
    assert!(
        msg.contains(needle),
        "msg {msg:?} should mention {needle:?}"
    );
}

pub fn parse_time(value: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(value.as_str().unwrap(), "%Y-%m-%d %H:%M:%S").unwrap()
}

/// A held ticket for unit tests.
pub fn plain_ticket(seat: SeatClass) -> Ticket {
    Ticket {
        passenger: Passenger {
            passenger_id: 1,
            name: "张飞".into(),
            card_type: 1,
            card_no: id_for("张飞"),
            mobile: mobile_for("张飞"),
            ticket_type: 1,
        },
        requested: seat,
        seat,
        berth: None,
        chosen_letter: None,
        ticket_no: None,
        seat_no: None,
        status: TicketStatus::Holding,
        price_fen: 1300,
        refund: RefundInfo::default(),
        holds_inventory: false,
    }
}

/// Receives callbacks; can refuse the first ones with HTTP 500.
#[derive(Clone)]
pub struct CallbackServer {
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
    refusals: Arc<AtomicU32>,
}

async fn receive(State(server): State<CallbackServer>, body: axum::Json<Value>) -> StatusCode {
    let refuse = server
        .refusals
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if refuse {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    server.received.lock().unwrap().push(body.0);
    StatusCode::OK
}

impl CallbackServer {
    pub async fn start() -> CallbackServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = CallbackServer {
            url: format!("http://{address}/callbacks/panhe"),
            received: Arc::default(),
            refusals: Arc::default(),
        };
        let app = Router::new()
            .route("/callbacks/panhe", post(receive))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    /// Answer the next `count` callbacks with HTTP 500.
    pub fn refuse_next(&self, count: u32) {
        self.refusals.store(count, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Wait for a callback matching `wanted`.
    pub async fn wait_for(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            if let Some(found) = self.received().into_iter().find(|body| wanted(body)) {
                return found;
            }
            assert!(
                started.elapsed() < WAIT_LIMIT,
                "no such callback among {:#?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
