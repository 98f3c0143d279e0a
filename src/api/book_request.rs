//! Book's request, validated into a [`BookCommand`] (with its grab
//! options, passengers and contact), and the field checks the other order
//! requests share: idempotency keys, order ids, offer ids, seat choices,
//! station names.

use super::ApiState;
use super::convert::{berth_from_proto, seat_class_from_proto};
use super::convert_order::{id_type_from_proto, passenger_type_from_proto};
use super::status::{ApiError, Violation};
use crate::domain::{
    Contact, IdNumber, IdType, Offer, OrderId, Passenger, PersonName, PhoneNumber, StationRef,
};
use crate::orders::{BookCommand, BookPassenger, GrabCommand};
use crate::proto as pb;
use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;

/// Most passengers in one order (Panhe: 一单最多下9人).
pub(super) const MAX_PASSENGERS: usize = 9;
/// Longest idempotency key accepted.
const MAX_KEY_LENGTH: usize = 128;
/// Longest 12306 user name or password accepted (12306's own are far
/// shorter; the bound keeps a client's megabytes from reaching Panhe).
pub(super) const MAX_ACCOUNT_FIELD: usize = 128;
/// Most alternative trains or seat classes a grab request may list.
const MAX_GRAB_ALTERNATIVES: usize = 16;
pub(super) fn book_command(
    state: &ApiState,
    request: pb::BookRequest,
) -> Result<BookCommand, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let offer = offer_from_request(state, &request.offer_id, "offer_id", &mut violations);
    let grab = request
        .grab
        .as_ref()
        .and_then(|grab| grab_command(state, grab, &request.passengers, &mut violations));
    if request.passengers.is_empty() || request.passengers.len() > MAX_PASSENGERS {
        violations.push(Violation::new(
            "passengers",
            format!("must list 1 to {MAX_PASSENGERS} passengers"),
        ));
    }
    // Counts first: an oversized list is refused without reading its items.
    if request.passengers.len() > MAX_PASSENGERS || request.seat_choices.len() > MAX_PASSENGERS {
        if request.seat_choices.len() > MAX_PASSENGERS {
            violations.push(Violation::new(
                "seat_choices",
                format!("must list at most {MAX_PASSENGERS} seats"),
            ));
        }
        return Err(ApiError::InvalidArgument(violations));
    }
    let default_class = offer.as_ref().map(|offer| offer.seat_class);
    let passengers: Vec<Option<BookPassenger>> = request
        .passengers
        .iter()
        .enumerate()
        .map(|(index, passenger)| book_passenger(index, passenger, default_class, &mut violations))
        .collect();
    let contact = contact(request.contact.as_ref(), &mut violations);
    if !request.seat_choices.is_empty() {
        if request.seat_choices.len() != request.passengers.len() {
            violations.push(Violation::new(
                "seat_choices",
                "give one seat per passenger, or none",
            ));
        }
        for (index, choice) in request.seat_choices.iter().enumerate() {
            if !is_seat_choice(choice) {
                violations.push(Violation::new(
                    format!("seat_choices[{index}]"),
                    format!(
                        "{choice:?} is not a seat such as \"1A\" (row 1 or 2, seat A, B, C, D or F)"
                    ),
                ));
            }
        }
    }
    let account = match request.account {
        Some(account)
            if account.username.trim().len() > MAX_ACCOUNT_FIELD
                || account.password.len() > MAX_ACCOUNT_FIELD =>
        {
            // Never quoted: these are credentials.
            violations.push(Violation::new(
                "account",
                format!("user name and password are at most {MAX_ACCOUNT_FIELD} bytes each"),
            ));
            None
        }
        Some(account) if !account.username.trim().is_empty() && !account.password.is_empty() => {
            Some((
                account.username.trim().to_owned(),
                SecretString::from(account.password),
            ))
        }
        // A grab order without an account is bought with Juhe's (代购).
        None if request.grab.is_some() => None,
        _ => {
            violations.push(Violation::new(
                "account",
                "a 12306 user name and password are required to book",
            ));
            None
        }
    };
    let channel =
        super::channel::channel_from_proto(request.channel, &request.passengers, &mut violations);
    match (
        key,
        offer,
        contact,
        passengers.into_iter().collect::<Option<Vec<_>>>(),
    ) {
        (Some(key), Some(offer), Some(contact), Some(passengers)) if violations.is_empty() => {
            Ok(BookCommand {
                idempotency_key: key,
                from_station: station_ref(state, &offer.from_station),
                to_station: station_ref(state, &offer.to_station),
                offer,
                passengers,
                contact,
                seat_choices: request.seat_choices,
                accept_standing: request.accept_standing,
                account,
                channel,
                grab,
                // Set by `book` from the caller.
                owner: String::new(),
            })
        }
        _ => Err(ApiError::InvalidArgument(violations)),
    }
}

/// The grab options of a Book request. Whether the offers can be grabbed
/// together (same search, same stations, far enough ahead) is the grab
/// provider's rule, checked by the order service.
fn grab_command(
    state: &ApiState,
    grab: &pb::GrabOptions,
    passengers: &[pb::Passenger],
    violations: &mut Vec<Violation>,
) -> Option<GrabCommand> {
    let deadline = match DateTime::parse_from_rfc3339(grab.deadline.trim()) {
        Ok(deadline) => Some(deadline.with_timezone(&Utc)),
        Err(_) => {
            violations.push(Violation::new(
                "grab.deadline",
                "is required: an RFC 3339 time until which to keep grabbing",
            ));
            None
        }
    };
    // Counts first: an oversized list is not opened item by item. The
    // grab provider's own limit (far lower) is checked with the order.
    for (field, count) in [
        (
            "grab.alternative_offer_ids",
            grab.alternative_offer_ids.len(),
        ),
        (
            "grab.alternative_seat_classes",
            grab.alternative_seat_classes.len(),
        ),
    ] {
        if count > MAX_GRAB_ALTERNATIVES {
            violations.push(Violation::new(
                field,
                format!("must list at most {MAX_GRAB_ALTERNATIVES} entries"),
            ));
            return None;
        }
    }
    let mut alternatives = Vec::new();
    for (index, offer_id) in grab.alternative_offer_ids.iter().enumerate() {
        let field = format!("grab.alternative_offer_ids[{index}]");
        alternatives.extend(offer_from_request(state, offer_id, &field, violations));
    }
    let mut alternative_seat_classes = Vec::new();
    for (index, value) in grab.alternative_seat_classes.iter().enumerate() {
        match seat_class_from_proto(*value) {
            Some(class) => alternative_seat_classes.push(class),
            None => violations.push(Violation::new(
                format!("grab.alternative_seat_classes[{index}]"),
                format!("{value} is not a valid seat class"),
            )),
        }
    }
    let (window, dated) = super::grab_dates::parse(state, grab, violations);
    let party = super::grab_dates::party_rule(grab, passengers, violations);
    Some(GrabCommand {
        deadline: deadline?,
        alternatives,
        alternative_seat_classes,
        window,
        dated,
        party,
    })
}

fn book_passenger(
    index: usize,
    passenger: &pb::Passenger,
    default_class: Option<crate::domain::SeatClass>,
    violations: &mut Vec<Violation>,
) -> Option<BookPassenger> {
    let field = |name: &str| format!("passengers[{index}].{name}");
    let mut problem =
        |name: &str, description: String| violations.push(Violation::new(field(name), description));
    let name = PersonName::new(passenger.name.clone())
        .map_err(|error| problem("name", error.to_string()))
        .ok();
    let id_type = id_type_from_proto(passenger.id_type);
    if id_type.is_none() {
        problem(
            "id_type",
            "is required (e.g. ID_TYPE_RESIDENT_ID_CARD)".to_owned(),
        );
    }
    let id_number = IdNumber::new(passenger.id_number.clone())
        .map_err(|error| problem("id_number", error.to_string()))
        .ok();
    if let (Some(IdType::ResidentIdCard), Some(number)) = (id_type, &id_number)
        && !number.is_valid_resident_id()
    {
        problem(
            "id_number",
            "is not a valid resident ID number (check digit)".to_owned(),
        );
    }
    let passenger_type = passenger_type_from_proto(passenger.passenger_type);
    if passenger_type.is_none() {
        problem(
            "passenger_type",
            format!("{} is not a valid value", passenger.passenger_type),
        );
    }
    let phone = PhoneNumber::new(passenger.phone.clone())
        .map_err(|error| problem("phone", error.to_string()))
        .ok();
    let seat_class = match passenger.seat_class {
        0 => default_class,
        value => {
            let class = seat_class_from_proto(value);
            if class.is_none() {
                problem("seat_class", format!("{value} is not a valid seat class"));
            }
            class
        }
    };
    let berth = berth_from_proto(passenger.berth);
    let birth_date = optional_date(&passenger.birth_date)
        .map_err(|message| problem("birth_date", message))
        .ok()
        .flatten();
    let id_expiry_date = optional_date(&passenger.id_expiry_date)
        .map_err(|message| problem("id_expiry_date", message))
        .ok()
        .flatten();
    let sex = super::convert_order::sex_from_proto(passenger.sex);
    if !matches!(
        id_type,
        Some(IdType::ResidentIdCard) | Some(IdType::HkMacaoTaiwanResidencePermit) | None
    ) && (birth_date.is_none() || sex.is_none())
    {
        problem(
            "birth_date",
            "birth_date and sex are required for this document type".to_owned(),
        );
    }
    let frequent_passenger_id = match passenger.frequent_passenger_id {
        0 => Some(None),
        id if id > 0 => Some(Some(id)),
        id => {
            problem(
                "frequent_passenger_id",
                format!("{id} is not an id from ListFrequentPassengers"),
            );
            None
        }
    };
    let country_code =
        Some(passenger.country_code.trim().to_ascii_uppercase()).filter(|code| !code.is_empty());
    if matches!(
        id_type,
        Some(IdType::Passport) | Some(IdType::ForeignPermanentResidentId)
    ) && country_code.is_none()
    {
        problem(
            "country_code",
            "is required for passports and permanent resident IDs".to_owned(),
        );
    }
    Some(BookPassenger {
        passenger: Passenger {
            name: name?,
            id_type: id_type?,
            id_number: id_number?,
            passenger_type: passenger_type?,
            phone: Some(phone?),
            birth_date,
            sex,
            country_code,
            id_expiry_date,
        },
        seat_class: seat_class?,
        berth,
        frequent_passenger_id: frequent_passenger_id?,
    })
}

fn contact(contact: Option<&pb::Contact>, violations: &mut Vec<Violation>) -> Option<Contact> {
    let Some(contact) = contact else {
        violations.push(Violation::new(
            "contact",
            "is required: the provider sends issue and refund notices there",
        ));
        return None;
    };
    let name = PersonName::new(contact.name.clone())
        .map_err(|error| violations.push(Violation::new("contact.name", error.to_string())))
        .ok();
    let phone = PhoneNumber::new(contact.phone.clone())
        .map_err(|error| violations.push(Violation::new("contact.phone", error.to_string())))
        .ok();
    Some(Contact {
        name: name?,
        phone: phone?,
    })
}

/// Longest offer id accepted: an id Search made is a few hundred bytes.
pub(super) const MAX_OFFER_ID_BYTES: usize = 2048;

/// Opens a sealed offer id; an oversized one is refused unread, a forged
/// or expired one before any provider hears of it.
pub(super) fn offer_from_request(
    state: &ApiState,
    id: &str,
    field: &str,
    violations: &mut Vec<Violation>,
) -> Option<Offer> {
    if id.len() > MAX_OFFER_ID_BYTES {
        violations.push(Violation::new(
            field,
            format!("is longer than {MAX_OFFER_ID_BYTES} bytes: not an id Search returned"),
        ));
        return None;
    }
    state
        .router
        .offer_seal()
        .open(id)
        .map_err(|error| violations.push(Violation::new(field, error.to_string())))
        .ok()
}

pub(super) fn idempotency_key(key: &str, violations: &mut Vec<Violation>) -> Option<String> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > MAX_KEY_LENGTH {
        violations.push(Violation::new(
            "idempotency_key",
            format!("is required: 1 to {MAX_KEY_LENGTH} characters, unique per intended operation"),
        ));
        return None;
    }
    Some(key.to_owned())
}

pub(super) fn order_id(id: &str, violations: &mut Vec<Violation>) -> Option<OrderId> {
    OrderId::parse(id.trim())
        .map_err(|_| {
            violations.push(Violation::new(
                "order_id",
                "is not an order id returned by Book",
            ))
        })
        .ok()
}

pub(super) fn is_seat_choice(choice: &str) -> bool {
    matches!(
        choice.as_bytes(),
        [b'1' | b'2', b'A' | b'B' | b'C' | b'D' | b'F']
    )
}

pub(super) fn optional_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{text:?} is not a date in the form YYYY-MM-DD"))
}

pub(super) fn station_ref(state: &ApiState, name: &str) -> StationRef {
    StationRef {
        telecode: state
            .stations
            .by_name(name)
            .map(|station| station.telecode.clone())
            .unwrap_or_default(),
        name: name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_choices_follow_12306() {
        for good in ["1A", "2F", "1D"] {
            assert!(is_seat_choice(good), "{good}");
        }
        for bad in ["1E", "3A", "A1", "1AA", "", "1a"] {
            assert!(!is_seat_choice(bad), "{bad}");
        }
    }
}
