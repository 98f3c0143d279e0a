//! Lifecycle tests across the endpoints, under a high clock scale: a grab
//! that succeeds, one that expires at its deadline, one cancelled while
//! grabbing, the refund of one passenger; each answer and callback checked
//! against the seed's example of it. `failures.rs` covers the failure
//! triggers and callback delivery, `refusals.rs` what submitOrder refuses.

mod failures;
mod refusals;

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::testkit::*;
use super::{CallbackMode, CallbackType, Fault};
use crate::juhe::codes::OrderStatus;
use crate::juhe::{Endpoint, JuheSimConfig, wire};

pub(super) const SEED_GRAB_DETAIL: &str =
    include_str!("../../testdata/seed_order_detail_grab.json");
pub(super) const SEED_ISSUED_DETAIL: &str =
    include_str!("../../testdata/seed_order_detail_issued.json");
pub(super) const SEED_SUBMIT: &str = include_str!("../../testdata/seed_submit_order.json");
pub(super) const SEED_ISSUED: &str = include_str!("../../testdata/seed_callback_issued.json");
pub(super) const SEED_ISSUE_FAILED: &str =
    include_str!("../../testdata/seed_callback_issue_failed.json");
pub(super) const SEED_EXPIRED: &str = include_str!("../../testdata/seed_callback_expired.json");
pub(super) const SEED_REFUNDED: &str = include_str!("../../testdata/seed_callback_refunded.json");
pub(super) const SEED_REFUND_FAILED: &str =
    include_str!("../../testdata/seed_callback_refund_failed.json");

pub(super) fn seed(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

pub(super) fn assert_shape(ours: &Value, seed_text: &str) {
    let problems = shape_problems("", ours, &seed(seed_text));
    assert!(problems.is_empty(), "{problems:#?}\n{ours:#}");
}

/// A submitOrder form.
pub(super) type Form = Vec<(String, String)>;

/// 600× real time: a provider minute every 0.1 s.
pub(super) const FAST: f64 = 600.0;

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
    // Numeric station codes, as in the seed's example ("226").
    for field in ["fromStationCode", "toStationCode"] {
        let code = callback[field].as_str().unwrap();
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()),
            "{field}: {code}"
        );
    }
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
    let base = crate::fares::remaining(
        &sim.ride.train_no,
        sim.ride.date(),
        &sim.ride.from,
        &sim.ride.to,
        crate::fares::SeatClass::Second,
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
    // Still grabbing (`无票` never finds a ticket): nothing to refund.
    let grabbing = sim.grab(&["周无票"]).await;
    let passenger = sim.detail(&grabbing, true).await["passengers"][0]["passengerId"].clone();
    let reply = sim
        .get(
            Endpoint::ApplyRefundOrder,
            &[
                ("outOrderNo", &grabbing),
                ("passengerId", passenger.as_str().unwrap()),
            ],
        )
        .await;
    assert_failure(&reply, wire::SUPPLIER, "当前订单状态不允许执行此操作");
    let out_order_no = sim.grab(&["张三", "李四"]).await;
    sim.wait_status(&out_order_no, OrderStatus::Issued).await;
    let issued = sim.detail(&out_order_no, true).await;
    let first = issued["passengers"][0]["passengerId"]
        .as_str()
        .unwrap()
        .to_owned();
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
