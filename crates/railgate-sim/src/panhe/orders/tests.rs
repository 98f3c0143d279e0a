//! Lifecycle tests across the endpoints: the happy path with order detail
//! checked against the seed's example, callbacks, and the hold triggers.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::testkit::*;
use super::{CallbackMode, CallbackRecord, Fault};
use crate::fares::{self, SeatClass};
use crate::timetable::{DAY_MINUTES, Timetable};

const SEED_DETAIL: &str = include_str!("testdata/seed_order_detail.json");

/// Differences in shape: key sets of objects (recursively, array elements
/// against the seed's first element) and JSON types where neither is null.
fn shape_problems(path: &str, ours: &Value, seed: &Value, problems: &mut Vec<String>) {
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
                    shape_problems(&format!("{path}.{key}"), value, expected, problems);
                }
            }
        }
        (Value::Array(ours), Value::Array(seed)) => {
            if let Some(first) = seed.first() {
                for (index, item) in ours.iter().enumerate() {
                    shape_problems(&format!("{path}[{index}]"), item, first, problems);
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

fn count_leaves(value: &Value) -> (usize, usize) {
    match value {
        Value::Object(map) => map
            .values()
            .map(count_leaves)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Array(items) => items
            .iter()
            .map(count_leaves)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Null => (1, 0),
        _ => (1, 1),
    }
}

#[tokio::test]
async fn happy_path_detail_has_the_seeds_shape() {
    let sim = Sim::start(60.0).await;
    let (order_no, issued) = sim.issue(&["张飞", "李三"]).await;
    // Change both tickets to the same train the next day, then confirm.
    let tickets = issued["trainTickets"].as_array().unwrap();
    let numbers: Vec<&str> = tickets
        .iter()
        .map(|t| t["ticketNo"].as_str().unwrap())
        .collect();
    let next = sim.ride.next_day();
    let body = json!({"orderNo": order_no, "changePsgTicketNos": numbers.join("|"),
        "fromStation": next.from, "toStation": next.to, "trainCode": next.train_code,
        "seatType": 4, "fromDateTime": next.depart_text(), "toDateTime": next.arrive_text(),
        "isChooseSeats": false, "chooseSleeper": "000", "remark": "行程有变"});
    let reply = sim.call("apply_change", body).await;
    let cha_no = reply["data"].as_str().unwrap().to_owned();
    let held = sim
        .wait_until(&order_no, |d| {
            d["trainChaOrder"][0]["chaOrderStatus"] == json!(31)
        })
        .await;
    let need = held["trainChaOrder"][0]["needPayAmount"].as_f64().unwrap();
    let amount = format!("{need}");
    let sign = sim.sign(&cha_no, Some(&amount));
    let body = json!({"orderNo": order_no, "chaNo": cha_no, "payAmount": need, "sign": sign});
    let reply = sim.call("confirm_change", body).await;
    assert_eq!(reply["data"], json!(true), "{reply}");
    sim.wait_until(&order_no, |d| {
        d["trainChaOrder"][0]["chaOrderStatus"] == json!(34)
    })
    .await;

    let reply = sim.call("order_detail", json!({"orderNo": order_no})).await;
    let seed: Value = serde_json::from_str(SEED_DETAIL).unwrap();
    let mut problems = Vec::new();
    shape_problems("", &reply, &seed, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
    let (leaves, filled) = count_leaves(&reply);
    assert!(
        filled * 10 > leaves * 6,
        "mostly filled in: {filled} of {leaves}"
    );
    // Field by field, the values the seed's example shows for this state.
    let data = &reply["data"];
    assert_eq!(reply["success"], json!(true));
    assert_eq!(reply["msg"], json!("请求成功"));
    assert_eq!(data["orderNo"], json!(order_no));
    assert!(order_no.starts_with("T26050110"), "{order_no}");
    assert_eq!(order_no.len(), "T24012512251820419".len());
    assert_eq!(data["orderStatus"], json!(8));
    assert_eq!(data["orderStatusName"], json!("出票成功"));
    assert_eq!(data["payStatus"], json!(1));
    assert_eq!(data["paymentType"], json!(1));
    assert_eq!(data["realPayAmount"], data["orderAmount"]);
    assert_eq!(data["serviceFeePerTicket"], json!(2.5));
    assert_eq!(data["insuranceAmount"], json!(0.0));
    assert_eq!(data["isSnatchOrder"], json!(false));
    assert_eq!(data["outTicketFail_RefundTransactionMethods"], json!(0));
    assert_eq!(data["contactMobile"], json!("18754683215"));
    assert_eq!(
        data["fromDateTime"],
        json!(format!("{}:00", sim.ride.depart_text()))
    );
    assert!(
        data["ticketEntrance"]
            .as_str()
            .unwrap()
            .starts_with("检票口")
    );
    let order_no_12306 = data["orderNo12306"].as_str().unwrap();
    assert!(order_no_12306.starts_with('E') && order_no_12306.len() == 10);
    for ticket in data["trainTickets"].as_array().unwrap() {
        assert_eq!(ticket["ticketStatus"], json!(34));
        assert_eq!(ticket["ticketStatusName"], json!("改签确认出票成功"));
        assert_eq!(ticket["cardTypeName"], json!("身份证"));
        assert_eq!(ticket["ticketTypeName"], json!("成人票"));
        assert_eq!(ticket["seatTypeName"], json!("二等座"));
        let card_no = ticket["cardNo"].as_str().unwrap();
        assert_eq!(&card_no[4..15], "***********", "{card_no}");
        let mobile = ticket["mobile"].as_str().unwrap();
        assert_eq!(&mobile[3..7], "****", "{mobile}");
        let ticket_no = ticket["ticketNo"].as_str().unwrap();
        assert!(
            ticket_no.starts_with(&format!("{order_no_12306}1")),
            "{ticket_no}"
        );
        assert_eq!(ticket_no.len(), "EF48476727103001A".len());
    }
    let change = &data["trainChaOrder"][0];
    assert_eq!(change["chaNo"], json!(cha_no));
    assert!(cha_no.starts_with(&format!("{order_no}C")) && cha_no.len() == order_no.len() + 5);
    assert_eq!(change["chaOrderStatusName"], json!("改签确认出票成功"));
    assert_eq!(change["priceChangeType"], json!(2));
    assert_eq!(change["changRate"], json!(0.05));
    assert_eq!(change["remark"], json!("行程有变"));
    assert_eq!(
        change["fromDateTime"],
        json!(format!("{}:00", next.depart_text()))
    );
    for ticket in change["trainTickets"].as_array().unwrap() {
        assert_eq!(ticket["ticketStatus"], json!(34));
        assert!(
            ticket["ticketNo"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{order_no_12306}2"))
        );
    }
}

#[tokio::test]
async fn callbacks_follow_every_status_change() {
    let server = CallbackServer::start().await;
    let sim = Sim::start_with(60.0, Some(server.url.clone())).await;
    let (order_no, issued) = sim.issue(&["张三", "李四"]).await;
    let is = |kind: &'static str, key: &'static str, status: u8| {
        let order_no = order_no.clone();
        move |body: &Value| {
            body["orderNo"] == json!(order_no)
                && body["notifyType"] == json!(kind)
                && body[key] == json!(status)
        }
    };
    for status in [2, 7, 8] {
        let body = server.wait_for(is("order", "orderStatus", status)).await;
        assert!(body["customerOrderNo"].as_str().unwrap().starts_with("c-"));
        assert!(body["notifyId"].as_str().unwrap().starts_with(&order_no));
    }
    let ticket = &issued["trainTickets"][0];
    sim.refund(&order_no, ticket).await;
    for status in [20, 21] {
        let body = server.wait_for(is("refund", "ticketStatus", status)).await;
        assert_eq!(body["ticketNo"], ticket["ticketNo"]);
    }
    let second = &issued["trainTickets"][1];
    let cha_no = sim.apply_change_to_next_day(&order_no, second).await;
    server.wait_for(is("change", "chaOrderStatus", 31)).await;
    let reply = sim
        .call(
            "cancel_change",
            json!({"chaNo": cha_no, "remark": "不改了"}),
        )
        .await;
    assert_eq!(reply["data"], json!(true), "{reply}");
    let body = server.wait_for(is("change", "chaOrderStatus", 37)).await;
    assert_eq!(body["chaNo"], json!(cha_no));

    let cancelled = sim.hold(&["王五"]).await;
    sim.call("cancel_order", json!({"orderNo": cancelled}))
        .await;
    server
        .wait_for(|body| body["orderNo"] == json!(cancelled) && body["orderStatus"] == json!(5))
        .await;
    let records = sim.state.callbacks();
    assert!(
        records
            .iter()
            .all(|record| record.delivered && record.attempts == 1)
    );
}

#[tokio::test]
async fn failed_callbacks_are_retried_with_backoff() {
    let server = CallbackServer::start().await;
    let sim = Sim::start_with(60.0, Some(server.url.clone())).await;
    server.refuse_next(2);
    let order_no = sim.hold(&["张三"]).await;
    // 15 and 30 provider seconds of backoff: under a real second here.
    let body = server
        .wait_for(|body| body["orderNo"] == json!(order_no))
        .await;
    assert_eq!(body["orderStatus"], json!(2));
    // The receiver sees the body before the sender has read the answer
    // and marked the record delivered: wait for that, within a bound.
    let started = std::time::Instant::now();
    let record = loop {
        let record = sim.state.callbacks().pop().unwrap();
        if record.delivered || started.elapsed().as_secs() >= 10 {
            break record;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(record.attempts, 3);
    assert!(record.delivered);
}

#[tokio::test]
async fn callbacks_can_be_dropped_or_duplicated_late() {
    let server = CallbackServer::start().await;
    let sim = Sim::start_with(60.0, Some(server.url.clone())).await;
    sim.state.set_callback_mode(CallbackMode::Drop);
    let dropped = sim.hold(&["张三"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(server.received().is_empty());
    let record = sim.state.callbacks().pop().unwrap();
    assert!(record.dropped && !record.delivered && record.attempts == 0);
    assert_eq!(record.body["orderNo"], json!(dropped));

    sim.state.set_callback_mode(CallbackMode::DuplicateLate);
    let (order_no, _) = sim.issue(&["李四"]).await;
    let mine = |body: &Value| body["orderNo"] == json!(order_no);
    let started = std::time::Instant::now();
    while server.received().iter().filter(|body| mine(body)).count() < 6 {
        assert!(started.elapsed().as_secs() < 30, "{:#?}", server.received());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let statuses: Vec<Value> = server
        .received()
        .iter()
        .filter(|body| mine(body))
        .map(|body| body["orderStatus"].clone())
        .collect();
    for status in [2, 7, 8] {
        let copies = statuses.iter().filter(|s| **s == json!(status)).count();
        assert_eq!(copies, 2, "{statuses:?}");
    }
    // The stale copy of 占位成功 comes after 出票中, and that of 出票中
    // after 出票成功.
    for (stale, newer) in [(2, 7), (7, 8)] {
        let first_newer = statuses.iter().position(|s| *s == json!(newer)).unwrap();
        let last_stale = statuses.iter().rposition(|s| *s == json!(stale)).unwrap();
        assert!(last_stale > first_newer, "{statuses:?}");
    }
    // The simulator's own record says the same.
    let records: Vec<CallbackRecord> = sim
        .state
        .callbacks()
        .into_iter()
        .filter(|record| mine(&record.body))
        .collect();
    assert_eq!(records.len(), 3);
    for pair in records.windows(2) {
        assert_eq!(pair[0].deliveries.len(), 2, "{:?}", pair[0]);
        assert!(pair[0].deliveries[1] > pair[1].deliveries[0], "{pair:?}");
    }
}

/// A ride on the default route and date where `fits` holds for the
/// 商务座 and 无座 counts.
fn business_ride(sim: &Sim, fits: impl Fn(u32, u32) -> bool) -> TestRide {
    let date = sim.ride.depart.date();
    for segment in Timetable::embedded().trains_between("北京南", "上海虹桥") {
        let left =
            |seat| fares::remaining(&segment.train.train_no, date, "北京南", "上海虹桥", seat);
        if !fits(left(SeatClass::Business), left(SeatClass::NoSeat)) {
            continue;
        }
        let depart = date.and_hms_opt(0, 0, 0).unwrap()
            + TimeDelta::minutes(i64::from(segment.depart() % DAY_MINUTES));
        return TestRide {
            train_code: segment.train_code().to_owned(),
            train_no: segment.train.train_no.clone(),
            from: "北京南".into(),
            to: "上海虹桥".into(),
            depart,
            arrive: depart + TimeDelta::minutes(i64::from(segment.minutes())),
        };
    }
    panic!("no such ride");
}

fn business(mut body: Value) -> Value {
    for passenger in body["passengers"].as_array_mut().unwrap() {
        passenger["seatType"] = json!(1);
    }
    body
}

async fn hold_failure(sim: &Sim, body: Value) -> Value {
    let order_no = sim.create(body).await;
    let failed = sim.wait_status(&order_no, 3).await;
    assert_eq!(failed["orderStatusName"], json!("占位失败"));
    assert_eq!(failed["orderAmount"], json!(null));
    assert_eq!(failed["orderNo12306"], json!(null));
    assert_eq!(failed["payLimitTime"], json!(null));
    for ticket in failed["trainTickets"].as_array().unwrap() {
        assert_eq!(ticket["ticketStatus"], json!(3));
        assert_eq!(ticket["ticketNo"], json!(null));
    }
    failed
}

#[tokio::test]
async fn hold_failure_triggers() {
    let sim = Sim::start(60.0).await;
    let failed = hold_failure(&sim, sim.order_body(&["张三", "李未核验"])).await;
    assert_eq!(
        failed["unFinishedReason"],
        json!("第2位乘客身份信息未通过核验,请先在12306完成核验")
    );

    // An account the account endpoints know, its SMS login not done: the
    // hold fails in their words (seed 002: log in before booking).
    sim.state
        .ensure_account("booking-sms-account", "pass_word1");
    let mut body = sim.order_body(&["张三"]);
    body["trainAccount"] = json!("booking-sms-account");
    body["trainPassword"] = json!("pass_word1");
    let failed = hold_failure(&sim, body).await;
    let reason = failed["unFinishedReason"].as_str().unwrap();
    assert!(
        reason.contains("短信验证") && reason.contains("666至12306"),
        "{reason}"
    );

    let mut body = sim.order_body(&["张三"]);
    body["trainAccount"] = json!("未登录的账号");
    let failed = hold_failure(&sim, body).await;
    assert!(
        failed["unFinishedReason"]
            .as_str()
            .unwrap()
            .contains("12306账号未登录")
    );

    let soon = sim.ride_leaving_in(TimeDelta::minutes(2));
    let failed = hold_failure(&sim, sim.order_body_on(&soon, &["张三"])).await;
    assert!(
        failed["unFinishedReason"]
            .as_str()
            .unwrap()
            .contains("距离发车时间太近")
    );

    sim.state
        .script(Fault::FailNextHold("12306系统维护中".into()));
    let failed = hold_failure(&sim, sim.order_body(&["张三"])).await;
    assert_eq!(failed["unFinishedReason"], json!("12306系统维护中"));
    // The fault was used up.
    sim.hold(&["张三"]).await;
}

#[tokio::test]
async fn sold_out_and_short_classes_fail_the_hold() {
    let sim = Sim::start(60.0).await;
    let sold_out = business_ride(&sim, |business, _| business == 0);
    let failed = hold_failure(&sim, business(sim.order_body_on(&sold_out, &["张三"]))).await;
    assert_eq!(failed["unFinishedReason"], json!("商务座已售完,占座失败"));

    let short = business_ride(&sim, |business, _| (1..=8).contains(&business));
    let left = fares::remaining(
        &short.train_no,
        short.depart.date(),
        "北京南",
        "上海虹桥",
        SeatClass::Business,
    );
    let names: Vec<String> = (0..=left).map(|i| format!("乘客{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let failed = hold_failure(&sim, business(sim.order_body_on(&short, &names))).await;
    assert_eq!(
        failed["unFinishedReason"],
        json!(format!("商务座余票不足,占座失败(余票{left}张)"))
    );
}

#[tokio::test]
async fn passengers_who_accept_standing_stand() {
    let sim = Sim::start(60.0).await;
    let ride = business_ride(&sim, |business, standing| {
        (1..=8).contains(&business) && standing >= 2
    });
    let left = fares::remaining(
        &ride.train_no,
        ride.depart.date(),
        "北京南",
        "上海虹桥",
        SeatClass::Business,
    );
    let names: Vec<String> = (0..=left).map(|i| format!("乘客{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut body = business(sim.order_body_on(&ride, &names));
    body["isAcceptStanding"] = json!(true);
    let order_no = sim.create(body).await;
    let held = sim.wait_status(&order_no, 2).await;
    let tickets = held["trainTickets"].as_array().unwrap();
    let last = tickets.last().unwrap();
    assert_eq!(last["seatType"], json!(98));
    assert_eq!(last["seatTypeName"], json!("无座"));
    assert!(last["seatNo"].as_str().unwrap().ends_with("无座"));
    assert!(
        tickets[..tickets.len() - 1]
            .iter()
            .all(|t| t["seatType"] == json!(1))
    );
}

#[tokio::test]
async fn late_answers_come_after_the_effect() {
    let sim = Sim::start(60.0).await;
    sim.state
        .set_response_delay(Some(std::time::Duration::from_millis(300)));
    let body = sim.order_body(&["张三"]);
    let customer_order_no = body["customerOrderNo"].as_str().unwrap().to_owned();
    let call = sim.call("create_order", body);
    let answered = tokio::time::timeout(std::time::Duration::from_millis(100), call).await;
    assert!(answered.is_err(), "answered too soon");
    // The order exists although the caller never saw its number.
    assert!(sim.state.order_by_customer_no(&customer_order_no).is_some());
    assert_eq!(sim.state.order_count(), 1);
}
