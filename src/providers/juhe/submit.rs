//! 创建抢票单 from neutral inputs: the offers to grab (all from one search),
//! the deadline, passengers, contact and an optional 12306 account. What
//! Juhe is known to refuse is checked first and reported all at once, so a
//! doomed order never reaches the network:
//!
//! - every offer is Juhe's and from the same search (one `queryKey`), with
//!   the same boarding and alighting stations (submitOrder names them once);
//! - every train leaves 3 hours or more from now (距离发车时间太近无法抢票);
//! - the deadline is in the future and not after the main train leaves;
//! - 1 to 5 passengers (抢票单目前最多支持五名乘客), adults and children
//!   only (暂不支持学生票和残军票), with documents submitOrder can name;
//! - a mainland mobile for the contact (Juhe texts it);
//! - `out_order_no` of 6–32 letters and digits.
//!
//! Juhe grabs any listed train in any listed seat class. The seed gives no
//! limit on the number of trains or classes (msgCode 220 says Juhe has
//! one), so that is left to Juhe.

use super::mapping::{
    SubmitIdNumbering, close_time, depart_date_time, grab_order_accepts, id_type_to_submit_code,
    passenger_type_to_code, seat_to_code,
};
use super::order_wire::{SubmitOrderRequest, SubmitPassenger, TicketModel};
use crate::domain::time::{RAIL_TZ, localize};
use crate::domain::{Berth, Contact, Offer, Passenger, ProviderId, SeatClass};
use crate::providers::ProviderError;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// Juhe takes no grab order for a train leaving sooner than this.
pub const MIN_LEAD_TIME: TimeDelta = TimeDelta::hours(3);
/// Most passengers in one grab order.
pub const MAX_PASSENGERS: usize = 5;

/// A 12306 account for 自购模式: the tickets are bought with it and show
/// up in it. Juhe takes it in plain text.
pub struct TrainAccount {
    /// 12306 user name.
    pub account: SecretString,
    /// 12306 password.
    pub password: SecretString,
}

/// Everything a grab order needs, in neutral terms.
pub struct GrabOrder<'a> {
    /// railgate's order number (the order's `customer_order_no`).
    pub out_order_no: &'a str,
    /// The offer to grab first: its train is the main train, its seat
    /// class the main seat class.
    pub main: &'a Offer,
    /// Further offers from the same search. Each adds its train and its
    /// seat class to what Juhe may grab.
    pub alternatives: &'a [Offer],
    /// The berth wanted in the sleeper classes, for the whole order; `None`
    /// takes the class as search listed it.
    pub berth: Option<Berth>,
    /// Stop grabbing at this instant.
    pub deadline: DateTime<Utc>,
    /// Who travels, in order.
    pub passengers: &'a [Passenger],
    /// Who Juhe notifies.
    pub contact: &'a Contact,
    /// Whether a standing ticket (无座) will do.
    pub accept_no_seat: bool,
    /// Buy with this 12306 account (自购) instead of Juhe's (代购).
    pub account: Option<&'a TrainAccount>,
}

/// One reason Juhe would refuse a grab order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The [`GrabOrder`] field, e.g. `passengers[2].passenger_type`.
    pub field: String,
    /// What is wrong, without personal data.
    pub description: String,
}

/// A grab order Juhe would refuse, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Juhe would refuse this grab order: {}", list(.violations))]
pub struct InvalidGrabOrder {
    /// Every problem found, in field order.
    pub violations: Vec<Violation>,
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{}: {}", violation.field, violation.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a grab order was not placed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Refused before sending: Juhe would refuse it too.
    #[error(transparent)]
    Invalid(#[from] InvalidGrabOrder),
    /// Sent, and Juhe refused it or the call failed. On a timeout the
    /// outcome is unknown: ask for the order's detail, never resend.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Collects violations while checking.
#[derive(Default)]
struct Checks(Vec<Violation>);

impl Checks {
    fn fail(&mut self, field: impl Into<String>, description: impl fmt::Display) {
        self.0.push(Violation {
            field: field.into(),
            description: description.to_string(),
        });
    }

    fn into_error(self) -> InvalidGrabOrder {
        InvalidGrabOrder { violations: self.0 }
    }
}

/// Checks `order` against Juhe's rules at `now` and builds the request,
/// numbering document types as `numbering` says.
pub fn submit_request<'a>(
    order: &GrabOrder<'a>,
    now: DateTime<Utc>,
    numbering: SubmitIdNumbering,
) -> Result<SubmitOrderRequest<'a>, InvalidGrabOrder> {
    let mut checks = Checks::default();
    check_order_no(order.out_order_no, &mut checks);
    let main = order.main;
    let main_code = offer_code(main, "main", order.berth, &mut checks);
    check_lead_time(main, "main", now, &mut checks);
    let mut train_nos = vec![main.train_code.as_str()];
    let mut seat_class_codes: Vec<&'static str> = main_code.into_iter().collect();
    for (index, alternative) in order.alternatives.iter().enumerate() {
        let field = format!("alternatives[{index}]");
        check_same_search(alternative, main, &field, &mut checks);
        check_lead_time(alternative, &field, now, &mut checks);
        if let Some(code) = offer_code(alternative, &field, order.berth, &mut checks) {
            if !seat_class_codes.contains(&code) {
                seat_class_codes.push(code);
            }
        }
        if !train_nos.contains(&alternative.train_code.as_str()) {
            train_nos.push(&alternative.train_code);
        }
    }
    check_berth(order, &mut checks);
    check_deadline(order.deadline, main, now, &mut checks);
    let passengers = submit_passengers(order.passengers, numbering, &mut checks);
    if !order.contact.phone.is_mainland_mobile() {
        checks.fail(
            "contact.phone",
            "Juhe takes a mainland mobile number (11 digits starting with 1)",
        );
    }
    let (ticket_model, account_no, account_pwd) = account_fields(order.account, &mut checks);
    // A missing code or key has been reported, so this is every failure.
    let (Some(main_seat_class), Some(query_key)) = (main_code, main.provider_key.as_deref()) else {
        return Err(checks.into_error());
    };
    if !checks.0.is_empty() {
        return Err(checks.into_error());
    }
    // The seed: the main train's departure time for one train, or for
    // several trains with several seat classes; the date otherwise.
    let depart_date = if train_nos.len() == 1 || seat_class_codes.len() > 1 {
        depart_date_time(main.departure)
    } else {
        main.departure.format("%Y-%m-%d").to_string()
    };
    Ok(SubmitOrderRequest {
        query_key,
        out_order_no: order.out_order_no,
        ticket_model: Some(ticket_model),
        account_no,
        account_pwd,
        main_train_no: &main.train_code,
        main_seat_class,
        train_nos,
        seat_class_codes,
        from_station: &main.from_station,
        to_station: &main.to_station,
        depart_date,
        close_time: close_time(order.deadline.with_timezone(&RAIL_TZ).naive_local()),
        accept_no_seat: order.accept_no_seat,
        person: order.contact.name.expose(),
        cellphone: order.contact.phone.expose(),
        email: None,
        passengers,
    })
}

/// 外部订单号: 6-32 letters and digits.
fn check_order_no(out_order_no: &str, checks: &mut Checks) {
    let well_formed = (6..=32).contains(&out_order_no.len())
        && out_order_no.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        checks.fail("out_order_no", "must be 6 to 32 ASCII letters and digits");
    }
}

/// The offer's seatClassCode, checking that it is a Juhe offer Juhe can
/// name. The wanted berth applies to sleeper classes only.
fn offer_code(
    offer: &Offer,
    field: &str,
    berth: Option<Berth>,
    checks: &mut Checks,
) -> Option<&'static str> {
    if offer.provider != ProviderId::Juhe {
        checks.fail(field, format!("is a {} offer, not Juhe's", offer.provider));
        return None;
    }
    if offer
        .provider_key
        .as_deref()
        .is_none_or(|key| key.trim().is_empty())
    {
        checks.fail(field, "carries no Juhe queryKey: search again");
    }
    // The caller's berth, else the one the offer was quoted for.
    let berth = berth
        .or(offer.berth)
        .filter(|_| offer.seat_class.is_sleeper());
    let code = seat_to_code(offer.seat_class, berth);
    if code.is_none() {
        checks.fail(field, no_code(offer.seat_class, berth));
    }
    code
}

fn no_code(seat_class: SeatClass, berth: Option<Berth>) -> String {
    match berth {
        Some(berth) if seat_to_code(seat_class, None).is_some() => {
            format!("Juhe cannot grab the {berth:?} berth of {seat_class:?}")
        }
        _ => format!("Juhe does not sell {seat_class:?} in grab orders"),
    }
}

/// One submitOrder names one queryKey and one pair of stations.
fn check_same_search(offer: &Offer, main: &Offer, field: &str, checks: &mut Checks) {
    if offer.provider == ProviderId::Juhe && offer.provider_key != main.provider_key {
        checks.fail(field, "comes from another search than the main offer");
    }
    if offer.from_station != main.from_station || offer.to_station != main.to_station {
        checks.fail(
            field,
            format!(
                "runs {} → {}, not {} → {} like the main offer",
                offer.from_station, offer.to_station, main.from_station, main.to_station
            ),
        );
    }
}

fn check_lead_time(offer: &Offer, field: &str, now: DateTime<Utc>, checks: &mut Checks) {
    if instant(offer.departure) - now < MIN_LEAD_TIME {
        checks.fail(
            field,
            format!(
                "{} leaves at {}, less than 3 hours from now: Juhe takes grab orders only for later trains",
                offer.train_code,
                offer.departure.format("%Y-%m-%d %H:%M")
            ),
        );
    }
}

/// A wanted berth must be one Juhe can name in some listed sleeper class.
fn check_berth(order: &GrabOrder<'_>, checks: &mut Checks) {
    let Some(berth) = order.berth else {
        return;
    };
    let any_sleeper = std::iter::once(order.main)
        .chain(order.alternatives)
        .any(|offer| offer.seat_class.is_sleeper());
    if !any_sleeper {
        checks.fail(
            "berth",
            format!("the {berth:?} berth is wanted but no offer is a sleeper class"),
        );
    }
}

fn check_deadline(deadline: DateTime<Utc>, main: &Offer, now: DateTime<Utc>, checks: &mut Checks) {
    if deadline <= now {
        checks.fail("deadline", "must be in the future");
    } else if deadline > instant(main.departure) {
        checks.fail(
            "deadline",
            format!(
                "must not be after the main train leaves ({})",
                main.departure.format("%Y-%m-%d %H:%M")
            ),
        );
    }
}

fn submit_passengers<'a>(
    passengers: &'a [Passenger],
    numbering: SubmitIdNumbering,
    checks: &mut Checks,
) -> Vec<SubmitPassenger<'a>> {
    if passengers.is_empty() {
        checks.fail("passengers", "at least one passenger is required");
    }
    if passengers.len() > MAX_PASSENGERS {
        checks.fail(
            "passengers",
            format!(
                "{} passengers: a Juhe grab order takes at most {MAX_PASSENGERS}",
                passengers.len()
            ),
        );
    }
    let mut submitted = Vec::with_capacity(passengers.len());
    for (index, passenger) in passengers.iter().enumerate() {
        if !grab_order_accepts(passenger.passenger_type) {
            checks.fail(
                format!("passengers[{index}].passenger_type"),
                format!(
                    "Juhe grab orders take adult and child tickets only, not {}",
                    passenger.passenger_type.as_str()
                ),
            );
        }
        let Some(id_card_type) = id_type_to_submit_code(passenger.id_type, numbering) else {
            checks.fail(
                format!("passengers[{index}].id_type"),
                format!("Juhe does not take {}", passenger.id_type.as_str()),
            );
            continue;
        };
        submitted.push(SubmitPassenger {
            passenger_name: passenger.name.expose(),
            passenger_type: passenger_type_to_code(passenger.passenger_type),
            id_card_type,
            id_card_no: passenger.id_number.expose(),
            birthday: passenger
                .birth_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
        });
    }
    submitted
}

fn account_fields<'a>(
    account: Option<&'a TrainAccount>,
    checks: &mut Checks,
) -> (TicketModel, Option<&'a str>, Option<&'a str>) {
    let Some(account) = account else {
        return (TicketModel::Proxy, None, None);
    };
    let user = account.account.expose_secret();
    let password = account.password.expose_secret();
    if user.trim().is_empty() || password.is_empty() {
        checks.fail(
            "account",
            "a 12306 account needs both a user name and a password",
        );
    }
    (TicketModel::SelfPurchase, Some(user), Some(password))
}

/// A Shanghai wall-clock time as an instant.
fn instant(local: NaiveDateTime) -> DateTime<Utc> {
    localize(local).with_timezone(&Utc)
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
