//! 创单占座 (createOrder) and the seat hold that follows it.
//!
//! The request is checked at once (parameters, the ride against the
//! timetable, duplicate customerOrderNo) and answers `{orderNo}` with the
//! order in 占位中 (1). After `hold_delay` the hold decides, as 12306 would:
//! 占位成功 (2) with seats, ticket numbers and the payment window, or
//! 占位失败 (3) with unFinishedReason (sold out, identity not verified, too
//! close to departure, 12306 account not logged in, or a scripted fault).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::TimeDelta;
use serde::Serialize;

use super::callbacks::Notice;
use super::model::{
    Order, OrderBook, OrderStatus, Passenger, RefundInfo, Ride, SeatChoice, Ticket, TicketStatus,
};
use super::validate::{self, MAX_PASSENGERS};
use super::{Fault, available, money, respond, seats};
use crate::fares::{Berth, SeatClass};
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::wire::{Failure, seat_code};
use crate::timetable::Timetable;

/// 12306 stops selling this close to departure (a hold then fails).
pub const SALE_CUTOFF: TimeDelta = TimeDelta::minutes(5);

/// `data` of createOrder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderData {
    pub order_no: String,
}

pub(super) async fn handler(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(state, headers, body, create_order).await
}

fn create_order(
    state: &Arc<SimState>,
    timetable: &'static Timetable,
    params: &Params,
) -> Result<CreateOrderData, Failure> {
    // Duplicates first: a retry is recognised whatever else changed since.
    let customer_order_no = params.optional_str("customerOrderNo")?.map(str::to_owned);
    if let Some(customer_order_no) = &customer_order_no {
        let mut book = state.book();
        *book
            .create_requests
            .entry(customer_order_no.clone())
            .or_default() += 1;
        check_duplicate(&book, customer_order_no)?;
    }
    let contact_name = params.required_str("contactName")?.to_owned();
    let contact_mobile = params.required_str("contactMobile")?.to_owned();
    validate::check_mobile(params, "contactMobile", &contact_mobile)?;
    let ride = validate::ride(state, timetable, params)?;
    let train_account = params.required_str("trainAccount")?.to_owned();
    params.required_str("trainPassword")?;
    let call_back_url = validate::callback_url(params, "callBackUrl")?;
    let refund_callback_url = validate::callback_url(params, "refundTicketCallbackUrl")?;
    let entries = params.required_objects("passengers")?;
    if entries.len() > MAX_PASSENGERS {
        return Err(Failure(format!(
            "一单最多下{MAX_PASSENGERS}人,当前{}人",
            entries.len()
        )));
    }
    let passengers = entries
        .iter()
        .map(|entry| validate::passenger(entry, &ride))
        .collect::<Result<Vec<_>, _>>()?;
    let classes: Vec<SeatClass> = passengers.iter().map(|p| p.seat).collect();
    let (choice, letters) = validate::seat_choice(
        params,
        &ride,
        &classes,
        state.config().choose_sleeper_required,
    )?;

    let now = state.provider_now();
    let order_no = {
        let mut book = state.book();
        if let Some(customer_order_no) = &customer_order_no {
            check_duplicate(&book, customer_order_no)?;
        }
        let order_no = new_order_no(&mut book, now);
        let mut tickets = Vec::with_capacity(passengers.len());
        for (passenger, letter) in passengers.into_iter().zip(letters) {
            book.next_passenger_id += 1;
            let price =
                money::ticket_price(ride.full_price(passenger.seat, None), passenger.ticket_type);
            tickets.push(Ticket {
                passenger: Passenger {
                    passenger_id: 10_000 + book.next_passenger_id,
                    name: passenger.name,
                    card_type: passenger.card_type,
                    card_no: passenger.card_no,
                    mobile: passenger.mobile,
                    ticket_type: passenger.ticket_type,
                },
                requested: passenger.seat,
                seat: passenger.seat,
                berth: None,
                chosen_letter: letter,
                ticket_no: None,
                seat_no: None,
                status: TicketStatus::Holding,
                price_fen: price,
                refund: RefundInfo::default(),
                holds_inventory: false,
            });
        }
        let order = Order {
            order_no: order_no.clone(),
            customer_order_no: customer_order_no.clone(),
            contact_name,
            contact_mobile,
            ride,
            choice,
            status: OrderStatus::Holding,
            service_fee_per_ticket_fen: state.config.service_fee_per_ticket_fen,
            order_no_12306: None,
            pay: None,
            ticket_time: None,
            issue_fail_refund: None,
            pay_limit_time: None,
            un_finished_reason: None,
            ticket_entrance: None,
            create_time: now,
            call_back_url,
            refund_callback_url,
            train_account,
            tickets,
            changes: Vec::new(),
        };
        if let Some(customer_order_no) = customer_order_no {
            book.by_customer_no
                .insert(customer_order_no, order_no.clone());
        }
        book.orders.insert(order_no.clone(), order);
        order_no
    };
    tracing::debug!(%order_no, "panhe sim order created");
    let hold_order = order_no.clone();
    state.after(state.config.hold_delay, move |state| {
        complete_hold(state, &hold_order);
    });
    Ok(CreateOrderData { order_no })
}

fn check_duplicate(book: &OrderBook, customer_order_no: &str) -> Result<(), Failure> {
    match book.by_customer_no.get(customer_order_no) {
        Some(order_no) => Err(Failure(format!(
            "重复下单:商户订单号{customer_order_no}已存在,订单号{order_no}"
        ))),
        None => Ok(()),
    }
}

/// `T` + creation time to the second + five digits, like the seed's
/// `T24012512251820419` (created 2024-01-25 12:25:18).
fn new_order_no(book: &mut OrderBook, now: chrono::NaiveDateTime) -> String {
    loop {
        let sequence = book.next_sequence();
        let order_no = format!("T{}{:05}", now.format("%y%m%d%H%M%S"), sequence % 100_000);
        if !book.orders.contains_key(&order_no) {
            return order_no;
        }
    }
}

/// Why a hold fails, if it does: a scripted fault, then the request-data
/// triggers, then the time left, then availability. On success, the class
/// each ticket is sold in (无座 for passengers who accepted standing when
/// their class ran short).
pub(super) fn hold_outcome(
    book: &OrderBook,
    ride: &Ride,
    choice: &SeatChoice,
    tickets: &[Ticket],
    account: Option<&str>,
    now: chrono::NaiveDateTime,
    scripted: Option<String>,
) -> Result<Vec<SeatClass>, String> {
    if let Some(reason) = scripted {
        return Err(reason);
    }
    if account.is_some_and(|account| account.contains("未登录")) {
        return Err("12306账号未登录,请先完成12306账号登录".into());
    }
    if let Some(index) = tickets
        .iter()
        .position(|ticket| ticket.passenger.name.contains("未核验"))
    {
        return Err(format!(
            "第{}位乘客身份信息未通过核验,请先在12306完成核验",
            index + 1
        ));
    }
    if ride.depart - now < SALE_CUTOFF {
        return Err("距离发车时间太近,已停止售票".into());
    }
    // Classes in passenger order, so the first short class is reported.
    let mut wanted: Vec<(SeatClass, u32)> = Vec::new();
    for ticket in tickets {
        match wanted
            .iter_mut()
            .find(|(seat, _)| *seat == ticket.requested)
        {
            Some((_, count)) => *count += 1,
            None => wanted.push((ticket.requested, 1)),
        }
    }
    let mut sold_as: Vec<SeatClass> = tickets.iter().map(|ticket| ticket.requested).collect();
    let mut standing = 0;
    for &(seat, count) in &wanted {
        let left = available(book, ride, seat);
        if left >= count {
            continue;
        }
        let can_stand =
            choice.accept_standing && seat.berths().is_empty() && seat != SeatClass::NoSeat;
        let (_, name) = seat_code(seat);
        if !can_stand {
            return Err(if left == 0 {
                format!("{name}已售完,占座失败")
            } else {
                format!("{name}余票不足,占座失败(余票{left}张)")
            });
        }
        // The last passengers of the class stand.
        let mut short = count - left;
        standing += short;
        for (index, ticket) in tickets.iter().enumerate().rev() {
            if short == 0 {
                break;
            }
            if ticket.requested == seat {
                sold_as[index] = SeatClass::NoSeat;
                short -= 1;
            }
        }
    }
    if standing > 0 && available(book, ride, SeatClass::NoSeat) < standing {
        return Err("余票不足,占座失败(无座余票不足)".into());
    }
    Ok(sold_as)
}

/// Berths: chooseSleeper's lower, middle and upper counts first, in
/// passenger order; then upper, middle, lower in turn.
pub(super) fn assign_berths(tickets: &mut [Ticket], sleepers: [u32; 3]) {
    let mut wanted = sleepers;
    for (index, ticket) in tickets.iter_mut().enumerate() {
        let tiers = ticket.seat.berths();
        if tiers.is_empty() {
            ticket.berth = None;
            continue;
        }
        let order = [Berth::Lower, Berth::Middle, Berth::Upper];
        let chosen = (0..3).find(|&tier| wanted[tier] > 0 && tiers.contains(&order[tier]));
        ticket.berth = Some(match chosen {
            Some(tier) => {
                wanted[tier] -= 1;
                order[tier]
            }
            None => tiers[index % tiers.len()],
        });
    }
}

/// The hold's result, `hold_delay` after createOrder.
fn complete_hold(state: &Arc<SimState>, order_no: &str) {
    let now = state.provider_now();
    let mut book = state.book();
    let Some(mut order) = book.orders.remove(order_no) else {
        return;
    };
    if order.status != OrderStatus::Holding {
        book.orders.insert(order_no.to_owned(), order);
        return;
    }
    let scripted = state
        .take_fault(|fault| matches!(fault, Fault::FailNextHold(_)))
        .map(|fault| match fault {
            Fault::FailNextHold(reason) => reason,
            _ => unreachable!("filtered to FailNextHold"),
        });
    let scripted = scripted.or_else(|| state.login_refusal(&order.train_account));
    let outcome = hold_outcome(
        &book,
        &order.ride,
        &order.choice,
        &order.tickets,
        Some(&order.train_account),
        now,
        scripted,
    );
    let mut window = None;
    match outcome {
        Err(reason) => {
            tracing::debug!(%order_no, %reason, "panhe sim hold failed");
            order.set_status(OrderStatus::HoldFailed);
            order.un_finished_reason = Some(reason);
        }
        Ok(sold_as) => {
            for (ticket, seat) in order.tickets.iter_mut().zip(sold_as) {
                ticket.seat = seat;
            }
            assign_berths(&mut order.tickets, order.choice.sleepers);
            let order_no_12306 = seats::order_no_12306(&order.order_no);
            for ticket in &mut order.tickets {
                let full = order.ride.full_price(ticket.seat, ticket.berth);
                ticket.price_fen = money::ticket_price(full, ticket.passenger.ticket_type);
                seats::assign_seat(&mut book, &order.ride, ticket, &order_no_12306, 1);
                book.hold_inventory(&order.ride, ticket, true);
            }
            let pay_window = payment_window(order.ride.depart - now);
            order.order_no_12306 = Some(order_no_12306);
            order.ticket_entrance = Some(seats::ticket_entrance(&order.ride));
            order.pay_limit_time = Some(now + pay_window);
            order.set_status(OrderStatus::Held);
            window = Some(pay_window);
        }
    }
    let notice = Notice::order(&order, now);
    book.orders.insert(order_no.to_owned(), order);
    drop(book);
    state.notify(vec![notice]);
    if let Some(window) = window {
        let expiring = order_no.to_owned();
        let window = window.to_std().unwrap_or(Duration::ZERO);
        state.after(window, move |state| {
            super::pay::expire_payment(state, &expiring);
        });
    }
}

/// The seed's payment window: 10 minutes, or 2 for a train leaving within
/// 30 minutes (also the window to confirm a held change).
pub(super) fn payment_window(until_departure: TimeDelta) -> TimeDelta {
    if until_departure < TimeDelta::minutes(30) {
        TimeDelta::minutes(2)
    } else {
        TimeDelta::minutes(10)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::panhe::orders::testkit::*;

    #[tokio::test]
    async fn holds_seats_after_the_delay() {
        let sim = Sim::start(60.0).await;
        let order_no = sim.create(sim.order_body(&["张三", "李四"])).await;
        let detail = sim.detail(&order_no).await;
        assert_eq!(detail["orderStatus"], json!(1));
        assert_eq!(detail["orderStatusName"], json!("占位中"));
        assert_eq!(detail["orderAmount"], json!(null));
        assert_eq!(detail["trainTickets"][0]["ticketNo"], json!(null));
        let held = sim.wait_status(&order_no, 2).await;
        let tickets = held["trainTickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 2);
        for ticket in tickets {
            assert_eq!(ticket["ticketStatus"], json!(2));
            let ticket_no = ticket["ticketNo"].as_str().unwrap();
            assert!(ticket_no.starts_with(held["orderNo12306"].as_str().unwrap()));
            assert!(ticket["seatNo"].as_str().unwrap().contains("车厢,"));
        }
        let ticket_amount = held["ticketAmount"].as_f64().unwrap();
        assert_eq!(held["serviceFeePerTicket"], json!(2.5));
        assert_eq!(held["serviceFeeAmount"], json!(5.0));
        assert_eq!(held["orderAmount"].as_f64().unwrap(), ticket_amount + 5.0);
        // Departure is days away: a 10 minute window from the hold.
        let created = parse_time(&held["createTime"]);
        let limit = parse_time(&held["payLimitTime"]);
        let window = limit - created;
        assert!(window >= TimeDelta::minutes(10), "{window}");
        assert!(window < TimeDelta::minutes(12), "{window}");
    }

    #[tokio::test]
    async fn sales_count_against_the_remaining_tickets() {
        let sim = Sim::start(60.0).await;
        let before = sim.left_tickets().await;
        let order_no = sim.create(sim.order_body(&["张三", "李四"])).await;
        sim.wait_status(&order_no, 2).await;
        assert_eq!(sim.left_tickets().await, before - 2);
        sim.call("cancel_order", json!({"orderNo": order_no})).await;
        assert_eq!(sim.left_tickets().await, before);
    }

    #[tokio::test]
    async fn duplicate_customer_order_numbers_are_refused() {
        let sim = Sim::start(60.0).await;
        let body = sim.order_body(&["张三"]);
        let order_no = sim.create(body.clone()).await;
        let reply = sim.call("create_order", body.clone()).await;
        assert_failure(&reply, "重复下单");
        assert!(reply["msg"].as_str().unwrap().contains(&order_no));
        let customer_order_no = body["customerOrderNo"].as_str().unwrap();
        assert_eq!(sim.state.create_requests(customer_order_no), 2);
        assert_eq!(sim.state.order_count(), 1);
        let found = sim.state.order_by_customer_no(customer_order_no).unwrap();
        assert_eq!(found.order_no, order_no);
    }

    #[tokio::test]
    async fn parameters_are_checked_as_the_seed_documents() {
        let sim = Sim::start(60.0).await;
        let valid = sim.order_body(&["张三"]);
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("contactName", json!(null), "参数contactName不能为空"),
            ("contactMobile", json!("12345"), "参数contactMobile格式错误"),
            ("trainAccount", json!(""), "参数trainAccount不能为空"),
            ("trainPassword", json!(null), "参数trainPassword不能为空"),
            ("trainCode", json!("G99999"), "车次不存在"),
            ("fromStation", json!("北平"), "出发站不存在"),
            (
                "fromDateTime",
                json!("2026-05-03"),
                "参数fromDateTime格式错误",
            ),
            ("fromDateTime", json!("2026-05-03 07:11"), "与时刻表不符"),
            (
                "toDateTime",
                json!("2026-05-03 23:59"),
                "参数toDateTime与时刻表不符",
            ),
            ("callBackUrl", json!("ftp://x"), "参数callBackUrl格式错误"),
            ("chooseSleeper", json!("2x1"), "参数chooseSleeper格式错误"),
            ("chooseSleeper", json!("100"), "选铺数量超过卧铺乘客人数"),
            ("isChooseSeats", json!("maybe"), "参数isChooseSeats格式错误"),
            ("isChooseSeats", json!(null), "参数isChooseSeats不能为空"),
            ("passengers", json!([]), "参数passengers不能为空"),
        ];
        for (field, value, needle) in cases {
            let mut body = valid.clone();
            body[field] = value;
            body["customerOrderNo"] = json!(format!("bad-{field}-{needle}"));
            assert_failure(&sim.call("create_order", body).await, needle);
        }
        // Both are 是 (required) in the seed's table; chooseSleeper may be
        // empty ("不选:空或000") but must be there.
        for field in ["isChooseSeats", "chooseSleeper"] {
            let mut body = valid.clone();
            body.as_object_mut().unwrap().remove(field);
            body["customerOrderNo"] = json!(format!("without-{field}"));
            assert_failure(
                &sim.call("create_order", body).await,
                &format!("参数{field}不能为空"),
            );
        }
        let mut empty_sleeper = valid.clone();
        empty_sleeper["chooseSleeper"] = json!("");
        empty_sleeper["customerOrderNo"] = json!("empty-sleeper");
        let reply = sim.call("create_order", empty_sleeper).await;
        assert_eq!(reply["success"], json!(true), "{reply}");
        let passenger_cases: Vec<(&str, serde_json::Value, &str)> = vec![
            ("name", json!(""), "参数passengers[0].name不能为空"),
            ("cardType", json!(5), "不支持的证件类型"),
            ("cardNo", json!("110105194912310021"), "证件号码校验不通过"),
            (
                "mobile",
                json!("1875468321"),
                "参数passengers[0].mobile格式错误",
            ),
            ("ticketType", json!(9), "不支持的票种"),
            ("seatType", json!(42), "不支持的席别"),
            ("seatType", json!(8), "不售硬卧"),
        ];
        for (field, value, needle) in passenger_cases {
            let mut body = valid.clone();
            body["passengers"][0][field] = value;
            assert_failure(&sim.call("create_order", body).await, needle);
        }
        // Passports need birthday, sex and country (the seed's table).
        let mut body = valid.clone();
        body["passengers"][0]["cardType"] = json!(2);
        body["passengers"][0]["cardNo"] = json!("E12345678");
        assert_failure(
            &sim.call("create_order", body.clone()).await,
            "参数passengers[0].birthday不能为空(证件类型为护照时必填)",
        );
        body["passengers"][0]["birthday"] = json!("1990-01-02");
        body["passengers"][0]["sex"] = json!(1);
        assert_failure(&sim.call("create_order", body.clone()).await, "countryCode");
        body["passengers"][0]["countryCode"] = json!("CN");
        sim.create(body).await;
        // This one and the one with an empty chooseSleeper.
        assert_eq!(sim.state.order_count(), 2);
    }

    #[tokio::test]
    async fn at_most_nine_passengers() {
        let sim = Sim::start(60.0).await;
        let names: Vec<String> = (0..10).map(|i| format!("乘客{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let reply = sim.call("create_order", sim.order_body(&names)).await;
        assert_failure(&reply, "一单最多下9人");
        sim.create(sim.order_body(&names[..9])).await;
    }

    #[tokio::test]
    async fn seat_choice_is_checked_and_honoured() {
        let sim = Sim::start(60.0).await;
        let mut body = sim.order_body(&["张三", "李四"]);
        body["isChooseSeats"] = json!(true);
        assert_failure(
            &sim.call("create_order", body.clone()).await,
            "参数chooseSeats不能为空",
        );
        body["chooseSeats"] = json!("1A");
        assert_failure(
            &sim.call("create_order", body.clone()).await,
            "与乘客人数2不一致",
        );
        body["chooseSeats"] = json!("1A1E");
        assert_failure(&sim.call("create_order", body.clone()).await, "没有E座");
        body["chooseSeats"] = json!("1F1D");
        let order_no = sim.create(body).await;
        let held = sim.wait_status(&order_no, 2).await;
        let seat_nos: Vec<&str> = held["trainTickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ticket| ticket["seatNo"].as_str().unwrap())
            .collect();
        assert!(seat_nos[0].ends_with("F座"), "{seat_nos:?}");
        assert!(seat_nos[1].ends_with("D座"), "{seat_nos:?}");
    }

    #[tokio::test]
    async fn the_train_must_not_have_left() {
        let sim = Sim::start(60.0).await;
        let ride = sim.ride_leaving_in(TimeDelta::minutes(-20));
        let reply = sim
            .call("create_order", sim.order_body_on(&ride, &["张三"]))
            .await;
        assert_failure(&reply, "出发日期时间已过");
    }

    #[test]
    fn berths_follow_choose_sleeper_then_rotate() {
        let mut tickets: Vec<Ticket> = (0..4)
            .map(|_| plain_ticket(SeatClass::HardSleeper))
            .collect();
        assign_berths(&mut tickets, [1, 0, 2]);
        let berths: Vec<Option<Berth>> = tickets.iter().map(|t| t.berth).collect();
        assert_eq!(
            berths,
            [
                Some(Berth::Lower),
                Some(Berth::Upper),
                Some(Berth::Upper),
                Some(Berth::Upper)
            ]
        );
        let mut soft: Vec<Ticket> = (0..2)
            .map(|_| plain_ticket(SeatClass::SoftSleeper))
            .collect();
        assign_berths(&mut soft, [0, 2, 0]);
        // No middle berths in a soft sleeper: assigned in turn.
        assert_eq!(soft[0].berth, Some(Berth::Upper));
        assert_eq!(soft[1].berth, Some(Berth::Lower));
    }

    #[test]
    fn payment_window_is_two_minutes_within_30_minutes_of_departure() {
        assert_eq!(payment_window(TimeDelta::hours(3)), TimeDelta::minutes(10));
        assert_eq!(
            payment_window(TimeDelta::minutes(30)),
            TimeDelta::minutes(10)
        );
        assert_eq!(
            payment_window(TimeDelta::minutes(29)),
            TimeDelta::minutes(2)
        );
    }
}
