use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::panhe::orders::Fault;
use crate::panhe::orders::money;
use crate::panhe::orders::testkit::*;

fn fen(value: &Value) -> u32 {
    (value.as_f64().unwrap() * 100.0).round() as u32
}

/// A ticket's price at apply time is 26–34 h before departure: refund and
/// diff rates 10%, change fee 5%.
fn expected(olds: &[u32], news: &[u32]) -> crate::panhe::orders::model::PriceChange {
    money::price_change(olds, news, TimeDelta::hours(30))
}

#[tokio::test]
async fn dearer_change_pays_the_new_fare_and_refunds_the_old() {
    let sim = Sim::start(60.0).await;
    let (order_no, issued) = sim.issue(&["张飞", "李三"]).await;
    let first = &issued["trainTickets"][0];
    // 二等 → 一等 on the same train.
    let reply = sim.apply_change(&order_no, &[first], &sim.ride, 3).await;
    let cha_no = reply["data"].as_str().unwrap().to_owned();
    let applying = sim.detail(&order_no).await;
    let change = &applying["trainChaOrder"][0];
    assert_eq!(change["chaOrderStatus"], json!(30));
    assert_eq!(change["chaOrderStatusName"], json!("改签占位中"));
    assert_eq!(change["priceChangeType"], json!(0));
    assert_eq!(change["needPayAmount"], json!(null));
    assert_eq!(applying["trainTickets"][0]["ticketStatus"], json!(30));
    assert_eq!(applying["trainTickets"][1]["ticketStatus"], json!(8));

    let held = sim.wait_change(&order_no, 0, 31).await;
    let change = &held["trainChaOrder"][0];
    let old = fen(&first["ticketPrice"]);
    let new = fen(&change["trainTickets"][0]["ticketPrice"]);
    assert!(new > old);
    let amounts = expected(&[old], &[new]);
    assert_eq!(change["priceChangeType"], json!(1));
    assert_eq!(change["priceChangeTypeInfo"], json!(amounts.info));
    assert_eq!(fen(&change["totalPriceDiff"]), old);
    assert_eq!(fen(&change["changFeeAmount"]), amounts.change_fee_fen);
    assert_eq!(fen(&change["needPayAmount"]), new + amounts.change_fee_fen);
    assert_eq!(change["trainTickets"][0]["seatType"], json!(3));
    assert_eq!(held["trainTickets"][0]["ticketStatus"], json!(31));
    let limit = parse_time(&change["confirmChangeLimitTime"]);
    let applied = parse_time(&change["applayChangeTime"]);
    assert!(limit - applied >= TimeDelta::minutes(10));

    let need = format!("{}", change["needPayAmount"].as_f64().unwrap());
    let reply = sim.confirm_change(&order_no, &cha_no, Some(&need)).await;
    assert_eq!(
        reply,
        json!({"data": true, "success": true, "msg": "请求成功"})
    );
    assert_eq!(
        sim.detail(&order_no).await["trainChaOrder"][0]["chaOrderStatus"],
        json!(33)
    );
    let changed = sim.wait_change(&order_no, 0, 34).await;
    let change = &changed["trainChaOrder"][0];
    assert_eq!(change["chaRefundType"], json!(3));
    assert_eq!(fen(&change["refundAmount"]), old);
    assert_eq!(fen(&change["realPayAmount"]), new + amounts.change_fee_fen);
    assert!(change["payTime"].is_string() && change["refundTime"].is_string());
    assert_eq!(change["refundTransactionMethods"], json!(1));
    assert_eq!(changed["trainTickets"][0]["ticketStatus"], json!(34));
    assert_eq!(changed["trainTickets"][0]["ticketNo"], first["ticketNo"]);
    assert_eq!(changed["trainTickets"][1]["ticketStatus"], json!(8));
}

#[tokio::test]
async fn cheaper_change_refunds_the_difference_less_fees() {
    let sim = Sim::start(60.0).await;
    let mut body = sim.order_body(&["张飞"]);
    body["passengers"][0]["seatType"] = json!(3);
    let order_no = sim.create(body).await;
    sim.wait_status(&order_no, 2).await;
    sim.confirm(&order_no, None).await;
    let issued = sim.wait_status(&order_no, 8).await;
    let ticket = &issued["trainTickets"][0];
    let reply = sim.apply_change(&order_no, &[ticket], &sim.ride, 4).await;
    let cha_no = reply["data"].as_str().unwrap().to_owned();
    let held = sim.wait_change(&order_no, 0, 31).await;
    let change = &held["trainChaOrder"][0];
    let old = fen(&ticket["ticketPrice"]);
    let new = fen(&change["trainTickets"][0]["ticketPrice"]);
    let amounts = expected(&[old], &[new]);
    assert_eq!(change["priceChangeType"], json!(3));
    assert_eq!(change["priceChangeTypeInfo"], json!(amounts.info));
    assert_eq!(change["diffRate"], json!(0.1));
    assert_eq!(
        fen(&change["diffRefundFeeAmount"]),
        amounts.diff_refund_fee_fen
    );
    assert_eq!(fen(&change["totalPriceDiff"]), amounts.total_price_diff_fen);
    assert_eq!(change["needPayAmount"], json!(0.0));
    // Nothing to pay: confirmed without an amount.
    let reply = sim.confirm_change(&order_no, &cha_no, None).await;
    assert_eq!(reply["success"], json!(true), "{reply}");
    let changed = sim.wait_change(&order_no, 0, 34).await;
    let change = &changed["trainChaOrder"][0];
    assert_eq!(change["chaRefundType"], json!(2));
    assert_eq!(fen(&change["refundAmount"]), amounts.total_price_diff_fen);
    assert_eq!(change["realPayAmount"], json!(null));
}

#[tokio::test]
async fn one_successful_change_per_ticket_and_cancel_rules() {
    let sim = Sim::start(60.0).await;
    let (order_no, issued) = sim.issue(&["张飞"]).await;
    let original = &issued["trainTickets"][0];
    let first = sim.apply_change_to_next_day(&order_no, original).await;
    let reply = sim
        .call("cancel_change", json!({"chaNo": first, "remark": "不改了"}))
        .await;
    assert_eq!(reply["data"], json!(true), "{reply}");
    let cancelled = sim.detail(&order_no).await;
    let change = &cancelled["trainChaOrder"][0];
    assert_eq!(change["chaOrderStatus"], json!(37));
    assert_eq!(change["unFinishedReason"], json!("已取消改签申请"));
    assert_eq!(cancelled["trainTickets"][0]["ticketStatus"], json!(37));
    // The hold under way when it was cancelled does not resurrect it.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        sim.detail(&order_no).await["trainChaOrder"][0]["chaOrderStatus"],
        json!(37)
    );

    // 改签已取消 may change again.
    let second = sim.apply_change_to_next_day(&order_no, original).await;
    let held = sim.wait_change(&order_no, 1, 31).await;
    let need = format!(
        "{}",
        held["trainChaOrder"][1]["needPayAmount"].as_f64().unwrap()
    );
    sim.confirm_change(&order_no, &second, Some(&need)).await;
    let changed = sim.wait_change(&order_no, 1, 34).await;
    let new_ticket = &changed["trainChaOrder"][1]["trainTickets"][0];
    assert!(
        new_ticket["ticketNo"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}3", changed["orderNo12306"].as_str().unwrap())),
        "third batch of ticket numbers"
    );

    let again = sim
        .apply_change(&order_no, &[original], &sim.ride.next_day(), 4)
        .await;
    assert_failure(&again, "一张火车票只能成功改签一次");
    let again = sim
        .apply_change(&order_no, &[new_ticket], &sim.ride.next_day(), 4)
        .await;
    assert_failure(&again, "改签后的车票不能再次改签");
    let reply = sim
        .call("cancel_change", json!({"chaNo": second, "remark": "x"}))
        .await;
    assert_failure(
        &reply,
        "只有占位中和占位成功状态下才允许取消操作,当前订单状态为:改签确认出票成功",
    );
    let reply = sim.call("cancel_change", json!({"chaNo": "TX"})).await;
    assert_failure(&reply, "参数remark不能为空");
    let reply = sim
        .call("cancel_change", json!({"chaNo": "TX", "remark": "x"}))
        .await;
    assert_failure(&reply, "改签单不存在");

    // The changed ticket is refunded by its new number, not the old one.
    let reply = sim.refund(&order_no, original).await;
    assert_failure(&reply, "改签后请使用新票号退票");
    let reply = sim.refund(&order_no, new_ticket).await;
    assert_eq!(reply["success"], json!(true), "{reply}");
    let refunded = sim
        .wait_until(&order_no, |d| {
            d["trainChaOrder"][1]["trainTickets"][0]["ticketStatus"] == json!(21)
        })
        .await;
    let ticket = &refunded["trainChaOrder"][1]["trainTickets"][0];
    assert!(ticket["refundTicketAmount"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn confirm_change_is_checked() {
    let sim = Sim::start(60.0).await;
    let (order_no, issued) = sim.issue(&["张飞"]).await;
    let cha_no = sim
        .apply_change_to_next_day(&order_no, &issued["trainTickets"][0])
        .await;
    let early = sim.confirm_change(&order_no, &cha_no, None).await;
    assert_failure(
        &early,
        "只有改签占位成功状态下才允许确认改签,当前改签单状态为:改签占位中",
    );
    let held = sim.wait_change(&order_no, 0, 31).await;
    let need = held["trainChaOrder"][0]["needPayAmount"].as_f64().unwrap();
    let body = json!({"orderNo": order_no, "chaNo": cha_no, "payAmount": need, "sign": sim.sign(&order_no, Some(&format!("{need}")))});
    assert_failure(&sim.call("confirm_change", body).await, "签名校验失败");
    let wrong = sim.confirm_change(&order_no, &cha_no, Some("0.5")).await;
    assert_failure(&wrong, "支付金额与改签待支付金额不一致");
    let unknown = sim.confirm_change(&order_no, "TX", None).await;
    assert_failure(&unknown, "改签单不存在");
    // Applying is checked too.
    let held_order = sim.hold(&["李三"]).await;
    let detail = sim.detail(&held_order).await;
    let reply = sim
        .apply_change(
            &held_order,
            &[&detail["trainTickets"][0]],
            &sim.ride.next_day(),
            4,
        )
        .await;
    assert_failure(
        &reply,
        "只有出票成功的订单才允许改签,当前订单状态为:占位成功",
    );
    let reply = sim
        .apply_change(
            &order_no,
            &[&json!({"ticketNo": "E0"})],
            &sim.ride.next_day(),
            4,
        )
        .await;
    assert_failure(&reply, "票号不存在");
    let reply = sim
        .apply_change(
            &order_no,
            &[&issued["trainTickets"][0]],
            &sim.ride.next_day(),
            8,
        )
        .await;
    assert_failure(&reply, "不售硬卧");
}

#[tokio::test]
async fn change_failures_and_expiry() {
    // 10 provider minutes of confirmation window are 2 real seconds.
    let sim = Sim::start(300.0).await;
    let (order_no, issued) = sim.issue(&["张飞", "改签失败"]).await;
    let tickets = issued["trainTickets"].as_array().unwrap();

    sim.state.script(Fault::FailNextChangeHold);
    sim.apply_change_to_next_day(&order_no, &tickets[0]).await;
    let failed = sim.wait_change(&order_no, 0, 32).await;
    assert_eq!(failed["trainTickets"][0]["ticketStatus"], json!(32));
    assert!(
        failed["trainChaOrder"][0]["unFinishedReason"]
            .as_str()
            .unwrap()
            .contains("改签占座失败")
    );

    // A passenger named …改签失败 always fails the change hold.
    sim.apply_change_to_next_day(&order_no, &tickets[1]).await;
    sim.wait_change(&order_no, 1, 32).await;

    // The confirmation window closes.
    sim.apply_change_to_next_day(&order_no, &tickets[0]).await;
    sim.wait_change(&order_no, 2, 31).await;
    let expired = sim.wait_change(&order_no, 2, 37).await;
    assert_eq!(
        expired["trainChaOrder"][2]["unFinishedReason"],
        json!("超时未确认改签,已自动取消")
    );
    assert_eq!(expired["trainTickets"][0]["ticketStatus"], json!(37));

    // Issuing fails: what was paid is refunded (chaRefundType 1).
    sim.state.script(Fault::FailNextChangeIssue);
    let cha_no = sim.apply_change_to_next_day(&order_no, &tickets[0]).await;
    let held = sim.wait_change(&order_no, 3, 31).await;
    let need = format!(
        "{}",
        held["trainChaOrder"][3]["needPayAmount"].as_f64().unwrap()
    );
    let reply = sim.confirm_change(&order_no, &cha_no, Some(&need)).await;
    assert_eq!(reply["success"], json!(true), "{reply}");
    let failed = sim.wait_change(&order_no, 3, 35).await;
    let change = &failed["trainChaOrder"][3];
    assert_eq!(failed["trainTickets"][0]["ticketStatus"], json!(35));
    if change["realPayAmount"].is_number() {
        assert_eq!(change["chaRefundType"], json!(1));
        assert_eq!(change["refundAmount"], change["realPayAmount"]);
    }
    // 改签确认出票失败 tickets may be refunded.
    let reply = sim.refund(&order_no, &tickets[0]).await;
    assert_eq!(reply["success"], json!(true), "{reply}");
}
