//! Lifecycle tests across the endpoints, under a high clock scale: a grab
//! that succeeds, one that expires at its deadline, one cancelled while
//! grabbing, the refund of one passenger, the failure triggers; each answer
//! and callback checked against the seed's example of it.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::testkit::*;
use super::{CallbackMode, CallbackType, Fault};
use crate::sim::juhe::codes::OrderStatus;
use crate::sim::juhe::{Endpoint, JuheSimConfig, wire};

const SEED_GRAB_DETAIL: &str = include_str!("../testdata/seed_order_detail_grab.json");
const SEED_ISSUED_DETAIL: &str = include_str!("../testdata/seed_order_detail_issued.json");
const SEED_SUBMIT: &str = include_str!("../testdata/seed_submit_order.json");
const SEED_ISSUED: &str = include_str!("../testdata/seed_callback_issued.json");
const SEED_ISSUE_FAILED: &str = include_str!("../testdata/seed_callback_issue_failed.json");
const SEED_EXPIRED: &str = include_str!("../testdata/seed_callback_expired.json");
const SEED_REFUNDED: &str = include_str!("../testdata/seed_callback_refunded.json");
const SEED_REFUND_FAILED: &str = include_str!("../testdata/seed_callback_refund_failed.json");

fn seed(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn assert_shape(ours: &Value, seed_text: &str) {
    let problems = shape_problems("", ours, &seed(seed_text));
    assert!(problems.is_empty(), "{problems:#?}\n{ours:#}");
}

/// 600× real time: a provider minute every 0.1 s.
const FAST: f64 = 600.0;

#[tokio::test]
async fn a_grab_succeeds_and_issues_automatically() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三", "李四"]);
    let reply = sim.submit(&form).await;
    assert_shape(&reply, SEED_SUBMIT);
    let out_order_no = reply["result"]["outOrderNo"].as_str().unwrap().to_owned();
    let order_no = reply["result"]["orderNo"].as_str().unwrap().to_owned();
    assert_eq!(out_order_no, form[1].1);
    assert!(order_no.starts_with("TFT26050110"), "{order_no}");

    sim.wait_status(&out_order_no, OrderStatus::Issued).await;
    let grab = sim.detail(&out_order_no, false).await;
    assert_shape(
        &json!({"reason": "success", "result": grab, "error_code": 0}),
        SEED_GRAB_DETAIL,
    );
    assert_eq!(grab["status"], "F");
    assert_eq!(grab["trainNo"], json!(sim.ride.train_code));
    assert_eq!(grab["seatClass"], "二等座");
    assert_eq!(grab["mainTrainNo"], "", "one train and class: no main");
    assert_eq!(grab["phone"], "1875XXXXXXX");
    assert_eq!(
        grab["departDate"],
        json!(sim.ride.depart.format("%Y-%m-%dT%H:%M:%S").to_string())
    );
    assert!(grab["passengers"][0]["ticketPrice"].as_f64().unwrap() > 100.0);
    let certificate = grab["passengers"][0]["certificateNo"].as_str().unwrap();
    assert_eq!(&certificate[6..14], "XXXXXXXX", "{certificate}");

    let issued = sim.detail(&out_order_no, true).await;
    assert_shape(
        &json!({"reason": "success", "result": issued, "error_code": 0}),
        SEED_ISSUED_DETAIL,
    );
    assert_eq!(issued["orderStateCode"], "F");
    assert_eq!(issued["orderState"], "已出票");
    assert_eq!(issued["orderNo"], json!(order_no));
    assert_eq!(issued["juheServiceFee"], "16");
    let ticket_no = issued["ticketNo"].as_str().unwrap();
    assert_eq!(ticket_no.len(), "E345091034".len());
    let passengers = issued["passengers"].as_array().unwrap();
    let mut total = 0.0;
    for passenger in passengers {
        assert_eq!(passenger["ticketStateCode"], "F");
        assert_eq!(passenger["seatClass"], "secondseat");
        assert_eq!(passenger["idType"], "1", "submitted as 0, shown 1-based");
        assert!(
            passenger["seatNo"]
                .as_str()
                .unwrap()
                .starts_with(|c: char| c.is_ascii_digit())
        );
        let p_ticket_no = passenger["pTicketNo"].as_str().unwrap();
        assert!(
            p_ticket_no.starts_with(&format!("{ticket_no}1")),
            "{p_ticket_no}"
        );
        total += passenger["ticketPrice"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap();
    }
    assert_eq!(
        issued["orderPrice"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        total
    );

    let callback = server
        .wait_for("issue", |body| body["outOrderNo"] == json!(out_order_no))
        .await;
    assert_shape(&callback, SEED_ISSUED);
    assert_eq!(callback["msgCode"], "100");
    assert_eq!(callback["msgInfo"], "出票成功");
    assert_eq!(callback["ticketNo"], json!(ticket_no));
    assert_eq!(callback["orderAmount"], issued["orderPrice"]);
    assert_eq!(callback["passengers"][0]["seatClass"], "4", "二等座 is 4");
    assert_eq!(
        callback["passengers"][0]["passengerId"],
        passengers[0]["passengerId"]
    );
    // Sold seats are gone from search.
    let left = |reply: &Value| {
        reply["result"]["trains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|train| train["trainNo"] == json!(sim.ride.train_code))
            .unwrap()["tickets"]["secondseat"]["seats"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let base = crate::sim::fares::remaining(
        &sim.ride.train_no,
        sim.ride.date(),
        &sim.ride.from,
        &sim.ride.to,
        crate::sim::fares::SeatClass::Second,
    );
    assert_eq!(left(&sim.search(&sim.ride).await), base - 2);
}

#[tokio::test]
async fn orders_move_n_b_d_f_one_instant_at_a_time() {
    // Scale 1 on a fixed clock: the driver sleeps while the test steps.
    let sim = Sim::start(1.0);
    let out_order_no = sim.grab(&["张三"]).await;
    let at = |seconds: i64| now() + TimeDelta::seconds(seconds);
    let status = |seconds| {
        sim.state.step_at(&out_order_no, at(seconds));
        sim.state.order_status(&out_order_no).unwrap()
    };
    assert_eq!(status(1), OrderStatus::Created);
    assert_eq!(status(2), OrderStatus::Waiting);
    assert_eq!(status(4), OrderStatus::Waiting);
    assert_eq!(status(5), OrderStatus::Grabbing);
    assert_eq!(status(24), OrderStatus::Grabbing);
    let (wake, notices) = sim.state.step_at(&out_order_no, at(25));
    assert_eq!(
        sim.state.order_status(&out_order_no),
        Some(OrderStatus::Issued)
    );
    assert_eq!((wake, notices.len()), (None, 1));
}

#[tokio::test]
async fn an_order_before_presale_waits_in_b_until_it_opens() {
    let sim = Sim::start(1.0);
    let later = TestRide {
        depart: sim.ride.depart + TimeDelta::days(20),
        ..sim.ride.clone()
    };
    let key = sim.query_key(&later).await;
    let form = sim.order_form(&key, &later, "secondseat", &["张三"]);
    let reply = sim.submit(&form).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    let out_order_no = &form[1].1;
    let opens = (later.date() - TimeDelta::days(14))
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let (wake, _) = sim
        .state
        .step_at(out_order_no, now() + TimeDelta::seconds(10));
    assert_eq!(
        sim.state.order_status(out_order_no),
        Some(OrderStatus::Waiting)
    );
    assert_eq!(
        wake,
        Some(opens),
        "the driver sleeps until the presale opens"
    );
    sim.state.step_at(out_order_no, opens);
    assert_eq!(
        sim.state.order_status(out_order_no),
        Some(OrderStatus::Grabbing)
    );
}

#[tokio::test]
async fn a_grab_expires_at_its_deadline() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let key = sim.query_key(&sim.ride).await;
    // `无票`: no ticket is ever found for this passenger.
    let mut form = sim.order_form(&key, &sim.ride, "secondseat", &["王无票"]);
    let close = sim.state.provider_now() + TimeDelta::minutes(3);
    form[10].1 = close.format("%Y-%m-%d %H:%M:%S").to_string();
    let reply = sim.submit(&form).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    let out_order_no = form[1].1.clone();
    sim.wait_status(&out_order_no, OrderStatus::Grabbing).await;
    sim.wait_status(&out_order_no, OrderStatus::Expired).await;
    assert!(sim.state.provider_now() >= close);
    let callback = server
        .wait_for("expiry", |body| body["outOrderNo"] == json!(out_order_no))
        .await;
    assert_shape(&callback, SEED_EXPIRED);
    assert_eq!(callback["msgCode"], "101");
    assert_eq!(callback["msgInfo"], "抢票单过期");
    let issued = sim.detail(&out_order_no, true).await;
    assert_eq!(issued["orderStateCode"], "O");
    assert_eq!(issued["ticketNo"], "");
    // Expired orders cannot be cancelled.
    let reply = sim
        .get(Endpoint::CancelOrder, &[("outOrderNo", &out_order_no)])
        .await;
    assert_failure(&reply, wire::CANCEL_FAILED, "抢票取消失败");
}

#[tokio::test]
async fn a_grab_is_cancelled_while_grabbing_and_only_then() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["赵无票"]);
    let reply = sim.submit(&form).await;
    let order_no = reply["result"]["orderNo"].clone();
    let out_order_no = form[1].1.clone();
    sim.wait_status(&out_order_no, OrderStatus::Grabbing).await;
    let reply = sim
        .post(Endpoint::CancelOrder, &[("outOrderNo", &out_order_no)])
        .await;
    assert_eq!(
        reply,
        json!({"reason": "success", "result": {"orderNo": order_no}, "error_code": 0})
    );
    assert_eq!(
        sim.state.order_status(&out_order_no),
        Some(OrderStatus::Cancelled)
    );
    assert_eq!(sim.detail(&out_order_no, false).await["status"], "C");
    // 取消后不可再次开启: a second cancel is the seed's refusal.
    let reply = sim
        .get(Endpoint::CancelOrder, &[("outOrderNo", &out_order_no)])
        .await;
    assert_eq!(
        reply,
        json!({"reason": "抢票取消失败", "result": null, "error_code": 223801})
    );
    let reply = sim
        .get(Endpoint::CancelOrder, &[("outOrderNo", "nosuch1")])
        .await;
    assert_failure(&reply, wire::ORDER_NOT_FOUND, "订单号不存在");
    // Issued orders cannot be cancelled either.
    let issued = sim.grab(&["张三"]).await;
    sim.wait_status(&issued, OrderStatus::Issued).await;
    let reply = sim
        .get(Endpoint::CancelOrder, &[("outOrderNo", &issued)])
        .await;
    assert_failure(&reply, wire::CANCEL_FAILED, "抢票取消失败");
    assert!(
        sim.state
            .callbacks()
            .iter()
            .all(|record| record.body["outOrderNo"] != json!(out_order_no)),
        "no callback on cancel"
    );
}

#[tokio::test]
async fn one_passenger_is_refunded_after_issue() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let out_order_no = sim.grab(&["张三", "李四"]).await;
    // Not yet issued: nothing to refund.
    let early = sim.detail(&out_order_no, true).await;
    let first = early["passengers"][0]["passengerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = sim
        .get(
            Endpoint::ApplyRefundOrder,
            &[("outOrderNo", &out_order_no), ("passengerId", &first)],
        )
        .await;
    assert_failure(&reply, wire::SUPPLIER, "当前订单状态不允许执行此操作");
    sim.wait_status(&out_order_no, OrderStatus::Issued).await;
    let issued = sim.detail(&out_order_no, true).await;
    let second = issued["passengers"][1]["passengerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let price: f64 = issued["passengers"][0]["ticketPrice"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let reply = sim
        .post(
            Endpoint::ApplyRefundOrder,
            &[("outOrderNo", &out_order_no), ("passengerId", &first)],
        )
        .await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    assert_eq!(
        reply["result"],
        json!({"orderNo": issued["orderNo"], "passengerId": first})
    );
    let refunding = sim.state.order_detail(&out_order_no, true).unwrap();
    assert!(
        ["C", "T"].contains(
            &refunding["passengers"][0]["ticketStateCode"]
                .as_str()
                .unwrap()
        )
    );
    let callback = server
        .wait_for("refund", |body| body["outOrderNo"] == json!(out_order_no))
        .await;
    assert_shape(&callback, SEED_REFUNDED);
    assert_eq!(callback["msgCode"], "100");
    assert_eq!(callback["msgInfo"], "线上退票成功");
    assert_eq!(callback["refundType"], "online");
    assert_eq!(callback["passengers"][0]["passengerId"], json!(first));
    assert_eq!(callback["passengers"][0]["cardNo"], "");
    // Departure is 26–34 h away: 10% off, at least ¥2, rounded to ¥0.5.
    let refunded: f64 = callback["refundPrice"].as_str().unwrap().parse().unwrap();
    let fee = price - refunded;
    assert!(
        fee >= 2.0 && (fee - price * 0.1).abs() <= 0.5,
        "{price} → {refunded}"
    );

    let after = sim.detail(&out_order_no, true).await;
    assert_eq!(after["orderStateCode"], "F", "one ticket left");
    assert_eq!(after["passengers"][0]["ticketStateCode"], "T");
    assert_eq!(after["passengers"][0]["ticketState"], "已退票");
    assert_eq!(after["passengers"][1]["ticketStateCode"], "F");
    // Once per ticket.
    let reply = sim
        .get(
            Endpoint::ApplyRefundOrder,
            &[("outOrderNo", &out_order_no), ("passengerId", &first)],
        )
        .await;
    assert_failure(&reply, wire::SUPPLIER, "当前车票状态不允许执行此操作");
    let reply = sim
        .get(
            Endpoint::ApplyRefundOrder,
            &[("outOrderNo", &out_order_no), ("passengerId", "1")],
        )
        .await;
    assert_eq!(
        reply,
        json!({"reason": "参数错误:订单号或passengerId不存在", "result": null, "error_code": 223804})
    );
    // The last ticket makes the order T.
    sim.get(
        Endpoint::ApplyRefundOrder,
        &[("outOrderNo", &out_order_no), ("passengerId", &second)],
    )
    .await;
    sim.wait_status(&out_order_no, OrderStatus::Refunded).await;
    assert_eq!(sim.detail(&out_order_no, false).await["status"], "T");
}

#[tokio::test]
async fn a_failing_refund_calls_back_and_may_be_retried() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let out_order_no = sim.grab(&["张三"]).await;
    sim.wait_status(&out_order_no, OrderStatus::Issued).await;
    let passenger = sim.detail(&out_order_no, true).await["passengers"][0]["passengerId"].clone();
    let passenger = passenger.as_str().unwrap();
    sim.state.script(Fault::FailNextRefund);
    let pairs = [
        ("outOrderNo", out_order_no.as_str()),
        ("passengerId", passenger),
    ];
    sim.get(Endpoint::ApplyRefundOrder, &pairs).await;
    let callback = server
        .wait_for("refund", |body| body["msgCode"] == json!("312"))
        .await;
    assert_shape(&callback, SEED_REFUND_FAILED);
    assert_eq!(callback["refundPrice"], "0.00");
    assert_eq!(
        sim.state.order_detail(&out_order_no, true).unwrap()["passengers"][0]["ticketStateCode"],
        "O"
    );
    let reply = sim.get(Endpoint::ApplyRefundOrder, &pairs).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    server
        .wait_for("refund", |body| body["msgCode"] == json!("100"))
        .await;
}

#[tokio::test]
async fn an_unverified_passenger_fails_the_grab() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    let out_order_no = sim.grab(&["张三", "李未核验"]).await;
    sim.wait_status(&out_order_no, OrderStatus::IssueFailed)
        .await;
    let callback = server
        .wait_for("issue", |body| body["outOrderNo"] == json!(out_order_no))
        .await;
    assert_shape(&callback, SEED_ISSUE_FAILED);
    assert_eq!(callback["msgCode"], "308");
    assert_eq!(callback["msgInfo"], "乘客身份信息未通过验证");
    assert_eq!(callback["ticketNo"], Value::Null);
    assert_eq!(callback["issueTime"], "");
    assert_eq!(callback["juheServiceFee"], "0");
    let detail = callback["msgDetail"].as_str().unwrap();
    assert!(detail.starts_with("李未核验|110105"), "{detail}");
    assert!(detail.contains("XXXX"), "the id is masked: {detail}");
    let grab = sim.detail(&out_order_no, false).await;
    assert_eq!(grab["status"], "U");
    assert!(
        grab["failMsg"]
            .as_str()
            .unwrap()
            .starts_with("乘客身份信息未通过验证_订票失败")
    );
    assert_eq!(grab["passengers"][0]["ticketPrice"], json!(0.0));
    let issued = sim.detail(&out_order_no, true).await;
    assert_eq!(issued["orderStateCode"], "U");
    assert_eq!(issued["passengers"][0]["ticketStateCode"], "N");
}

#[tokio::test]
async fn scripted_grab_failures_and_self_purchase_accounts() {
    let sim = Sim::start(FAST);
    sim.state
        .script(Fault::FailNextGrab("出票失败:测试".into()));
    let scripted = sim.grab(&["张三"]).await;
    sim.wait_status(&scripted, OrderStatus::IssueFailed).await;
    assert_eq!(
        sim.state.order_detail(&scripted, false).unwrap()["failMsg"],
        "出票失败:测试"
    );

    let key = sim.query_key(&sim.ride).await;
    let mut form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    form[2].1 = "1".into();
    let reply = sim.submit(&form).await;
    assert_failure(&reply, wire::BAD_PARAMETER, "accountNo不能为空");
    form.push(("accountNo".into(), "user未登录".into()));
    form.push(("accountPwd".into(), "secret".into()));
    let reply = sim.submit(&form).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    sim.wait_status(&form[1].1, OrderStatus::IssueFailed).await;
    let records = sim.state.callbacks();
    let failure = records
        .iter()
        .find(|record| record.body["outOrderNo"] == json!(form[1].1))
        .unwrap();
    assert_eq!(failure.kind, CallbackType::IssueResult);
    assert_eq!(failure.url, None, "nothing registered: logged, not sent");
    assert_eq!(failure.body["msgCode"], "403");
}

#[tokio::test]
async fn a_sold_out_main_class_falls_back_to_an_alternative() {
    let sim = Sim::start(FAST);
    // A train on the corridor whose 商务座 is sold out but 二等座 is not.
    let reply = sim.search(&sim.ride).await;
    let train = reply["result"]["trains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|train| {
            train["tickets"]["businessseat"]["seats"] == json!("0")
                && train["tickets"]["secondseat"]["seats"] != json!("0")
                && train["bookState"] == json!(1)
        })
        .expect("some train sold out of 商务座")
        .clone();
    let ride = TestRide {
        train_code: train["trainNo"].as_str().unwrap().to_owned(),
        ..sim.ride.clone()
    };
    let key = reply["result"]["queryKey"].as_str().unwrap();
    let mut form = sim.order_form(key, &ride, "businessseat", &["张三"]);
    let depart = chrono::NaiveDateTime::parse_from_str(
        &format!("{} {}", ride.date(), train["fromTime"].as_str().unwrap()),
        "%Y-%m-%d %H:%M",
    )
    .unwrap();
    form[4].1 = "businessseat|secondseat".into();
    form[9].1 = depart.format("%Y-%m-%d %H:%M").to_string();
    form[10].1 = (depart - TimeDelta::hours(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let reply = sim.submit(&form).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    sim.wait_status(&form[1].1, OrderStatus::Issued).await;
    let issued = sim.detail(&form[1].1, true).await;
    assert_eq!(issued["passengers"][0]["seatClass"], "secondseat");
    let grab = sim.detail(&form[1].1, false).await;
    assert_eq!(grab["seatClass"], "二等座");
}

#[tokio::test]
async fn callbacks_retry_and_can_be_dropped_or_duplicated() {
    let server = CallbackServer::start().await;
    let sim = Sim::start(FAST);
    server.register(&sim).await;
    server.refuse_next(2);
    let retried = sim.grab(&["张三"]).await;
    let record = wait_record(&sim, |record| {
        record.body["outOrderNo"] == json!(retried) && record.delivered
    })
    .await;
    assert_eq!(record.attempts, 3, "two refusals, then delivered");
    assert_eq!(
        server
            .received()
            .iter()
            .filter(|(_, body)| body["outOrderNo"] == json!(retried))
            .count(),
        1
    );

    sim.state.set_callback_mode(CallbackMode::Drop);
    let dropped = sim.grab(&["李四"]).await;
    sim.wait_status(&dropped, OrderStatus::Issued).await;
    let record = sim
        .state
        .callbacks()
        .into_iter()
        .find(|record| record.body["outOrderNo"] == json!(dropped))
        .unwrap();
    assert!(record.dropped && record.attempts == 0);

    sim.state.set_callback_mode(CallbackMode::DuplicateLate);
    let doubled = sim.grab(&["王五"]).await;
    let started = std::time::Instant::now();
    loop {
        let copies = server
            .received()
            .iter()
            .filter(|(_, body)| body["outOrderNo"] == json!(doubled))
            .count();
        if copies == 2 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn submit_refuses_what_the_seed_refuses() {
    let sim = Sim::start(1.0);
    let key = sim.query_key(&sim.ride).await;
    let valid = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    let set = |name: &str, value: &str| {
        let mut form = valid.clone();
        match form.iter_mut().find(|(key, _)| key == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => form.push((name.to_owned(), value.to_owned())),
        }
        form
    };
    let student = json!([{"passengerName": "张三", "passengerType": "3", "idCardType": "0",
                          "idCardNo": id_for("张三")}])
    .to_string();
    let six: Vec<Value> = ["甲", "乙", "丙", "丁", "戊", "己"]
        .iter()
        .map(|name| json!({"passengerName": name, "passengerType": "1", "idCardType": "0", "idCardNo": id_for(name)}))
        .collect();
    let six = Value::Array(six).to_string();
    let depart = sim.ride.depart.format("%Y-%m-%d %H:%M").to_string();
    let after_departure = (sim.ride.depart + TimeDelta::minutes(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let cases: Vec<(Vec<(String, String)>, u32, &str)> = vec![
        (
            set("queryKey", "0123456789abcdef0123456789abcdef"),
            wire::SUPPLIER,
            "站站查询结果已过期",
        ),
        (set("outOrderNo", "abc"), wire::BAD_PARAMETER, "6-32位"),
        (
            set("outOrderNo", "abc-123-xyz"),
            wire::BAD_PARAMETER,
            "6-32位",
        ),
        (set("ticketModel", "2"), wire::BAD_PARAMETER, "ticketModel"),
        (
            set("trainNo", "G99999"),
            wire::SUPPLIER,
            "车次号无效:G99999",
        ),
        (
            set("trainNo", "G1|G2|G3|G4|G5|G6"),
            wire::SUPPLIER,
            "超过配置上限",
        ),
        (
            set("seatClassCode", "secondseat|vipseat"),
            wire::BAD_PARAMETER,
            "不支持的坐席:vipseat",
        ),
        (
            set("mainSeatClass", "firstseat"),
            wire::BAD_PARAMETER,
            "mainSeatClass",
        ),
        (set("mainTrainNo", "G1"), wire::BAD_PARAMETER, "mainTrainNo"),
        (
            set("fromStation", "北京"),
            wire::BAD_PARAMETER,
            "fromStation与站站查询结果不符",
        ),
        (
            set("departDate", "2026-05-03"),
            wire::BAD_PARAMETER,
            "departDate与queryKey不一致",
        ),
        (
            set("departDate", "tomorrow"),
            wire::BAD_PARAMETER,
            "departDate格式错误",
        ),
        (
            set("seatClassCode", "hardseat"),
            wire::BAD_PARAMETER,
            "mainSeatClass",
        ),
        (
            set("closeTime", "2026-05-01 09:00:00"),
            wire::BAD_PARAMETER,
            "closeTime必须晚于当前时间",
        ),
        (
            set("closeTime", &after_departure),
            wire::BAD_PARAMETER,
            "不能晚于主车次发车时间",
        ),
        (
            set("acceptNoSeat", "yes"),
            wire::BAD_PARAMETER,
            "acceptNoSeat",
        ),
        (set("cellphone", "12345"), wire::BAD_PARAMETER, "cellphone"),
        (
            set("passengers", &student),
            wire::SUPPLIER,
            "暂不支持学生票和残军票",
        ),
        (set("passengers", &six), wire::SUPPLIER, "最多支持五名乘客"),
        (
            set("passengers", "[]"),
            wire::BAD_PARAMETER,
            "passengers不能为空",
        ),
    ];
    for (form, code, needle) in cases {
        assert_failure(&sim.submit(&form).await, code, needle);
    }
    let mut hardseat = set("seatClassCode", "hardseat");
    hardseat = hardseat
        .into_iter()
        .map(|(k, v)| {
            if k == "mainSeatClass" {
                (k, "hardseat".into())
            } else {
                (k, v)
            }
        })
        .collect();
    assert_failure(&sim.submit(&hardseat).await, wire::SUPPLIER, "坐席无效");
    assert_eq!(sim.state.order_count(), 0, "nothing refused was created");
    // departDate may be the main train's departure time instead.
    let reply = sim.submit(&set("departDate", &depart)).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    let reply = sim.submit(&set("departDate", &depart)).await;
    assert_failure(&reply, wire::ORDER_EXISTS, "订单号已经存在");
    assert_eq!(sim.state.order_count(), 1);
}

#[tokio::test]
async fn no_grab_order_within_three_hours_of_departure() {
    let sim = Sim::start(1.0);
    // The default ride leaves tomorrow afternoon: move to 2 h before it.
    sim.advance(sim.ride.depart - now() - TimeDelta::hours(2));
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    let mut form = form;
    form[10].1 = (sim.ride.depart - TimeDelta::hours(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert_failure(&sim.submit(&form).await, wire::SUPPLIER, "距离发车时间太近");
}

#[tokio::test]
async fn query_keys_expire_after_their_ttl() {
    let sim = Sim::start_with(JuheSimConfig {
        query_key_ttl: std::time::Duration::from_secs(600),
        ..JuheSimConfig::default()
    });
    let key = sim.query_key(&sim.ride).await;
    sim.advance(TimeDelta::seconds(601));
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    assert_failure(
        &sim.submit(&form).await,
        wire::SUPPLIER,
        "站站查询结果已过期,请重新查询",
    );
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    assert_eq!(sim.submit(&form).await["error_code"], json!(0));
}

#[tokio::test]
async fn student_searches_cannot_be_ordered() {
    let sim = Sim::start(1.0);
    let date = sim.ride.date().format("%Y%m%d").to_string();
    let reply = sim
        .get(
            Endpoint::Search,
            &[
                ("from", &sim.ride.from),
                ("to", &sim.ride.to),
                ("date", &date),
                ("type", "2"),
            ],
        )
        .await;
    let key = reply["result"]["queryKey"].as_str().unwrap();
    let form = sim.order_form(key, &sim.ride, "secondseat", &["张三"]);
    assert_failure(&sim.submit(&form).await, wire::SUPPLIER, "暂不支持学生票");
}
