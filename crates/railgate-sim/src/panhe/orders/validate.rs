//! Parameter rules shared by 创单占座 and 申请改签: the ride (train, stations
//! and times must match the timetable), passengers (the seed's code tables,
//! the fields it requires per id type), seat and berth choice.
//!
//! Messages avoid the words railgate's classifier reads as other reasons
//! (`身份`, `车次`, `车站`) unless they mean them.

use chrono::{NaiveDate, TimeDelta};

use super::model::{self, CARD_TYPES, Ride, SeatChoice, TICKET_TYPES, code_name};
use super::seats::seat_letters;
use crate::fares::{self, Family, SeatClass};
pub use crate::identity::id18_is_valid;
use crate::panhe::SimState;
use crate::panhe::params::Params;
use crate::panhe::query::{clock, known_station};
use crate::panhe::wire::{Failure, seat_code};
use crate::timetable::{DAY_MINUTES, Segment, Timetable, normalize_name};

/// Most passengers in one order (seed: 一单最多下9人).
pub const MAX_PASSENGERS: usize = 9;

/// The ride named by trainCode, fromStation, toStation, fromDateTime and
/// toDateTime, which must match the timetable to the minute, lie in the
/// presale window and not have left yet.
pub fn ride(state: &SimState, timetable: &Timetable, params: &Params) -> Result<Ride, Failure> {
    let code = params.required_str("trainCode")?.to_ascii_uppercase();
    let from = normalize_name(params.required_str("fromStation")?);
    let to = normalize_name(params.required_str("toStation")?);
    let from_at = params.required_datetime("fromDateTime")?;
    let to_at = params.required_datetime("toDateTime")?;
    if !known_station(timetable, &from) {
        return Err(Failure(format!("出发站不存在:{from}")));
    }
    if !known_station(timetable, &to) {
        return Err(Failure(format!("到达站不存在:{to}")));
    }
    if from == to {
        return Err(Failure("出发站和到达站不能相同".into()));
    }
    let train = timetable
        .train_by_code(&code)
        .ok_or_else(|| Failure(format!("车次不存在:{code}")))?;
    let stops = &train.stops;
    let boarding = stops
        .iter()
        .enumerate()
        .filter(|(_, stop)| *stop.station_name == *from)
        .find_map(|(index, _)| {
            let later = stops[index + 1..]
                .iter()
                .position(|stop| *stop.station_name == *to)?;
            Some((index, index + 1 + later))
        });
    let Some((from_index, to_index)) = boarding else {
        if train.stop_index(&from).is_none() {
            return Err(Failure(format!("车次{code}不经停出发站:{from}")));
        }
        if train.stop_index(&to).is_none() {
            return Err(Failure(format!("车次{code}不经停到达站:{to}")));
        }
        return Err(Failure(format!("车次{code}不是从{from}开往{to}")));
    };
    let segment = Segment {
        train,
        from: from_index,
        to: to_index,
    };
    let date = from_at.date();
    state.check_presale(date)?;
    let depart = at_minutes(date, segment.depart());
    if from_at != depart {
        return Err(Failure(format!(
            "参数fromDateTime与时刻表不符:{code}于{}从{from}出发",
            clock(segment.depart())
        )));
    }
    let arrive = depart + TimeDelta::minutes(i64::from(segment.minutes()));
    if to_at != arrive {
        return Err(Failure(format!(
            "参数toDateTime与时刻表不符:{code}于{}到达{to}",
            arrive.format("%Y-%m-%d %H:%M")
        )));
    }
    if depart <= state.provider_now() {
        return Err(Failure(format!(
            "出发日期时间已过:{}",
            depart.format("%Y-%m-%d %H:%M")
        )));
    }
    Ok(Ride {
        train_no: train.train_no.clone(),
        train_code: segment.train_code().to_owned(),
        from_station: from,
        to_station: to,
        date,
        depart,
        arrive,
        fares: fares::fares(&segment),
        supports_seat_choice: matches!(
            fares::family(train),
            Family::HighSpeed | Family::Intercity | Family::Emu
        ),
    })
}

/// `date` at a timetable time of day (minutes since midnight of day 0).
fn at_minutes(date: NaiveDate, minutes: u32) -> chrono::NaiveDateTime {
    let minutes = minutes % DAY_MINUTES;
    date.and_hms_opt(minutes / 60, minutes % 60, 0)
        .expect("minutes of a day form a valid time")
}

/// A seat class by its Panhe code, which the ride must sell.
pub fn sold_class(params: &Params, ride: &Ride) -> Result<SeatClass, Failure> {
    let field = params.field("seatType");
    let code = params.required_int("seatType")?;
    let name = code_name(&model::SEAT_TYPES, code)
        .ok_or_else(|| Failure(format!("参数{field}格式错误,不支持的席别:{code}")))?;
    model::seat_class(code)
        .filter(|seat| ride.fare(*seat).is_some())
        .ok_or_else(|| Failure(format!("{}不售{name}", ride.train_code)))
}

/// A passenger of createOrder, checked.
#[derive(Debug, Clone)]
pub struct NewPassenger {
    pub name: String,
    pub card_type: i64,
    pub card_no: String,
    pub mobile: String,
    pub ticket_type: i64,
    pub seat: SeatClass,
}

/// One entry of `passengers`.
pub fn passenger(params: &Params, ride: &Ride) -> Result<NewPassenger, Failure> {
    let name = params.required_str("name")?;
    if name.chars().count() > 30 {
        return Err(Failure(format!(
            "参数{}格式错误,姓名过长",
            params.field("name")
        )));
    }
    let card_type = params.required_int("cardType")?;
    let card_type_name = code_name(&CARD_TYPES, card_type).ok_or_else(|| {
        Failure(format!(
            "参数{}格式错误,不支持的证件类型:{card_type}",
            params.field("cardType")
        ))
    })?;
    let card_no = params.required_str("cardNo")?.to_ascii_uppercase();
    if matches!(card_type, 1 | 9) && !id18_is_valid(&card_no) {
        return Err(Failure(format!(
            "参数{}格式错误,证件号码校验不通过",
            params.field("cardNo")
        )));
    }
    let mobile = params.required_str("mobile")?;
    check_mobile(params, "mobile", mobile)?;
    let ticket_type = params.required_int("ticketType")?;
    if code_name(&TICKET_TYPES, ticket_type).is_none() {
        return Err(Failure(format!(
            "参数{}格式错误,不支持的票种:{ticket_type}",
            params.field("ticketType")
        )));
    }
    let seat = sold_class(params, ride)?;
    // The seed requires these for passports and the travel permits.
    let required_for = |field: &str| {
        Failure(format!(
            "参数{}不能为空(证件类型为{card_type_name}时必填)",
            params.field(field)
        ))
    };
    let birthday = params.optional_date("birthday")?;
    let sex = params.optional_int("sex")?;
    let country = params.optional_str("countryCode")?;
    params.optional_date("cardValidEndDate")?;
    if matches!(card_type, 2 | 3 | 4 | 8) {
        if birthday.is_none() {
            return Err(required_for("birthday"));
        }
        if sex.is_none() {
            return Err(required_for("sex"));
        }
    }
    if matches!(card_type, 2 | 8) && country.is_none() {
        return Err(required_for("countryCode"));
    }
    if let Some(sex) = sex.filter(|sex| !matches!(sex, 1 | 2)) {
        return Err(Failure(format!(
            "参数{}格式错误,应为1(男)或2(女):{sex}",
            params.field("sex")
        )));
    }
    Ok(NewPassenger {
        name: name.to_owned(),
        card_type,
        card_no,
        mobile: mobile.to_owned(),
        ticket_type,
        seat,
    })
}

/// An 11-digit mainland mobile number.
pub fn check_mobile(params: &Params, field: &str, mobile: &str) -> Result<(), Failure> {
    let valid = mobile.len() == 11
        && mobile.starts_with('1')
        && mobile.bytes().all(|byte| byte.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Failure(format!(
            "参数{}格式错误,应为11位手机号",
            params.field(field)
        )))
    }
}

/// An optional callback URL: http or https.
pub fn callback_url(params: &Params, field: &str) -> Result<Option<String>, Failure> {
    match params.optional_str(field)? {
        None => Ok(None),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(Some(url.to_owned()))
        }
        Some(_) => Err(Failure(format!(
            "参数{}格式错误,应为http(s)地址",
            params.field(field)
        ))),
    }
}

/// isChooseSeats, chooseSeats, chooseSleeper and isAcceptStanding, checked
/// against the passengers' classes (`seats`, in passenger order). Returns
/// the choice and each passenger's chosen seat letter.
///
/// Seed 002 marks isChooseSeats and chooseSleeper 是 (required) for both
/// createOrder and applyChange. isChooseSeats is in the createOrder example
/// too; chooseSleeper is not (and "不选:空或000" allows it empty), so whether
/// it must be present is `choose_sleeper_required`
/// (`PanheSimConfig::choose_sleeper_required`).
pub fn seat_choice(
    params: &Params,
    ride: &Ride,
    seats: &[SeatClass],
    choose_sleeper_required: bool,
) -> Result<(SeatChoice, Vec<Option<char>>), Failure> {
    let is_choose_seats = params.required_bool("isChooseSeats")?;
    if choose_sleeper_required && !params.has("chooseSleeper") {
        return Err(Failure(format!(
            "参数{}不能为空(不选铺请传空或000)",
            params.field("chooseSleeper")
        )));
    }
    let accept_standing = params.optional_bool("isAcceptStanding")?.unwrap_or(false);
    let mut letters = vec![None; seats.len()];
    let mut choose_seats = None;
    if is_choose_seats {
        let text = params
            .optional_str("chooseSeats")?
            .ok_or_else(|| Failure("参数chooseSeats不能为空(isChooseSeats为true时必填)".into()))?
            .to_ascii_uppercase();
        if !ride.supports_seat_choice {
            return Err(Failure(format!("{}不支持选座", ride.train_code)));
        }
        let pairs = parse_seat_pairs(&text).ok_or_else(|| {
            Failure(format!(
                "参数chooseSeats格式错误,应为排号加座位字母如1A1D:{text}"
            ))
        })?;
        if pairs.len() != seats.len() {
            return Err(Failure(format!(
                "参数chooseSeats格式错误,选座个数{}与乘客人数{}不一致",
                pairs.len(),
                seats.len()
            )));
        }
        for (index, (&seat, letter)) in seats.iter().zip(pairs).enumerate() {
            let (_, name) = seat_code(seat);
            if seat_letters(seat).is_empty() {
                return Err(Failure(format!("{name}不支持选座")));
            }
            if !seat_letters(seat).contains(&letter) {
                return Err(Failure(format!(
                    "参数chooseSeats格式错误,{name}没有{letter}座"
                )));
            }
            letters[index] = Some(letter);
        }
        choose_seats = Some(text);
    }
    let sleepers = match params.optional_str("chooseSleeper")? {
        None => [0, 0, 0],
        Some(text) => {
            let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
            if text.len() != 3 || digits.len() != 3 {
                return Err(Failure(format!(
                    "参数chooseSleeper格式错误,应为三位数字如203:{text}"
                )));
            }
            [digits[0], digits[1], digits[2]]
        }
    };
    let sleeper_passengers = seats
        .iter()
        .filter(|seat| !seat.berths().is_empty())
        .count() as u32;
    if sleepers.iter().sum::<u32>() > sleeper_passengers {
        return Err(Failure(format!(
            "参数chooseSleeper格式错误,选铺数量超过卧铺乘客人数{sleeper_passengers}"
        )));
    }
    Ok((
        SeatChoice {
            is_choose_seats,
            choose_seats,
            sleepers,
            accept_standing,
        },
        letters,
    ))
}

/// `1A1D2F` → the letters, if every pair is a row 1–2 and a letter A–F.
fn parse_seat_pairs(text: &str) -> Option<Vec<char>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| match pair {
            [b'1' | b'2', letter @ b'A'..=b'F'] => Some(char::from(*letter)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_pairs() {
        assert_eq!(parse_seat_pairs("1A1D2F"), Some(vec!['A', 'D', 'F']));
        assert_eq!(parse_seat_pairs("3A"), None);
        assert_eq!(parse_seat_pairs("1G"), None);
        assert_eq!(parse_seat_pairs("1A1"), None);
        assert_eq!(parse_seat_pairs(""), None);
    }
}
