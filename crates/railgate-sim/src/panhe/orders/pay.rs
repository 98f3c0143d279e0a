//! 确认出票 (confirm = pay), 取消订单, issuing, and the payment window.
//!
//! Confirm is allowed only in 占位成功 (2), inside the payment window, with
//! a valid sign (`md5(secretKey+orderNo+payAmount+secretKey)`, payAmount
//! left out when null) and, when payAmount is given, the exact order amount.
//! The order then shows 出票中 (7) and, `issue_delay` later, 出票成功 (8) or
//! 出票失败 (9, payment refunded). An unpaid order is cancelled (5) when the
//! window closes. Cancel is allowed only in 占位中 and 占位成功.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use md5::{Digest, Md5};

use super::callbacks::Notice;
use super::model::{Order, OrderStatus, Payment};
use super::{Fault, respond, seats};
use crate::panhe::SimState;
use crate::panhe::params::{Amount, Params};
use crate::panhe::wire::Failure;
use crate::timetable::Timetable;

/// unFinishedReason of an order the window closed on.
pub const EXPIRED_REASON: &str = "超时未支付,订单已自动取消";

/// Panhe's payment sign: `md5(secret + subject + amount + secret)` as 32
/// lowercase hex digits; `amount` is the payAmount text, or `None` when
/// payAmount is null (it then takes no part).
pub fn payment_sign(secret_key: &str, subject: &str, amount: Option<&str>) -> String {
    let mut hasher = Md5::new();
    for part in [secret_key, subject, amount.unwrap_or(""), secret_key] {
        hasher.update(part.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

/// Whether `sign` signs `subject` with the amount in any of the spellings a
/// client may have used (as sent, normalized, two decimals).
pub(super) fn sign_matches(
    secret_key: &str,
    subject: &str,
    amount: Option<&Amount>,
    sign: &str,
) -> bool {
    match amount {
        None => payment_sign(secret_key, subject, None) == sign,
        Some(amount) => amount
            .sign_texts
            .iter()
            .any(|text| payment_sign(secret_key, subject, Some(text)) == sign),
    }
}

/// Yuan with two decimals, for messages.
pub(super) fn yuan2(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub(super) async fn confirm_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, confirm_order).await
}

pub(super) async fn cancel_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, cancel_order).await
}

pub(super) fn order_not_found(order_no: &str) -> Failure {
    Failure(format!("订单不存在:{order_no}"))
}

fn confirm_order(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<bool, Failure> {
    let order_no = params.required_str("orderNo")?;
    let pay_amount = params.optional_amount("payAmount")?;
    let sign = params.required_str("sign")?;
    let now = state.provider_now();
    let mut book = state.book();
    let order = book
        .orders
        .get_mut(order_no)
        .ok_or_else(|| order_not_found(order_no))?;
    if !sign_matches(
        &state.config.secret_key,
        order_no,
        pay_amount.as_ref(),
        sign,
    ) {
        return Err(Failure("签名校验失败".into()));
    }
    if order.status != OrderStatus::Held {
        return Err(Failure(format!(
            "只有占位成功状态下才允许确认出票,当前订单状态为:{}",
            order.status.name()
        )));
    }
    if order.pay_limit_time.is_some_and(|limit| now > limit) {
        drop(book);
        expire_payment(state, order_no);
        return Err(Failure("订单已超过支付时限,已自动取消".into()));
    }
    let order_amount = order.order_amount_fen().unwrap_or(0);
    if let Some(amount) = &pay_amount {
        if amount.fen != i64::from(order_amount) {
            return Err(Failure(format!(
                "支付金额与订单金额不一致,订单金额:{}",
                yuan2(order_amount)
            )));
        }
    }
    let sequence = book.next_sequence();
    let order = book.orders.get_mut(order_no).expect("found above");
    order.pay = Some(Payment {
        amount_fen: order_amount,
        at: now,
        transaction_no: seats::transaction_no(now, sequence),
    });
    order.set_status(OrderStatus::Issuing);
    let notice = Notice::order(order, now);
    drop(book);
    state.notify(vec![notice]);
    let issuing = order_no.to_owned();
    state.after(state.config.issue_delay, move |state| {
        complete_issue(state, &issuing);
    });
    Ok(true)
}

/// Whether the issue of `order` fails: a scripted fault, or a contact or
/// passenger name containing 出票失败.
fn issue_fails(state: &SimState, order: &Order) -> bool {
    let named = order.contact_name.contains("出票失败")
        || order
            .tickets
            .iter()
            .any(|ticket| ticket.passenger.name.contains("出票失败"));
    named
        || state
            .take_fault(|fault| *fault == Fault::FailNextIssue)
            .is_some()
}

/// The issuing result, `issue_delay` after confirm.
fn complete_issue(state: &Arc<SimState>, order_no: &str) {
    let now = state.provider_now();
    let mut book = state.book();
    let Some(mut order) = book.orders.remove(order_no) else {
        return;
    };
    if order.status == OrderStatus::Issuing {
        if issue_fails(state, &order) {
            let sequence = book.next_sequence();
            order.set_status(OrderStatus::IssueFailed);
            order.un_finished_reason = Some("出票失败:12306出票异常,已全额退款".into());
            order.issue_fail_refund = order.pay.as_ref().map(|pay| Payment {
                amount_fen: pay.amount_fen,
                at: now,
                transaction_no: seats::transaction_no(now, sequence),
            });
            let ride = order.ride.clone();
            for ticket in &mut order.tickets {
                book.hold_inventory(&ride, ticket, false);
            }
        } else {
            order.set_status(OrderStatus::Issued);
            order.ticket_time = Some(now);
        }
        let notice = Notice::order(&order, now);
        book.orders.insert(order_no.to_owned(), order);
        drop(book);
        state.notify(vec![notice]);
    } else {
        book.orders.insert(order_no.to_owned(), order);
    }
}

/// The payment window closed: an order still unpaid is cancelled.
pub(super) fn expire_payment(state: &Arc<SimState>, order_no: &str) {
    let now = state.provider_now();
    let notice = {
        let mut book = state.book();
        let Some(mut order) = book.orders.remove(order_no) else {
            return;
        };
        let expired = order.status == OrderStatus::Held;
        if expired {
            tracing::debug!(%order_no, "panhe sim payment window closed");
            cancel(&mut book, &mut order, EXPIRED_REASON);
        }
        let notice = expired.then(|| Notice::order(&order, now));
        book.orders.insert(order_no.to_owned(), order);
        notice
    };
    state.notify(notice.into_iter().collect());
}

/// Cancel and give the seats back.
fn cancel(book: &mut super::model::OrderBook, order: &mut Order, reason: &str) {
    order.set_status(OrderStatus::Cancelled);
    order.un_finished_reason = Some(reason.to_owned());
    let ride = order.ride.clone();
    for ticket in &mut order.tickets {
        book.hold_inventory(&ride, ticket, false);
    }
}

fn cancel_order(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<bool, Failure> {
    let order_no = params.required_str("orderNo")?;
    let now = state.provider_now();
    let notice = {
        let mut book = state.book();
        let mut order = book
            .orders
            .remove(order_no)
            .ok_or_else(|| order_not_found(order_no))?;
        let allowed = matches!(order.status, OrderStatus::Holding | OrderStatus::Held);
        let result = if allowed {
            cancel(&mut book, &mut order, "已取消订单");
            Ok(Notice::order(&order, now))
        } else {
            Err(Failure(format!(
                "只有占位中和占位成功状态下才允许取消,当前订单状态为:{}",
                order.status.name()
            )))
        };
        book.orders.insert(order_no.to_owned(), order);
        result?
    };
    state.notify(vec![notice]);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use serde_json::json;

    use super::*;
    use crate::panhe::orders::testkit::*;

    #[test]
    fn sign_is_md5_of_secret_subject_amount_secret() {
        let expected = format!("{:x}", Md5::digest(b"s3cret1804257654127s3cret"));
        assert_eq!(payment_sign("s3cret", "1804257654", Some("127")), expected);
        let without = format!("{:x}", Md5::digest(b"s3cretT1s3cret"));
        assert_eq!(payment_sign("s3cret", "T1", None), without);
        assert_eq!(expected.len(), 32);
    }

    #[tokio::test]
    async fn confirm_issues_tickets() {
        let sim = Sim::start(60.0).await;
        let order_no = sim.hold(&["张三", "李四"]).await;
        let held = sim.detail(&order_no).await;
        let amount = held["orderAmount"].as_f64().unwrap();
        let reply = sim.confirm(&order_no, Some(&format!("{amount}"))).await;
        assert_eq!(
            reply,
            json!({"data": true, "success": true, "msg": "请求成功"})
        );
        let issuing = sim.detail(&order_no).await;
        assert_eq!(issuing["orderStatus"], json!(7));
        assert_eq!(issuing["payStatus"], json!(1));
        assert_eq!(issuing["paymentType"], json!(1));
        assert_eq!(issuing["realPayAmount"], held["orderAmount"]);
        assert_eq!(issuing["transactionNo"].as_str().unwrap().len(), 24);
        let issued = sim.wait_status(&order_no, 8).await;
        assert_eq!(issued["orderStatusName"], json!("出票成功"));
        assert!(issued["ticketTime"].is_string());
        for ticket in issued["trainTickets"].as_array().unwrap() {
            assert_eq!(ticket["ticketStatus"], json!(8));
            assert_eq!(ticket["ticketStatusName"], json!("出票成功"));
        }
        // Confirming twice is refused with the state.
        let again = sim.confirm(&order_no, None).await;
        assert_failure(&again, "当前订单状态为:出票成功");
    }

    #[tokio::test]
    async fn wrong_sign_or_amount_is_refused() {
        let sim = Sim::start(60.0).await;
        let order_no = sim.hold(&["张三"]).await;
        let amount = sim.detail(&order_no).await["orderAmount"].as_f64().unwrap();
        let bad_sign = json!({"orderNo": order_no, "payAmount": amount, "sign": "0".repeat(32)});
        assert_failure(&sim.call("confirm_order", bad_sign).await, "签名校验失败");
        // Signed with another amount than sent.
        let sign = sim.sign(&order_no, Some("1"));
        let mismatch = json!({"orderNo": order_no, "payAmount": amount, "sign": sign});
        assert_failure(&sim.call("confirm_order", mismatch).await, "签名校验失败");
        // Properly signed, but not the order amount.
        let reply = sim.confirm(&order_no, Some("1.5")).await;
        assert_failure(&reply, "支付金额与订单金额不一致");
        let reply = sim
            .call(
                "confirm_order",
                json!({"orderNo": order_no, "payAmount": amount}),
            )
            .await;
        assert_failure(&reply, "参数sign不能为空");
        assert_eq!(sim.detail(&order_no).await["orderStatus"], json!(2));
        // A null amount is not checked and not signed.
        let reply = sim.confirm(&order_no, None).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
    }

    #[tokio::test]
    async fn the_amount_is_a_json_number_signed_in_any_usual_spelling() {
        let sim = Sim::start(60.0).await;
        let order_no = sim.hold(&["张三"]).await;
        let fen =
            (sim.detail(&order_no).await["orderAmount"].as_f64().unwrap() * 100.0).round() as u32;
        let two_decimals = yuan2(fen);
        let sign = sim.sign(&order_no, Some(&two_decimals));
        // The seed's type is decimal and its example a number: a string is
        // refused, however it is spelled.
        let text = json!({"orderNo": order_no, "payAmount": two_decimals, "sign": sign});
        let reply = sim.call("confirm_order", text).await;
        assert_failure(&reply, "参数payAmount格式错误");
        let number: f64 = two_decimals.parse().unwrap();
        let body = json!({"orderNo": order_no, "payAmount": number, "sign": sign});
        let reply = sim.call("confirm_order", body).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
    }

    #[tokio::test]
    async fn unpaid_orders_expire() {
        // 10 provider minutes in a tenth of a real second.
        let sim = Sim::start(6000.0).await;
        let order_no = sim.create(sim.order_body(&["张三"])).await;
        let cancelled = sim.wait_status(&order_no, 5).await;
        assert_eq!(cancelled["unFinishedReason"], json!(EXPIRED_REASON));
        assert_eq!(cancelled["trainTickets"][0]["ticketStatus"], json!(5));
        let reply = sim.confirm(&order_no, None).await;
        assert_failure(&reply, "当前订单状态为:已取消");
    }

    #[tokio::test]
    async fn trains_leaving_within_30_minutes_get_two_minutes() {
        let sim = Sim::start(60.0).await;
        let ride = sim.ride_leaving_in(TimeDelta::minutes(25));
        let order_no = sim.create(sim.order_body_on(&ride, &["张三"])).await;
        let held = sim.wait_status(&order_no, 2).await;
        let window = parse_time(&held["payLimitTime"]) - parse_time(&held["createTime"]);
        assert!(window >= TimeDelta::minutes(2), "{window}");
        assert!(window < TimeDelta::minutes(4), "{window}");
        // Two provider minutes are two real seconds at this scale.
        let cancelled = sim.wait_status(&order_no, 5).await;
        assert_eq!(cancelled["unFinishedReason"], json!(EXPIRED_REASON));
    }

    #[tokio::test]
    async fn cancel_only_while_holding_or_held() {
        let sim = Sim::start(60.0).await;
        let holding = sim.create(sim.order_body(&["张三"])).await;
        let reply = sim.call("cancel_order", json!({"orderNo": holding})).await;
        assert_eq!(reply["data"], json!(true), "{reply}");
        let cancelled = sim.detail(&holding).await;
        assert_eq!(cancelled["orderStatus"], json!(5));
        // The hold that was under way no longer applies.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(sim.detail(&holding).await["orderStatus"], json!(5));

        let held = sim.hold(&["李四"]).await;
        let reply = sim.call("cancel_order", json!({"orderNo": held})).await;
        assert_eq!(reply["data"], json!(true));

        let (issued, _) = sim.issue(&["王五"]).await;
        let reply = sim.call("cancel_order", json!({"orderNo": issued})).await;
        assert_failure(
            &reply,
            "只有占位中和占位成功状态下才允许取消,当前订单状态为:出票成功",
        );
        let reply = sim.call("cancel_order", json!({"orderNo": "T404"})).await;
        assert_failure(&reply, "订单不存在");
    }

    #[tokio::test]
    async fn scripted_and_named_issue_failures_refund_the_payment() {
        let sim = Sim::start(60.0).await;
        sim.state.script(Fault::FailNextIssue);
        let order_no = sim.hold(&["张三"]).await;
        sim.confirm(&order_no, None).await;
        let failed = sim.wait_status(&order_no, 9).await;
        assert_eq!(
            failed["outTicketFail_RefundAmount"],
            failed["realPayAmount"]
        );
        assert!(failed["outTicketFail_RefundSuccessTime"].is_string());
        assert_eq!(failed["outTicketFail_RefundTransactionMethods"], json!(1));
        assert_eq!(failed["trainTickets"][0]["ticketStatus"], json!(9));

        let named = sim.hold(&["出票失败"]).await;
        sim.confirm(&named, None).await;
        sim.wait_status(&named, 9).await;
    }
}
