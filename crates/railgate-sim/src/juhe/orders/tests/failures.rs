//! Grab and refund failures (request-data triggers and scripted faults),
//! the fallbacks to an alternative class and to standing tickets, and
//! callback delivery.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::super::testkit::*;
use super::*;

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
    assert_eq!(callback["fromStationCode"], Value::Null);
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
async fn standing_tickets_only_for_orders_that_accept_them() {
    // Scale 1: the test steps each order to its first attempt itself.
    let sim = Sim::start(1.0);
    let mut found = None;
    for days in 1..=10 {
        let ride = TestRide {
            depart: sim.ride.depart + TimeDelta::days(days),
            ..sim.ride.clone()
        };
        let reply = sim.search(&ride).await;
        let train = reply["result"]["trains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|train| {
                train["tickets"]["secondseat"]["seats"] == json!("0")
                    && train["tickets"]["noseat"]["seats"]
                        .as_str()
                        .is_some_and(|left| left.parse::<u32>().unwrap() >= 2)
            });
        if let Some(train) = train {
            found = Some((ride, reply["result"]["queryKey"].clone(), train.clone()));
            break;
        }
    }
    let (ride, key, train) = found.expect("a train sold out of 二等座 with 无座 left");
    let depart = chrono::NaiveDateTime::parse_from_str(
        &format!("{} {}", ride.date(), train["fromTime"].as_str().unwrap()),
        "%Y-%m-%d %H:%M",
    )
    .unwrap();
    let ride = TestRide {
        train_code: train["trainNo"].as_str().unwrap().to_owned(),
        depart,
        ..ride
    };
    let mut outcomes = Vec::new();
    for accept in ["0", "1"] {
        let mut form = sim.order_form(
            key.as_str().unwrap(),
            &ride,
            "secondseat",
            &["张三", "李四"],
        );
        form[11].1 = accept.to_owned();
        let reply = sim.submit(&form).await;
        assert_eq!(reply["error_code"], json!(0), "{reply}");
        sim.state
            .step_at(&form[1].1, now() + TimeDelta::seconds(25));
        outcomes.push(form[1].1.clone());
    }
    assert_eq!(
        sim.state.order_status(&outcomes[0]),
        Some(OrderStatus::Grabbing),
        "no seats and no standing: keeps grabbing"
    );
    assert_eq!(
        sim.state.order_status(&outcomes[1]),
        Some(OrderStatus::Issued)
    );
    let issued = sim.state.order_detail(&outcomes[1], true).unwrap();
    assert_eq!(issued["passengers"][0]["seatClass"], "noseat");
    assert_eq!(issued["passengers"][1]["seatNo"], "05车厢,无座");
}

#[tokio::test]
async fn a_submit_can_create_its_order_and_still_answer_10014() {
    // Seed 000: after 10014 "请通过订单查询接口检测订单" — the order may exist.
    let sim = Sim::start(FAST);
    sim.state.script(Fault::CreateNextOrderThenFail(10014));
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    let out_order_no = form[1].1.clone();
    let reply = sim.submit(&form).await;
    assert_eq!(reply["error_code"], json!(10014), "{reply}");
    assert_eq!(reply["result"], Value::Null, "{reply}");
    // The order is there, grabbing like any other.
    let detail = sim.detail(&out_order_no, false).await;
    assert!(
        detail["orderNo"].as_str().is_some_and(|no| !no.is_empty()),
        "{detail}"
    );
    sim.wait_status(&out_order_no, OrderStatus::Issued).await;
    // Submitting it again is refused as a duplicate, as for any order.
    let again = sim.submit(&form).await;
    assert_ne!(again["error_code"], json!(0), "{again}");
    assert_eq!(sim.state.order_count(), 1);
}
