//! 退票 (refundTicket): one ticket per request, as the seed requires.
//!
//! Original tickets may be refunded in 出票成功 (8), 退票失败 (22), 改签占位失败
//! (32), 改签确认出票失败 (35) and 改签已取消 (37); changed tickets (by their new
//! number) in 改签确认出票成功 (34) and 退票失败 (22). Online refunds close at
//! departure. The ticket shows 退票中 (20) at once and, `refund_delay`
//! later, 退票成功 (21) with the fee and amount, or 退票失败 (22) with
//! refundFailReason. The fee is decided when the refund is applied for; see
//! `money` for the rule.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::callbacks::Notice;
use super::model::{Order, Ticket, TicketStatus};
use super::pay::order_not_found;
use super::{Fault, money, respond, seats};
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::Failure;
use crate::timetable::Timetable;

/// refundFailReason of a failed refund.
pub const REFUND_FAIL_REASON: &str = "车票已在车站取票,请到车站窗口办理退票";

/// Where a ticket lives in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TicketAt {
    Original(usize),
    /// (change order, ticket) indexes.
    Changed(usize, usize),
}

/// Find a ticket by number among the order's tickets and its change
/// orders' tickets.
pub(super) fn find_ticket(order: &Order, ticket_no: &str) -> Option<TicketAt> {
    let number = |ticket: &Ticket| ticket.ticket_no.as_deref() == Some(ticket_no);
    if let Some(index) = order.tickets.iter().position(number) {
        return Some(TicketAt::Original(index));
    }
    order
        .changes
        .iter()
        .enumerate()
        .find_map(|(change, order)| {
            let index = order.tickets.iter().position(number)?;
            Some(TicketAt::Changed(change, index))
        })
}

fn ticket_mut(order: &mut Order, at: TicketAt) -> &mut Ticket {
    match at {
        TicketAt::Original(index) => &mut order.tickets[index],
        TicketAt::Changed(change, index) => &mut order.changes[change].tickets[index],
    }
}

pub(super) async fn handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, refund_ticket).await
}

fn refund_ticket(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<bool, Failure> {
    let order_no = params.required_str("orderNo")?;
    let entries = params.required_objects("tickets")?;
    if entries.len() > 1 {
        return Err(Failure(
            "12306暂不支持批量退票,多张票退票请分多次提交".into(),
        ));
    }
    let entry = &entries[0];
    let name = entry.required_str("name")?;
    let ticket_no = entry.required_str("ticketNo")?;
    let card_type = entry.required_int("cardType")?;
    let card_no = entry.required_str("cardNo")?;
    // Seed 002's field table lists remark after TicketInfo's fields, while
    // its example puts it at the top level beside `tickets`; the example
    // is the default reading (PanheSimConfig::refund_remark_in_ticket).
    let (read_from, refused_in) = if state.config().refund_remark_in_ticket {
        (entry, params)
    } else {
        (params, entry)
    };
    read_from.optional_str("remark")?;
    if refused_in.optional_str("remark")?.is_some() {
        return Err(Failure(format!(
            "参数{}不在此处",
            refused_in.field("remark")
        )));
    }
    let now = state.provider_now();
    let notice = {
        let mut book = state.book();
        let order = book
            .orders
            .get_mut(order_no)
            .ok_or_else(|| order_not_found(order_no))?;
        let at = find_ticket(order, ticket_no)
            .ok_or_else(|| Failure(format!("票号不存在:{ticket_no}")))?;
        let depart = match at {
            TicketAt::Original(_) => order.ride.depart,
            TicketAt::Changed(change, _) => order.changes[change].ride.depart,
        };
        let ticket = ticket_mut(order, at);
        let passenger = &ticket.passenger;
        if passenger.name != name
            || passenger.card_type != card_type
            || !passenger.card_no.eq_ignore_ascii_case(card_no)
        {
            return Err(Failure(format!("乘客信息与票号不匹配:{ticket_no}")));
        }
        let allowed: &[TicketStatus] = match at {
            TicketAt::Original(_) => &[
                TicketStatus::Issued,
                TicketStatus::RefundFailed,
                TicketStatus::ChangeHoldFailed,
                TicketStatus::ChangeIssueFailed,
                TicketStatus::ChangeCancelled,
            ],
            TicketAt::Changed(..) => &[TicketStatus::Changed, TicketStatus::RefundFailed],
        };
        if !allowed.contains(&ticket.status) {
            let hint = if ticket.status == TicketStatus::Changed {
                ",改签后请使用新票号退票"
            } else {
                ""
            };
            return Err(Failure(format!(
                "当前客票状态为:{},不允许退票{hint}",
                ticket.status.name()
            )));
        }
        if depart <= now {
            return Err(Failure(
                "已过开车时间,不能办理在线退票,请到车站窗口办理".into(),
            ));
        }
        let rate = money::refund_rate_percent(depart - now);
        ticket.refund.fee_fen = Some(money::refund_fee(ticket.price_fen, rate));
        ticket.refund.fail_reason = None;
        ticket.status = TicketStatus::Refunding;
        let ticket = ticket.clone();
        Notice::refund(order, &ticket, now)
    };
    state.notify(vec![notice]);
    let order_no = order_no.to_owned();
    let ticket_no = ticket_no.to_owned();
    state.after(state.config.refund_delay, move |state| {
        complete_refund(state, &order_no, &ticket_no);
    });
    Ok(true)
}

/// The refund's result, `refund_delay` after the request.
fn complete_refund(state: &Arc<SimState>, order_no: &str, ticket_no: &str) {
    let now = state.provider_now();
    let notice = {
        let mut book = state.book();
        let Some(mut order) = book.orders.remove(order_no) else {
            return;
        };
        let at = find_ticket(&order, ticket_no);
        let refunding =
            at.filter(|&at| ticket_mut(&mut order, at).status == TicketStatus::Refunding);
        let notice = refunding.map(|at| {
            let fails = ticket_mut(&mut order, at)
                .passenger
                .name
                .contains("退票失败")
                || state
                    .take_fault(|fault| *fault == Fault::FailNextRefund)
                    .is_some();
            let ride = match at {
                TicketAt::Original(_) => order.ride.clone(),
                TicketAt::Changed(change, _) => order.changes[change].ride.clone(),
            };
            let sequence = book.next_sequence();
            let ticket = ticket_mut(&mut order, at);
            if fails {
                ticket.status = TicketStatus::RefundFailed;
                ticket.refund.fail_reason = Some(REFUND_FAIL_REASON.into());
            } else {
                ticket.status = TicketStatus::Refunded;
                ticket.refund.succeeded_at = Some(now);
                ticket.refund.transaction_no = Some(seats::transaction_no(now, sequence));
                book.hold_inventory(&ride, ticket, false);
            }
            let ticket = ticket.clone();
            Notice::refund(&order, &ticket, now)
        });
        book.orders.insert(order_no.to_owned(), order);
        notice
    };
    state.notify(notice.into_iter().collect());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::panhe::orders::testkit::*;

    #[tokio::test]
    async fn refunds_one_ticket_with_the_fee() {
        let sim = Sim::start(60.0).await;
        let (order_no, issued) = sim.issue(&["张三", "李四"]).await;
        let first = &issued["trainTickets"][0];
        let reply = sim.refund(&order_no, first).await;
        assert_eq!(
            reply,
            json!({"data": true, "success": true, "msg": "请求成功"})
        );
        let refunding = sim.detail(&order_no).await;
        assert_eq!(refunding["trainTickets"][0]["ticketStatus"], json!(20));
        assert_eq!(
            refunding["trainTickets"][0]["ticketStatusName"],
            json!("退票中")
        );
        assert_eq!(
            refunding["trainTickets"][0]["refundTicketAmount"],
            json!(null)
        );
        assert_eq!(refunding["trainTickets"][1]["ticketStatus"], json!(8));
        let refunded = sim
            .wait_until(&order_no, |d| {
                d["trainTickets"][0]["ticketStatus"] == json!(21)
            })
            .await;
        let ticket = &refunded["trainTickets"][0];
        // Two days before departure: 10%, rounded to ¥0.5, at least ¥2.
        let price_fen = (ticket["ticketPrice"].as_f64().unwrap() * 100.0).round() as u32;
        let fee_fen = money::refund_fee(price_fen, 10);
        assert_eq!(
            ticket["refundTicketPoundage"],
            json!(crate::panhe::orders::pay::yuan2(fee_fen))
        );
        let amount = ticket["refundTicketAmount"].as_f64().unwrap();
        assert!((amount * 100.0 - f64::from(price_fen - fee_fen)).abs() < 0.01);
        assert!(ticket["refundSuccessTime"].is_string());
        assert_eq!(ticket["refundTransactionNo"].as_str().unwrap().len(), 24);
        assert_eq!(refunded["orderStatus"], json!(8), "the order stays issued");
        // A refunded ticket cannot be refunded again.
        let again = sim.refund(&order_no, first).await;
        assert_failure(&again, "当前客票状态为:退票成功,不允许退票");
    }

    #[tokio::test]
    async fn refund_requests_are_checked() {
        let sim = Sim::start(60.0).await;
        let (order_no, issued) = sim.issue(&["张三", "李四"]).await;
        let tickets = issued["trainTickets"].as_array().unwrap();
        let entry = |ticket: &serde_json::Value| sim.refund_entry(ticket);
        let two = json!({"orderNo": order_no, "tickets": [entry(&tickets[0]), entry(&tickets[1])]});
        assert_failure(&sim.call("refund_ticket", two).await, "暂不支持批量退票");
        let none = json!({"orderNo": order_no, "tickets": []});
        assert_failure(
            &sim.call("refund_ticket", none).await,
            "参数tickets不能为空",
        );
        let mut wrong_name = entry(&tickets[0]);
        wrong_name["name"] = json!("李四");
        let body = json!({"orderNo": order_no, "tickets": [wrong_name]});
        assert_failure(
            &sim.call("refund_ticket", body).await,
            "乘客信息与票号不匹配",
        );
        let mut unknown = entry(&tickets[0]);
        unknown["ticketNo"] = json!("E000");
        let body = json!({"orderNo": order_no, "tickets": [unknown]});
        assert_failure(&sim.call("refund_ticket", body).await, "票号不存在");
        let body = json!({"orderNo": "T404", "tickets": [entry(&tickets[0])]});
        assert_failure(&sim.call("refund_ticket", body).await, "订单不存在");
        // Not issued yet: not refundable.
        let held = sim.hold(&["王五"]).await;
        let detail = sim.detail(&held).await;
        let reply = sim.refund(&held, &detail["trainTickets"][0]).await;
        assert_failure(&reply, "当前客票状态为:占位成功,不允许退票");
    }

    #[tokio::test]
    async fn the_remark_goes_where_the_seeds_example_puts_it() {
        let sim = Sim::start(60.0).await;
        let (order_no, issued) = sim.issue(&["张三", "李四"]).await;
        let tickets = issued["trainTickets"].as_array().unwrap();
        let mut inside = sim.refund_entry(&tickets[0]);
        inside["remark"] = json!("行程取消了");
        let misplaced = json!({"orderNo": order_no, "tickets": [inside]});
        assert_failure(
            &sim.call("refund_ticket", misplaced).await,
            "参数tickets[0].remark不在此处",
        );
        let beside = json!({"orderNo": order_no, "tickets": [sim.refund_entry(&tickets[0])],
                            "remark": "行程取消了"});
        let reply = sim.call("refund_ticket", beside).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
    }

    #[tokio::test]
    async fn failed_refunds_can_be_retried() {
        let sim = Sim::start(60.0).await;
        let (order_no, issued) = sim.issue(&["张三"]).await;
        sim.state.script(Fault::FailNextRefund);
        let ticket = &issued["trainTickets"][0];
        sim.refund(&order_no, ticket).await;
        let failed = sim
            .wait_until(&order_no, |d| {
                d["trainTickets"][0]["ticketStatus"] == json!(22)
            })
            .await;
        assert_eq!(
            failed["trainTickets"][0]["refundFailReason"],
            json!(REFUND_FAIL_REASON)
        );
        assert_eq!(failed["trainTickets"][0]["refundTicketAmount"], json!(null));
        sim.refund(&order_no, ticket).await;
        let refunded = sim
            .wait_until(&order_no, |d| {
                d["trainTickets"][0]["ticketStatus"] == json!(21)
            })
            .await;
        assert_eq!(refunded["trainTickets"][0]["refundFailReason"], json!(null));
    }

    #[tokio::test]
    async fn a_named_passenger_always_fails() {
        let sim = Sim::start(60.0).await;
        let (order_no, issued) = sim.issue(&["退票失败"]).await;
        sim.refund(&order_no, &issued["trainTickets"][0]).await;
        sim.wait_until(&order_no, |d| {
            d["trainTickets"][0]["ticketStatus"] == json!(22)
        })
        .await;
    }

    #[tokio::test]
    async fn a_day_before_departure_costs_20_percent_and_departure_closes_refunds() {
        let sim = Sim::start(60.0).await;
        let ride = sim.ride_leaving_in(chrono::TimeDelta::minutes(40));
        let order_no = sim
            .create(sim.order_body_on(&ride, &["张三", "李四"]))
            .await;
        sim.wait_status(&order_no, 2).await;
        sim.confirm(&order_no, None).await;
        let issued = sim.wait_status(&order_no, 8).await;
        let reply = sim.refund(&order_no, &issued["trainTickets"][0]).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        let refunded = sim
            .wait_until(&order_no, |d| {
                d["trainTickets"][0]["ticketStatus"] == json!(21)
            })
            .await;
        let ticket = &refunded["trainTickets"][0];
        let price_fen = (ticket["ticketPrice"].as_f64().unwrap() * 100.0).round() as u32;
        assert_eq!(
            ticket["refundTicketPoundage"],
            json!(crate::panhe::orders::pay::yuan2(money::refund_fee(
                price_fen, 20
            )))
        );
        sim.advance(chrono::TimeDelta::minutes(45));
        let reply = sim.refund(&order_no, &issued["trainTickets"][1]).await;
        assert_failure(&reply, "已过开车时间,不能办理在线退票");
    }
}
