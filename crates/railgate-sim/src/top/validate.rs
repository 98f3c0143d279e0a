//! Value checks of a `book_callback_param` whose required fields are all
//! present ([`super::required`]), on the raw JSON: the seed's printed code
//! tables, the configured [`Enumerations`], fen amounts, times and dates in
//! the seed's formats, three-letter station codes, the conditional
//! passenger fields, and decryption of every SM4 field.

use super::seed::{
    self, ENCRYPTED_PASSENGER_FIELDS, Enumerations, FLAG_FIELDS, FLAGS, PASSENGER_DATE_FIELDS,
    REQUIRED_FOR_OTHER_DOCUMENTS, REQUIRED_PASSENGER_FIELDS, TICKET_TYPES,
};
use super::sm4::Sm4Settings;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;
use std::collections::BTreeMap;

/// What is wrong with a field, named by its concrete path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required field is absent or empty.
    Missing(String),
    /// A field's value is not acceptable.
    Invalid(String),
}

/// One ticket's passenger, decrypted: every SM4 field by its seed name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passenger {
    /// The decrypted fields present, by name (`passenger_name`, ...).
    pub fields: BTreeMap<String, String>,
}

impl Passenger {
    /// A decrypted field, if it was sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The settings the checks need.
pub struct Rules<'a> {
    /// How the SM4 fields are encrypted.
    pub sm4: &'a Sm4Settings,
    /// The tables the seed leaves to alitrip.
    pub enumerations: &'a Enumerations,
}

/// Checks every value of `param`; on success returns the decrypted
/// passengers, train by train, ticket by ticket.
pub fn validate(param: &Value, rules: &Rules<'_>) -> Result<Vec<Passenger>, Problem> {
    let codes = rules.enumerations;
    check_code(param, "order_status", codes.order_status.as_ref(), "")?;
    check_code(param, "purchase_type", codes.purchase_type.as_ref(), "")?;
    let mut passengers = Vec::new();
    for (train_index, train) in items(param, "book_train_details").iter().enumerate() {
        let at = format!("book_train_details[{train_index}]");
        check_train(train, &at)?;
        for (ticket_index, ticket) in items(train, "book_ticket_details").iter().enumerate() {
            let at = format!("{at}.book_ticket_details[{ticket_index}]");
            check_ticket(ticket, codes, &at)?;
            passengers.push(open_passenger(&ticket["passenger_info"], rules, &at)?);
        }
    }
    Ok(passengers)
}

fn items<'v>(value: &'v Value, name: &str) -> &'v [Value] {
    value[name]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A string field, if present as a string.
fn text<'v>(value: &'v Value, name: &str) -> Option<&'v str> {
    value.get(name).and_then(Value::as_str)
}

fn path(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

fn invalid_unless(ok: bool, at: &str, name: &str) -> Result<(), Problem> {
    if ok {
        Ok(())
    } else {
        Err(Problem::Invalid(path(at, name)))
    }
}

fn check_code(
    value: &Value,
    name: &str,
    table: Option<&Vec<String>>,
    at: &str,
) -> Result<(), Problem> {
    let ok = text(value, name).is_some_and(|code| seed::allowed(table, code));
    invalid_unless(ok, at, name)
}

/// "yyyy-MM-dd hh:mm:ss": the example (`12:00:00`) and the arrival and
/// departure meaning make it a 24-hour clock.
fn is_time(text: &str) -> bool {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

fn is_date(text: &str) -> bool {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// "单位分": a whole number of fen, digits only.
fn is_fen(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// "三字码": 12306's three-letter telecode.
fn is_telecode(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|byte| byte.is_ascii_uppercase())
}

fn check_train(train: &Value, at: &str) -> Result<(), Problem> {
    for name in ["start_time", "arrive_time"] {
        invalid_unless(text(train, name).is_some_and(is_time), at, name)?;
    }
    invalid_unless(
        text(train, "train_date").is_some_and(is_date),
        at,
        "train_date",
    )?;
    invalid_unless(
        text(train, "order_total_price").is_some_and(is_fen),
        at,
        "order_total_price",
    )?;
    // 票数: the tickets this train detail lists.
    let tickets = items(train, "book_ticket_details").len().to_string();
    invalid_unless(
        text(train, "ticket_num") == Some(tickets.as_str()),
        at,
        "ticket_num",
    )?;
    for name in ["from_station_code", "to_station_code"] {
        invalid_unless(text(train, name).is_some_and(is_telecode), at, name)?;
    }
    Ok(())
}

fn check_ticket(ticket: &Value, codes: &Enumerations, at: &str) -> Result<(), Problem> {
    for name in FLAG_FIELDS {
        invalid_unless(
            text(ticket, name).is_some_and(|flag| FLAGS.contains(&flag)),
            at,
            name,
        )?;
    }
    invalid_unless(
        text(ticket, "ticket_type").is_some_and(|kind| TICKET_TYPES.contains(&kind)),
        at,
        "ticket_type",
    )?;
    check_code(ticket, "ticket_status", codes.ticket_status.as_ref(), at)?;
    check_code(ticket, "seat_type", codes.seat_type.as_ref(), at)?;
    check_code(ticket, "seat_name", codes.seat_name.as_ref(), at)?;
    if let Some(price) = ticket.get("ticket_price") {
        invalid_unless(price.as_str().is_some_and(is_fen), at, "ticket_price")?;
    }
    Ok(())
}

fn open_passenger(info: &Value, rules: &Rules<'_>, at: &str) -> Result<Passenger, Problem> {
    let at = format!("{at}.passenger_info");
    let mut passenger = Passenger::default();
    for name in ENCRYPTED_PASSENGER_FIELDS {
        let Some(sealed) = info.get(name) else {
            continue;
        };
        let plain = sealed
            .as_str()
            .and_then(|sealed| rules.sm4.decrypt(sealed))
            .ok_or_else(|| Problem::Invalid(path(&at, name)))?;
        passenger.fields.insert(name.to_owned(), plain);
    }
    // The 必须 ones must say something once decrypted, too.
    for name in REQUIRED_PASSENGER_FIELDS {
        if passenger
            .get(name)
            .is_none_or(|value| value.trim().is_empty())
        {
            return Err(Problem::Missing(path(&at, name)));
        }
    }
    let codes = rules.enumerations;
    let id_type = passenger.get("passenger_id_type").unwrap_or_default();
    invalid_unless(
        !id_type.is_empty() && seed::allowed(codes.passenger_id_type.as_ref(), id_type),
        &at,
        "passenger_id_type",
    )?;
    if let Some(sex) = passenger.get("sex") {
        invalid_unless(seed::allowed(codes.sex.as_ref(), sex), &at, "sex")?;
    }
    if id_type != codes.resident_id_card_type {
        let missing = REQUIRED_FOR_OTHER_DOCUMENTS.iter().find(|name| {
            passenger
                .get(name)
                .is_none_or(|value| value.trim().is_empty())
        });
        if let Some(name) = missing {
            return Err(Problem::Missing(path(&at, name)));
        }
    }
    for name in PASSENGER_DATE_FIELDS {
        if let Some(date) = passenger.get(name) {
            invalid_unless(is_date(date), &at, name)?;
        }
    }
    Ok(passenger)
}
