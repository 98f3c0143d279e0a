//! 申请改签, 确认改签 and 取消改签.
//!
//! applyChange answers the change number (`<orderNo>C1234`) with the change
//! order in 改签占位中 (30); `hold_delay` later it is 改签占位成功 (31) with the
//! new seats and the amounts (priceChangeType, totalPriceDiff, fees,
//! needPayAmount, confirmChangeLimitTime) or 改签占位失败 (32). confirmChange
//! (signed `md5(secretKey+chaNo+payAmount+secretKey)`) moves it to 改签确认出票中
//! (33) and, `issue_delay` later, 改签确认出票成功 (34) or 改签确认出票失败 (35).
//! cancelChange, in 30 or 31, gives 改签已取消 (37); so does the confirmation
//! window closing. The original tickets show the change order's status
//! throughout, as in the seed's example; a ticket changes successfully once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::callbacks::Notice;
use super::create::{assign_berths, hold_outcome, payment_window};
use super::model::{
    ChangeOrder, Order, OrderBook, OrderStatus, Payment, RefundInfo, Ticket, TicketStatus,
};
use super::pay::{order_not_found, sign_matches, yuan2};
use super::refund::{TicketAt, find_ticket};
use super::{Fault, money, respond, seats, validate};
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::Failure;
use crate::timetable::Timetable;

/// Original ticket statuses from which a change may be applied for.
const CHANGEABLE: [TicketStatus; 5] = [
    TicketStatus::Issued,
    TicketStatus::RefundFailed,
    TicketStatus::ChangeHoldFailed,
    TicketStatus::ChangeIssueFailed,
    TicketStatus::ChangeCancelled,
];

pub(super) async fn apply_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, apply_change).await
}

pub(super) async fn confirm_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, confirm_change).await
}

pub(super) async fn cancel_handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, cancel_change).await
}

/// Set a change order's status, its tickets' and the originals'.
fn set_change_status(order: &mut Order, index: usize, status: TicketStatus) {
    let change = &mut order.changes[index];
    change.status = status;
    for ticket in &mut change.tickets {
        ticket.status = status;
    }
    for &original in &change.originals {
        order.tickets[original].status = status;
    }
}

/// Give the new seats of a change order back.
fn release_new_seats(book: &mut OrderBook, change: &mut ChangeOrder) {
    let ride = change.ride.clone();
    for ticket in &mut change.tickets {
        book.hold_inventory(&ride, ticket, false);
    }
}

fn change_not_found(cha_no: &str) -> Failure {
    Failure(format!("改签单不存在:{cha_no}"))
}

fn apply_change(
    state: &Arc<SimState>,
    timetable: &'static Timetable,
    params: &Params,
) -> Result<String, Failure> {
    let order_no = params.required_str("orderNo")?;
    let numbers: Vec<&str> = params
        .required_str("changePsgTicketNos")?
        .split('|')
        .map(str::trim)
        .filter(|number| !number.is_empty())
        .collect();
    if numbers.is_empty() {
        return Err(Failure("参数changePsgTicketNos不能为空".into()));
    }
    let ride = validate::ride(state, timetable, params)?;
    let seat = validate::sold_class(params, &ride)?;
    let (choice, letters) = validate::seat_choice(
        params,
        &ride,
        &vec![seat; numbers.len()],
        state.config().choose_sleeper_required,
    )?;
    let remark = params.required_str("remark")?.to_owned();
    let call_back_url = validate::callback_url(params, "callBackUrl")?;
    let now = state.provider_now();
    let cha_no = {
        let mut book = state.book();
        let sequence = book.next_sequence();
        let order = book
            .orders
            .get_mut(order_no)
            .ok_or_else(|| order_not_found(order_no))?;
        if order.status != OrderStatus::Issued {
            return Err(Failure(format!(
                "只有出票成功的订单才允许改签,当前订单状态为:{}",
                order.status.name()
            )));
        }
        let mut originals = Vec::with_capacity(numbers.len());
        for number in &numbers {
            let index = match find_ticket(order, number) {
                None => return Err(Failure(format!("票号不存在:{number}"))),
                Some(TicketAt::Changed(..)) => {
                    return Err(Failure(format!(
                        "改签后的车票不能再次改签,只能乘坐或办理退票:{number}"
                    )));
                }
                Some(TicketAt::Original(index)) => index,
            };
            if originals.contains(&index) {
                return Err(Failure(format!("票号重复:{number}")));
            }
            let status = order.tickets[index].status;
            if !CHANGEABLE.contains(&status) {
                let hint = if status == TicketStatus::Changed {
                    ",一张火车票只能成功改签一次"
                } else {
                    ""
                };
                return Err(Failure(format!(
                    "当前客票状态为:{},不允许改签{hint}",
                    status.name()
                )));
            }
            originals.push(index);
        }
        if order.ride.depart <= now {
            return Err(Failure("原车票已过开车时间,不能办理在线改签".into()));
        }
        let mut cha_no = format!("{order_no}C{:04}", sequence % 10_000);
        let mut salt = sequence;
        while order.change(&cha_no).is_some() {
            salt += 7;
            cha_no = format!("{order_no}C{:04}", salt % 10_000);
        }
        let tickets: Vec<Ticket> = originals
            .iter()
            .zip(letters)
            .map(|(&index, letter)| {
                let passenger = order.tickets[index].passenger.clone();
                let full = ride.full_price(seat, None);
                Ticket {
                    price_fen: money::ticket_price(full, passenger.ticket_type),
                    passenger,
                    requested: seat,
                    seat,
                    berth: None,
                    chosen_letter: letter,
                    ticket_no: None,
                    seat_no: None,
                    status: TicketStatus::Changing,
                    refund: RefundInfo::default(),
                    holds_inventory: false,
                }
            })
            .collect();
        order.changes.push(ChangeOrder {
            cha_no: cha_no.clone(),
            status: TicketStatus::Changing,
            batch: 2 + order.changes.len() as u32,
            ride,
            choice,
            originals,
            price: None,
            pay: None,
            refund: None,
            remark,
            un_finished_reason: None,
            ticket_entrance: None,
            confirm_limit_time: None,
            apply_time: now,
            call_back_url,
            tickets,
        });
        let index = order.changes.len() - 1;
        set_change_status(order, index, TicketStatus::Changing);
        book.by_cha_no.insert(cha_no.clone(), order_no.to_owned());
        cha_no
    };
    let (order_no, holding) = (order_no.to_owned(), cha_no.clone());
    state.after(state.config.hold_delay, move |state| {
        complete_change_hold(state, &order_no, &holding);
    });
    Ok(cha_no)
}

/// Run `step` on a change order, with the order out of the book so both
/// can be borrowed; returns the callback to send, if any.
fn with_change(
    state: &Arc<SimState>,
    order_no: &str,
    cha_no: &str,
    step: impl FnOnce(&mut OrderBook, &mut Order, usize) -> Option<Notice>,
) {
    let notice = {
        let mut book = state.book();
        let Some(mut order) = book.orders.remove(order_no) else {
            return;
        };
        let notice = order
            .changes
            .iter()
            .position(|change| change.cha_no == cha_no)
            .and_then(|index| step(&mut book, &mut order, index));
        book.orders.insert(order_no.to_owned(), order);
        notice
    };
    state.notify(notice.into_iter().collect());
}

/// The change hold's result, `hold_delay` after applyChange.
fn complete_change_hold(state: &Arc<SimState>, order_no: &str, cha_no: &str) {
    let now = state.provider_now();
    let mut window = None;
    with_change(state, order_no, cha_no, |book, order, index| {
        if order.changes[index].status != TicketStatus::Changing {
            return None;
        }
        let named = order.changes[index]
            .tickets
            .iter()
            .any(|ticket| ticket.passenger.name.contains("改签失败"));
        let scripted = state
            .take_fault(|fault| *fault == Fault::FailNextChangeHold)
            .is_some();
        let reason = (named || scripted).then(|| "改签占座失败:所选车次余票不足".to_owned());
        let change = &mut order.changes[index];
        let outcome = hold_outcome(
            book,
            &change.ride,
            &change.choice,
            &change.tickets,
            None,
            now,
            reason,
        );
        match outcome {
            Err(reason) => {
                change.un_finished_reason = Some(reason);
                set_change_status(order, index, TicketStatus::ChangeHoldFailed);
            }
            Ok(sold_as) => {
                for (ticket, seat) in change.tickets.iter_mut().zip(sold_as) {
                    ticket.seat = seat;
                }
                assign_berths(&mut change.tickets, change.choice.sleepers);
                let order_no_12306 = order.order_no_12306.clone().unwrap_or_default();
                for ticket in &mut change.tickets {
                    let full = change.ride.full_price(ticket.seat, ticket.berth);
                    ticket.price_fen = money::ticket_price(full, ticket.passenger.ticket_type);
                    seats::assign_seat(book, &change.ride, ticket, &order_no_12306, change.batch);
                    book.hold_inventory(&change.ride, ticket, true);
                }
                let olds: Vec<u32> = change
                    .originals
                    .iter()
                    .map(|&original| order.tickets[original].price_fen)
                    .collect();
                let news: Vec<u32> = change.tickets.iter().map(|t| t.price_fen).collect();
                let lead = order.ride.depart - change.apply_time;
                change.price = Some(money::price_change(&olds, &news, lead));
                let confirm_window = payment_window(change.ride.depart - now);
                change.confirm_limit_time = Some(now + confirm_window);
                change.ticket_entrance = Some(seats::ticket_entrance(&change.ride));
                window = confirm_window.to_std().ok();
                set_change_status(order, index, TicketStatus::ChangeHeld);
            }
        }
        Some(Notice::change(order, &order.changes[index], now))
    });
    if let Some(window) = window {
        let (order_no, cha_no) = (order_no.to_owned(), cha_no.to_owned());
        state.after(window, move |state| {
            expire_change(state, &order_no, &cha_no);
        });
    }
}

/// The confirmation window closed on a held change.
fn expire_change(state: &Arc<SimState>, order_no: &str, cha_no: &str) {
    let now = state.provider_now();
    with_change(state, order_no, cha_no, |book, order, index| {
        if order.changes[index].status != TicketStatus::ChangeHeld {
            return None;
        }
        let change = &mut order.changes[index];
        change.un_finished_reason = Some("超时未确认改签,已自动取消".into());
        release_new_seats(book, change);
        set_change_status(order, index, TicketStatus::ChangeCancelled);
        Some(Notice::change(order, &order.changes[index], now))
    });
}

fn confirm_change(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<bool, Failure> {
    let order_no = params.required_str("orderNo")?;
    let cha_no = params.required_str("chaNo")?;
    let pay_amount = params.optional_amount("payAmount")?;
    let sign = params.required_str("sign")?;
    let now = state.provider_now();
    let mut outcome = Ok(true);
    let mut issue = false;
    let mut expired = false;
    {
        let mut book = state.book();
        let sequence = book.next_sequence();
        let order = book
            .orders
            .get_mut(order_no)
            .ok_or_else(|| order_not_found(order_no))?;
        let change = order
            .change(cha_no)
            .ok_or_else(|| change_not_found(cha_no))?;
        if !sign_matches(&state.config.secret_key, cha_no, pay_amount.as_ref(), sign) {
            return Err(Failure("签名校验失败".into()));
        }
        if change.status != TicketStatus::ChangeHeld {
            return Err(Failure(format!(
                "只有改签占位成功状态下才允许确认改签,当前改签单状态为:{}",
                change.status.name()
            )));
        }
        let need = change.price.as_ref().map_or(0, |price| price.need_pay_fen);
        if change.confirm_limit_time.is_some_and(|limit| now > limit) {
            expired = true;
            outcome = Err(Failure("改签单已超过确认时限,已自动取消".into()));
        } else if pay_amount
            .as_ref()
            .is_some_and(|amount| amount.fen != i64::from(need))
        {
            return Err(Failure(format!(
                "支付金额与改签待支付金额不一致,待支付金额:{}",
                yuan2(need)
            )));
        } else {
            let index = order
                .changes
                .iter()
                .position(|change| change.cha_no == cha_no)
                .expect("found above");
            if need > 0 {
                order.changes[index].pay = Some(Payment {
                    amount_fen: need,
                    at: now,
                    transaction_no: seats::transaction_no(now, sequence),
                });
            }
            set_change_status(order, index, TicketStatus::ChangeIssuing);
            issue = true;
        }
    }
    if expired {
        expire_change(state, order_no, cha_no);
    }
    if issue {
        with_change(state, order_no, cha_no, |_, order, index| {
            Some(Notice::change(order, &order.changes[index], now))
        });
        let (order_no, cha_no) = (order_no.to_owned(), cha_no.to_owned());
        state.after(state.config.issue_delay, move |state| {
            complete_change_issue(state, &order_no, &cha_no);
        });
    }
    outcome
}

/// The change's issuing result, `issue_delay` after confirmChange.
fn complete_change_issue(state: &Arc<SimState>, order_no: &str, cha_no: &str) {
    let now = state.provider_now();
    with_change(state, order_no, cha_no, |book, order, index| {
        if order.changes[index].status != TicketStatus::ChangeIssuing {
            return None;
        }
        let fails = state
            .take_fault(|fault| *fault == Fault::FailNextChangeIssue)
            .is_some();
        let sequence = book.next_sequence();
        let transaction_no = seats::transaction_no(now, sequence);
        let change = &mut order.changes[index];
        if fails {
            change.un_finished_reason = Some("改签确认出票失败:12306出票异常".into());
            // 改签失败已支付改签金额退款.
            change.refund = change.pay.as_ref().map(|pay| {
                let refund = Payment {
                    amount_fen: pay.amount_fen,
                    at: now,
                    transaction_no: transaction_no.clone(),
                };
                (1, refund)
            });
            release_new_seats(book, change);
            set_change_status(order, index, TicketStatus::ChangeIssueFailed);
        } else {
            // 低改退差价 (2) or 高改退原票款 (3).
            let price = change.price.clone();
            change.refund = price
                .filter(|price| price.total_price_diff_fen > 0)
                .map(|price| {
                    let kind = if price.kind == 1 { 3 } else { 2 };
                    let refund = Payment {
                        amount_fen: price.total_price_diff_fen,
                        at: now,
                        transaction_no: transaction_no.clone(),
                    };
                    (kind, refund)
                });
            let originals = change.originals.clone();
            let ride = order.ride.clone();
            for original in originals {
                book.hold_inventory(&ride, &mut order.tickets[original], false);
            }
            set_change_status(order, index, TicketStatus::Changed);
        }
        Some(Notice::change(order, &order.changes[index], now))
    });
}

fn cancel_change(
    state: &Arc<SimState>,
    _timetable: &'static Timetable,
    params: &Params,
) -> Result<bool, Failure> {
    let cha_no = params.required_str("chaNo")?;
    params.required_str("remark")?;
    let order_no = state
        .book()
        .by_cha_no
        .get(cha_no)
        .cloned()
        .ok_or_else(|| change_not_found(cha_no))?;
    let now = state.provider_now();
    let mut outcome = Err(change_not_found(cha_no));
    with_change(state, &order_no, cha_no, |book, order, index| {
        let change = &mut order.changes[index];
        if !matches!(
            change.status,
            TicketStatus::Changing | TicketStatus::ChangeHeld
        ) {
            outcome = Err(Failure(format!(
                "只有占位中和占位成功状态下才允许取消操作,当前订单状态为:{}",
                change.status.name()
            )));
            return None;
        }
        change.un_finished_reason = Some("已取消改签申请".into());
        release_new_seats(book, change);
        set_change_status(order, index, TicketStatus::ChangeCancelled);
        outcome = Ok(true);
        Some(Notice::change(order, &order.changes[index], now))
    });
    outcome
}

#[cfg(test)]
mod tests;
