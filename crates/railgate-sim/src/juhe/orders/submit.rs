//! submitOrder.php (创建抢票单): the request is checked against its search
//! (`queryKey`) and the seed's rules, and answers `{orderNo, outOrderNo}`
//! with the order in N; `grab` takes it from there.
//!
//! Refusals, in the order they are checked:
//! - 225701 `站站查询结果已过期,请重新查询`: an unknown or expired queryKey;
//!   `抢票单目前暂不支持学生票和残军票` for a 学生票 search;
//! - 225704 / 225703: outOrderNo (6–32 letters and digits, unused);
//! - 225704: ticketModel, and accountNo/accountPwd in self-purchase mode;
//! - 225701 `车次号无效`: a train the search did not list; `抢票单乘客数,车次
//!   数,坐席数超过配置上限` beyond 5 trains, 5 seat classes or 5 passengers;
//! - 225704: a seat code not in the dictionary, a main train or seat not
//!   among those listed, stations or departDate unlike the search's;
//! - 225701 `坐席无效`: a seat class no listed train sells (or the main
//!   train not selling the main seat);
//! - 225701 `距离发车时间太近,无法执行此操作`: a listed train leaving within
//!   3 hours (the seed: 距离发车时间太近无法抢票);
//! - 225704: closeTime (after now, not after the main train leaves),
//!   acceptNoSeat, contact, passengers (a JSON array of 1–5);
//! - 225701 `抢票单目前暂不支持学生票和残军票` for passengerType 3 or 4.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use serde::Serialize;
use serde_json::Value;

use super::model::{Candidate, Contact, Order, Passenger, Query, Ride, Ticket};
use crate::fares::rules::ticket_price;
use crate::identity::id18_is_valid;
use crate::juhe::SimState;
use crate::juhe::codes::{
    OrderStatus, SeatCode, SubmitIdNumbering, TicketState, id_type_of_submit,
};
use crate::juhe::params::{Params, parse_date, parse_datetime};
use crate::juhe::wire::{self, Envelope, Failure};

/// Most passengers, trains and seat classes in one grab order (the seed:
/// 抢票单目前最多支持五名乘客; trains and classes are the simulator's limit).
pub const MAX_PASSENGERS: usize = 5;
pub const MAX_TRAINS: usize = 5;
pub const MAX_SEAT_CLASSES: usize = 5;

/// No grab order for a train leaving sooner than this.
pub const MIN_LEAD: TimeDelta = TimeDelta::hours(3);

const TOO_MANY: &str = "抢票单乘客数,车次数,坐席数超过配置上限";
const NO_STUDENTS: &str = "抢票单目前暂不支持学生票和残军票";

/// `result` of submitOrder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitResult {
    pub order_no: String,
    pub out_order_no: String,
}

pub(in crate::juhe) fn submit_order(
    state: &Arc<SimState>,
    params: &Params,
) -> Result<Response, Failure> {
    let query_key = params.required("queryKey")?;
    let query = state
        .query(query_key)
        .ok_or_else(|| Failure::supplier("站站查询结果已过期,请重新查询"))?;
    if query.student {
        return Err(Failure::supplier(NO_STUDENTS));
    }
    let out_order_no = params.required("outOrderNo")?;
    let well_formed = (6..=32).contains(&out_order_no.len())
        && out_order_no.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(Failure::parameter(
            "outOrderNo格式错误,应为6-32位数字英文字母组合",
        ));
    }
    check_unused(state, out_order_no)?;
    let account = account(params)?;
    let now = state.provider_now();
    let (rides, train_nos) = rides(params, &query)?;
    let seat_codes = seat_codes(params)?;
    let main_ride = main_ride(params, &rides)?;
    let main_seat = main_seat(params, &seat_codes)?;
    check_stations(params, &rides[main_ride])?;
    check_depart_date(params, &rides[main_ride], rides.len(), seat_codes.len())?;
    let candidates = candidates(&rides, main_ride, &seat_codes, main_seat)?;
    if let Some(ride) = rides.iter().find(|ride| ride.depart - now < MIN_LEAD) {
        return Err(Failure::supplier(format!(
            "距离发车时间太近,无法执行此操作:{}于{}发车,抢票单须在发车前3小时以上创建",
            ride.train_code,
            ride.depart.format("%Y-%m-%d %H:%M")
        )));
    }
    let close_time = params.required_datetime("closeTime")?;
    if close_time <= now {
        return Err(Failure::parameter("closeTime必须晚于当前时间"));
    }
    if close_time > rides[main_ride].depart {
        return Err(Failure::parameter("closeTime不能晚于主车次发车时间"));
    }
    let accept_no_seat = match params.required("acceptNoSeat")? {
        "0" => false,
        "1" => true,
        _ => return Err(Failure::parameter("acceptNoSeat格式错误,应为0或1")),
    };
    let contact = contact(params)?;
    let passengers = passengers(params, state.config.submit_id_numbering)?;

    let main = candidates[0];
    let passenger_count = passengers.len() as u32;
    let order_no = {
        let mut book = state.book();
        // Checked again under the lock: two submits may race.
        if book.orders.contains_key(out_order_no) {
            return Err(Failure::code(wire::ORDER_EXISTS));
        }
        let sequence = book.next_sequence();
        let order_no = order_no(now, sequence, out_order_no);
        let tickets = passengers
            .into_iter()
            .map(|mut passenger| {
                book.next_passenger_id += 1;
                passenger.passenger_id = 600_000_000 + book.next_passenger_id;
                let full = rides[main.ride]
                    .full_price(main.seat, main.berth)
                    .unwrap_or(0);
                Ticket {
                    price_fen: ticket_price(full, i64::from(passenger.passenger_type)),
                    passenger,
                    state: TicketState::NotIssued,
                    sold: None,
                    refund: None,
                    holds_inventory: false,
                }
            })
            .collect();
        let order = Order {
            order_no: order_no.clone(),
            out_order_no: out_order_no.to_owned(),
            rides,
            train_nos,
            seat_codes,
            main_ride,
            main_seat,
            candidates,
            accept_no_seat,
            account,
            contact,
            service_fee_fen: state.config.service_fee_per_ticket_fen * passenger_count,
            close_time,
            created_at: now,
            status: OrderStatus::Created,
            waiting_since: None,
            next_attempt: None,
            booked_ride: None,
            ticket_no: None,
            issued_at: None,
            failure: None,
            tickets,
        };
        book.orders.insert(out_order_no.to_owned(), order);
        order_no
    };
    tracing::debug!(%order_no, "juhe sim grab order created");
    state.drive(out_order_no.to_owned());
    if let Some(failure) = state.take_created_then_failed() {
        return Err(failure);
    }
    Ok(Envelope::ok(SubmitResult {
        order_no,
        out_order_no: out_order_no.to_owned(),
    })
    .into_response())
}

fn check_unused(state: &SimState, out_order_no: &str) -> Result<(), Failure> {
    if state.book().orders.contains_key(out_order_no) {
        Err(Failure::code(wire::ORDER_EXISTS))
    } else {
        Ok(())
    }
}

/// `TFT` + 24 uppercase letters and digits, like the seed's
/// `TFT583U752U210D284004800356`: creation time, then a hash.
fn order_no(now: chrono::NaiveDateTime, sequence: u64, out_order_no: &str) -> String {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write_u64(sequence);
    hasher.write(out_order_no.as_bytes());
    format!(
        "TFT{}{:012X}",
        now.format("%y%m%d%H%M%S"),
        hasher.finish() & 0xFFFF_FFFF_FFFF
    )
}

/// ticketModel 0 (代购, the default) or 1 (自购: the passenger's own 12306
/// account, which needs accountNo and accountPwd).
fn account(params: &Params) -> Result<Option<String>, Failure> {
    match params.optional_int("ticketModel")?.unwrap_or(0) {
        0 => Ok(None),
        1 => {
            let account = params.required("accountNo")?;
            params.required("accountPwd")?;
            Ok(Some(account.to_owned()))
        }
        other => Err(Failure::parameter(format!(
            "ticketModel格式错误,应为0或1:{other}"
        ))),
    }
}

/// The `|`-separated parts of a parameter, trimmed, none empty.
fn parts<'a>(params: &'a Params, name: &str) -> Result<Vec<&'a str>, Failure> {
    let parts: Vec<&str> = params.required(name)?.split('|').map(str::trim).collect();
    if parts.iter().any(|part| part.is_empty()) {
        return Err(Failure::parameter(format!(
            "{name}格式错误,多个值请用|隔开"
        )));
    }
    Ok(parts)
}

/// The listed trains, each as the search found it.
fn rides(params: &Params, query: &Query) -> Result<(Vec<Ride>, String), Failure> {
    let codes = parts(params, "trainNo")?;
    if codes.len() > MAX_TRAINS {
        return Err(Failure::supplier(format!(
            "{TOO_MANY}:最多{MAX_TRAINS}个车次"
        )));
    }
    let mut rides: Vec<Ride> = Vec::with_capacity(codes.len());
    for code in &codes {
        let ride = query
            .rides
            .iter()
            .find(|ride| ride.train_code.eq_ignore_ascii_case(code))
            .ok_or_else(|| Failure::supplier(format!("车次号无效:{code}")))?;
        if rides.iter().any(|kept| kept.train_no == ride.train_no) {
            return Err(Failure::parameter(format!("trainNo重复:{code}")));
        }
        rides.push(ride.clone());
    }
    let train_nos = rides
        .iter()
        .map(|ride| ride.train_code.as_str())
        .collect::<Vec<_>>()
        .join("|");
    Ok((rides, train_nos))
}

fn seat_codes(params: &Params) -> Result<Vec<SeatCode>, Failure> {
    let texts = parts(params, "seatClassCode")?;
    if texts.len() > MAX_SEAT_CLASSES {
        return Err(Failure::supplier(format!(
            "{TOO_MANY}:最多{MAX_SEAT_CLASSES}个坐席"
        )));
    }
    let mut codes: Vec<SeatCode> = Vec::with_capacity(texts.len());
    for text in texts {
        let code = SeatCode::parse(text).ok_or_else(|| {
            Failure::parameter(format!("seatClassCode格式错误,不支持的坐席:{text}"))
        })?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

fn main_ride(params: &Params, rides: &[Ride]) -> Result<usize, Failure> {
    let code = params.required("mainTrainNo")?;
    rides
        .iter()
        .position(|ride| ride.train_code.eq_ignore_ascii_case(code))
        .ok_or_else(|| Failure::parameter(format!("mainTrainNo必须是trainNo中的车次:{code}")))
}

fn main_seat(params: &Params, codes: &[SeatCode]) -> Result<SeatCode, Failure> {
    let text = params.required("mainSeatClass")?;
    SeatCode::parse(text)
        .filter(|code| codes.contains(code))
        .ok_or_else(|| {
            Failure::parameter(format!("mainSeatClass必须是seatClassCode中的坐席:{text}"))
        })
}

/// fromStation and toStation must be the main train's as search listed
/// them (seed 001: `请一定要与你站站查询的结果里面的对应车次的fromStation对应`),
/// which is not always the station searched for.
fn check_stations(params: &Params, main: &Ride) -> Result<(), Failure> {
    for (name, expected) in [
        ("fromStation", &main.from_station),
        ("toStation", &main.to_station),
    ] {
        let given = params.required(name)?;
        if given != expected.as_str() {
            return Err(Failure::parameter(format!(
                "{name}与站站查询结果不符:{}应为{expected}",
                main.train_code
            )));
        }
    }
    Ok(())
}

/// departDate, as seed 001 has it: `如果选择单车次或者多车次多坐席的时候要传主车次的
/// 具体发车时间 (2016-12-01 12:00)`, and the date (`2016-12-01`) otherwise
/// (several trains in one class).
fn check_depart_date(
    params: &Params,
    main: &Ride,
    trains: usize,
    classes: usize,
) -> Result<(), Failure> {
    let text = params.required("departDate")?;
    let wants_time = trains == 1 || classes > 1;
    let departure = main.depart.format("%Y-%m-%d %H:%M");
    match (wants_time, parse_date(text), parse_datetime(text)) {
        (true, _, Some(at)) if at == main.depart => Ok(()),
        (false, Some(date), _) if date == main.date => Ok(()),
        (true, Some(_), _) => Err(Failure::parameter(format!(
            "departDate格式错误:单车次或多车次多坐席须传主车次发车时间{departure}"
        ))),
        (false, _, Some(_)) => Err(Failure::parameter(format!(
            "departDate格式错误:多车次单坐席须传发车日期{}",
            main.date
        ))),
        (_, None, None) => Err(Failure::parameter(format!(
            "departDate格式错误,应为yyyy-MM-dd或yyyy-MM-dd HH:mm:{text}"
        ))),
        _ => Err(Failure::parameter(format!(
            "departDate与queryKey不一致:主车次{}于{departure}发车",
            main.train_code
        ))),
    }
}

/// Every (train, class) the order may take: the main pair first, then the
/// trains and classes in the order given. The main train must sell the
/// main class, and every class must be sold by some listed train.
fn candidates(
    rides: &[Ride],
    main_ride: usize,
    codes: &[SeatCode],
    main_seat: SeatCode,
) -> Result<Vec<Candidate>, Failure> {
    let candidate = |ride: usize, code: SeatCode| {
        code.on(&rides[ride].fares).map(|(seat, berth)| Candidate {
            ride,
            code,
            seat,
            berth,
        })
    };
    let main = candidate(main_ride, main_seat).ok_or_else(|| {
        Failure::supplier(format!(
            "坐席无效:主车次{}不售{}",
            rides[main_ride].train_code,
            main_seat_name(main_seat)
        ))
    })?;
    let mut all = vec![main];
    for code in codes {
        let mut sold_anywhere = false;
        for ride in 0..rides.len() {
            if let Some(found) = candidate(ride, *code) {
                sold_anywhere = true;
                if !all.contains(&found) {
                    all.push(found);
                }
            }
        }
        if !sold_anywhere {
            return Err(Failure::supplier(format!(
                "坐席无效:所选车次均不售{}",
                main_seat_name(*code)
            )));
        }
    }
    Ok(all)
}

fn main_seat_name(code: SeatCode) -> &'static str {
    crate::juhe::codes::SEAT_CLASS_CODES
        .iter()
        .find(|(text, _)| SeatCode::parse(text) == Some(code))
        .map_or("该坐席", |(_, name)| *name)
}

fn contact(params: &Params) -> Result<Contact, Failure> {
    let person = params.required("person")?;
    let cellphone = params.required("cellphone")?;
    let mobile = cellphone.len() == 11
        && cellphone.starts_with('1')
        && cellphone.bytes().all(|b| b.is_ascii_digit());
    if !mobile {
        return Err(Failure::parameter("cellphone格式错误,应为11位手机号"));
    }
    Ok(Contact {
        person: person.to_owned(),
        cellphone: cellphone.to_owned(),
        email: params.optional("email").unwrap_or_default().to_owned(),
    })
}

/// `passengers`: a JSON array (sent as a string) of 1–5 objects whose
/// values may be strings or numbers, as the seed's own example mixes them.
fn passengers(params: &Params, numbering: SubmitIdNumbering) -> Result<Vec<Passenger>, Failure> {
    let text = params.required("passengers")?;
    let malformed = || Failure::parameter("passengers格式错误,应为JSON数组");
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(text) else {
        return Err(malformed());
    };
    if entries.is_empty() {
        return Err(Failure::parameter("passengers不能为空"));
    }
    if entries.len() > MAX_PASSENGERS {
        return Err(Failure::supplier(format!(
            "{TOO_MANY}:抢票单目前最多支持五名乘客"
        )));
    }
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| passenger(index, entry, numbering))
        .collect()
}

fn passenger(
    index: usize,
    entry: &Value,
    numbering: SubmitIdNumbering,
) -> Result<Passenger, Failure> {
    let field = |name: &str| format!("passengers[{index}].{name}");
    let Value::Object(fields) = entry else {
        return Err(Failure::parameter(format!(
            "passengers[{index}]格式错误,应为对象"
        )));
    };
    let text = |name: &str| -> Option<String> {
        match fields.get(name)? {
            Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    };
    let required = |name: &str| {
        text(name).ok_or_else(|| Failure::parameter(format!("{}不能为空", field(name))))
    };
    let number = |name: &str, range: std::ops::RangeInclusive<i64>| {
        required(name)?
            .parse::<i64>()
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| Failure::parameter(format!("{}格式错误", field(name))))
    };
    let name = required("passengerName")?;
    let passenger_type = number("passengerType", 1..=4)?;
    if passenger_type >= 3 {
        return Err(Failure::supplier(NO_STUDENTS));
    }
    let id_type = id_type_of_submit(number("idCardType", 0..=4)?, numbering)
        .ok_or_else(|| Failure::parameter(format!("{}格式错误", field("idCardType"))))?;
    let id_no = required("idCardNo")?.to_ascii_uppercase();
    // 身份证 (idCardType 0, dictionary 1) carries a check digit; the
    // message never repeats the number.
    if id_type == 1 && !id18_is_valid(&id_no) {
        return Err(Failure::parameter(format!(
            "{}格式错误,证件号码校验不通过",
            field("idCardNo")
        )));
    }
    let birthday = text("birthday").unwrap_or_default();
    if !birthday.is_empty() && parse_date(&birthday).is_none() {
        return Err(Failure::parameter(format!(
            "{}格式错误,应为yyyy-MM-dd",
            field("birthday")
        )));
    }
    Ok(Passenger {
        passenger_id: 0,
        name,
        passenger_type: passenger_type as u8,
        id_type,
        id_no,
        birthday,
    })
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
