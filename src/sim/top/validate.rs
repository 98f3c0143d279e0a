//! Value checks of a complete `book_callback_param`: codes from the tables,
//! fen amounts, `yyyy-MM-dd HH:mm:ss` times, telecodes, the seed's
//! conditional passenger fields, and decryption of every SM4 field.

use super::required::REQUIRED_FOR_OTHER_DOCUMENTS;
use crate::alitrip::codes::{self, BookOrderStatus, BookTicketStatus};
use crate::alitrip::model::{
    BookCallbackParam, BookTicketDetail, BookTrainDetail, PassengerPlain, parse_date, parse_fen,
    parse_time,
};
use crate::alitrip::sm4::FieldCipher;
use crate::domain::IdType;

/// What is wrong with a field, named by its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required field is absent or empty.
    Missing(String),
    /// A field's value is not acceptable.
    Invalid(String),
}

/// Checks every value; on success returns the decrypted passengers, train
/// by train, ticket by ticket.
pub fn validate(
    param: &BookCallbackParam,
    cipher: &FieldCipher,
) -> Result<Vec<PassengerPlain>, Problem> {
    check(
        BookOrderStatus::from_code(&param.order_status).is_some(),
        "order_status",
    )?;
    let mut passengers = Vec::new();
    for (train_index, train) in param.book_train_details.iter().enumerate() {
        let at = format!("book_train_details[{train_index}]");
        check_train(train, &at)?;
        for (ticket_index, ticket) in train.book_ticket_details.iter().enumerate() {
            let at = format!("{at}.book_ticket_details[{ticket_index}]");
            check_ticket(ticket, &at)?;
            passengers.push(open_passenger(ticket, cipher, &at)?);
        }
    }
    Ok(passengers)
}

fn check(ok: bool, path: impl Into<String>) -> Result<(), Problem> {
    if ok {
        Ok(())
    } else {
        Err(Problem::Invalid(path.into()))
    }
}

fn is_telecode(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())
}

fn check_train(train: &BookTrainDetail, at: &str) -> Result<(), Problem> {
    let field = |name: &str| format!("{at}.{name}");
    check(parse_time(&train.start_time).is_some(), field("start_time"))?;
    check(
        parse_time(&train.arrive_time).is_some(),
        field("arrive_time"),
    )?;
    check(parse_date(&train.train_date).is_some(), field("train_date"))?;
    check(
        parse_fen(&train.order_total_price).is_some(),
        field("order_total_price"),
    )?;
    check(
        train.ticket_num == train.book_ticket_details.len().to_string(),
        field("ticket_num"),
    )?;
    check(
        is_telecode(&train.from_station_code),
        field("from_station_code"),
    )?;
    check(
        is_telecode(&train.to_station_code),
        field("to_station_code"),
    )
}

fn check_ticket(ticket: &BookTicketDetail, at: &str) -> Result<(), Problem> {
    let field = |name: &str| format!("{at}.{name}");
    for (name, value) in [
        ("resign_flag", &ticket.resign_flag),
        ("refund_flag", &ticket.refund_flag),
        ("change_flag", &ticket.change_flag),
    ] {
        check(codes::flag_from_code(value).is_some(), field(name))?;
    }
    check(
        codes::ticket_type_from_code(&ticket.ticket_type).is_some(),
        field("ticket_type"),
    )?;
    check(
        codes::seat_from_codes(&ticket.seat_type, &ticket.seat_name).is_some(),
        field("seat_type"),
    )?;
    check(
        BookTicketStatus::from_code(&ticket.ticket_status).is_some(),
        field("ticket_status"),
    )?;
    if let Some(price) = &ticket.ticket_price {
        check(parse_fen(price).is_some(), field("ticket_price"))?;
    }
    Ok(())
}

fn open_passenger(
    ticket: &BookTicketDetail,
    cipher: &FieldCipher,
    at: &str,
) -> Result<PassengerPlain, Problem> {
    let at = format!("{at}.passenger_info");
    let field = |name: &str| format!("{at}.{name}");
    let plain = ticket
        .passenger_info
        .open(cipher)
        .map_err(|error| Problem::Invalid(field(error.field)))?;
    let id_type = codes::id_type_from_code(&plain.passenger_id_type)
        .ok_or_else(|| Problem::Invalid(field("passenger_id_type")))?;
    if let Some(sex) = &plain.sex {
        check(codes::sex_from_code(sex).is_some(), field("sex"))?;
    }
    if id_type != IdType::ResidentIdCard {
        let present = [
            plain.country_code.is_some(),
            plain.birth_date.is_some(),
            plain.valid_date_end.is_some(),
        ];
        if let Some((name, _)) = REQUIRED_FOR_OTHER_DOCUMENTS
            .iter()
            .zip(present)
            .find(|(_, present)| !present)
        {
            return Err(Problem::Missing(field(name)));
        }
    }
    for (name, value) in [
        ("birth_date", &plain.birth_date),
        ("valid_date_start", &plain.valid_date_start),
        ("valid_date_end", &plain.valid_date_end),
    ] {
        if let Some(date) = value {
            check(parse_date(date).is_some(), field(name))?;
        }
    }
    for (name, value) in [
        ("passenger_name", &plain.passenger_name),
        ("passenger_mobile", &plain.passenger_mobile),
        ("passenger_id_no", &plain.passenger_id_no),
        ("passenger_id", &plain.passenger_id),
    ] {
        if value.trim().is_empty() {
            return Err(Problem::Missing(field(name)));
        }
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alitrip::builder::build_book_callback;
    use crate::alitrip::fixtures::{self, cipher, passenger_ids};
    use crate::stations::StationDirectory;

    fn valid() -> BookCallbackParam {
        build_book_callback(
            &fixtures::issued_order(),
            &passenger_ids(),
            StationDirectory::embedded(),
            &cipher(),
        )
        .unwrap()
    }

    const TICKET: &str = "book_train_details[0].book_ticket_details[1]";

    /// Spoils one field of a valid payload.
    type Spoiler = fn(&mut BookCallbackParam);

    #[test]
    fn accepts_what_the_builder_makes() {
        let passengers = validate(&valid(), &cipher()).unwrap();
        assert_eq!(passengers.len(), 2);
        assert_eq!(passengers[1].passenger_name, "JOHN SMITH");
    }

    #[test]
    fn refuses_bad_values_by_path() {
        let train = "book_train_details[0]";
        let cases: Vec<(Spoiler, String)> = vec![
            (|p| p.order_status = "99".into(), "order_status".into()),
            (
                |p| p.book_train_details[0].start_time = "2026-11-24T07:00".into(),
                format!("{train}.start_time"),
            ),
            (
                |p| p.book_train_details[0].order_total_price = "999.00".into(),
                format!("{train}.order_total_price"),
            ),
            (
                |p| p.book_train_details[0].ticket_num = "3".into(),
                format!("{train}.ticket_num"),
            ),
            (
                |p| p.book_train_details[0].to_station_code = "aoh".into(),
                format!("{train}.to_station_code"),
            ),
            (
                |p| p.book_train_details[0].book_ticket_details[1].refund_flag = "yes".into(),
                format!("{TICKET}.refund_flag"),
            ),
            (
                |p| p.book_train_details[0].book_ticket_details[1].seat_name = "硬座".into(),
                format!("{TICKET}.seat_type"),
            ),
            (
                |p| p.book_train_details[0].book_ticket_details[1].ticket_status = "31".into(),
                format!("{TICKET}.ticket_status"),
            ),
            (
                |p| p.book_train_details[0].book_ticket_details[1].ticket_type = "4".into(),
                format!("{TICKET}.ticket_type"),
            ),
            (
                |p| {
                    p.book_train_details[0].book_ticket_details[1]
                        .passenger_info
                        .passenger_id_no = "plain text".into()
                },
                format!("{TICKET}.passenger_info.passenger_id_no"),
            ),
        ];
        for (spoil, path) in cases {
            let mut param = valid();
            spoil(&mut param);
            assert_eq!(
                validate(&param, &cipher()),
                Err(Problem::Invalid(path.clone())),
                "{path}"
            );
        }
    }

    #[test]
    fn other_documents_need_country_birth_and_expiry() {
        for (index, name) in REQUIRED_FOR_OTHER_DOCUMENTS.iter().enumerate() {
            let mut param = valid();
            let info = &mut param.book_train_details[0].book_ticket_details[1].passenger_info;
            match index {
                0 => info.country_code = None,
                1 => info.birth_date = None,
                _ => info.valid_date_end = None,
            }
            assert_eq!(
                validate(&param, &cipher()),
                Err(Problem::Missing(format!("{TICKET}.passenger_info.{name}")))
            );
        }
        // The resident-ID passenger has none of them and passes.
        let mut param = valid();
        let info = &mut param.book_train_details[0].book_ticket_details[0].passenger_info;
        assert_eq!((&info.country_code, &info.birth_date), (&None, &None));
        info.sex = Some(cipher().encrypt("2"));
        assert_eq!(
            validate(&param, &cipher()),
            Err(Problem::Invalid(
                "book_train_details[0].book_ticket_details[0].passenger_info.sex".into()
            ))
        );
    }

    #[test]
    fn a_plaintext_that_decrypts_to_nothing_is_missing() {
        let mut param = valid();
        param.book_train_details[0].book_ticket_details[0]
            .passenger_info
            .passenger_name = cipher().encrypt(" ");
        assert_eq!(
            validate(&param, &cipher()),
            Err(Problem::Missing(
                "book_train_details[0].book_ticket_details[0].passenger_info.passenger_name".into()
            ))
        );
    }
}
