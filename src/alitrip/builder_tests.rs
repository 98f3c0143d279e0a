use super::*;
use crate::alitrip::fixtures::{self, cipher, passenger_ids};
use crate::domain::{PassengerType, TicketStatus};

fn build(order: &Order) -> Result<BookCallbackParam, BuildError> {
    build_book_callback(
        order,
        &passenger_ids(),
        StationDirectory::embedded(),
        &cipher(),
    )
}

#[test]
fn issued_order_fills_every_field_from_the_order() {
    let order = fixtures::issued_order();
    let param = build(&order).unwrap();
    assert_eq!(param.order_id, "123456789");
    assert_eq!(param.purchase_type, "2");
    assert_eq!(param.supplier_order_id, order.id.to_string());
    assert_eq!(param.order_status, "11");
    assert_eq!(param.ticket_no.as_deref(), Some("EF48476727"));
    assert_eq!((param.fail_code, param.fail_reason), (None, None));

    let [train] = param.book_train_details.as_slice() else {
        panic!("one train expected");
    };
    assert_eq!(train.from_station_code, "VNP");
    assert_eq!(train.from_station_name, "北京南");
    assert_eq!(train.to_station_code, "AOH");
    assert_eq!(train.to_station_name, "上海虹桥");
    assert_eq!(train.start_time, "2026-11-24 07:00:00");
    assert_eq!(train.arrive_time, "2026-11-24 11:38:00");
    assert_eq!(train.train_date, "2026-11-24");
    assert_eq!(train.train_no, "G1");
    assert_eq!(train.train_id.as_deref(), Some("24000000G10Q"));
    assert_eq!(train.ticket_num, "2");
    // The tickets' sum (the seed's example: total = price × count), not the
    // 99,900 paid with the service fee.
    assert_eq!(train.order_total_price, "99400");

    let first = &train.book_ticket_details[0];
    assert_eq!(first.ticket_status, "11");
    assert_eq!(
        (first.seat_type.as_str(), first.seat_name.as_str()),
        ("O", "二等座")
    );
    assert_eq!(first.ticket_price.as_deref(), Some("66250"));
    assert_eq!(first.coach_no.as_deref(), Some("03"));
    assert_eq!(first.seat_no.as_deref(), Some("01A"));
    assert_eq!(
        first.passenger_ticket_no.as_deref(),
        Some("EF48476727103001A")
    );
    assert_eq!(first.ticket_type, "1");
    // Issued tickets may be refunded and changed: 0 means allowed.
    assert_eq!(
        (
            first.refund_flag.as_str(),
            first.resign_flag.as_str(),
            first.change_flag.as_str()
        ),
        ("0", "0", "0")
    );
    assert_eq!(train.book_ticket_details[1].ticket_type, "0");
}

#[test]
fn passenger_fields_are_sealed_and_open_to_the_originals() {
    let order = fixtures::issued_order();
    let param = build(&order).unwrap();
    let json = serde_json::to_string(&param).unwrap();
    for raw in [
        "欧阳娜娜",
        "11010519491231002X",
        "15712340587",
        "JOHN SMITH",
        "E12345678",
        "123452",
        "2015-06-01",
    ] {
        assert!(!json.contains(raw), "{raw} in the clear: {json}");
    }
    let tickets = &param.book_train_details[0].book_ticket_details;
    let resident = tickets[0].passenger_info.open(&cipher()).unwrap();
    assert_eq!(resident.passenger_name, "欧阳娜娜");
    assert_eq!(resident.passenger_id_no, "11010519491231002X");
    assert_eq!(resident.passenger_mobile, "15712340587");
    assert_eq!(resident.passenger_id_type, "0");
    assert_eq!(resident.sex.as_deref(), Some("1"));
    assert_eq!(resident.passenger_id, "123452");
    assert_eq!(resident.birth_date, None);
    let passport = tickets[1].passenger_info.open(&cipher()).unwrap();
    assert_eq!(passport.passenger_id_type, "1");
    assert_eq!(passport.country_code.as_deref(), Some("GB"));
    assert_eq!(passport.birth_date.as_deref(), Some("2015-06-01"));
    assert_eq!(passport.valid_date_end.as_deref(), Some("2030-12-12"));
    assert_eq!(passport.passenger_mobile, "+85291234578");
    assert_eq!(passport.passenger_id, "123453");
}

#[test]
fn failed_order_reports_failure_and_forbids_changes() {
    let order = fixtures::failed_order();
    let param = build(&order).unwrap();
    assert_eq!(param.order_status, "12");
    assert_eq!(param.fail_reason.as_deref(), Some("车次已无票"));
    assert_eq!(param.ticket_no, None);
    let train = &param.book_train_details[0];
    assert_eq!(train.order_total_price, "0");
    for ticket in &train.book_ticket_details {
        assert_eq!(ticket.ticket_status, "12");
        assert_eq!(ticket.fail_reason.as_deref(), Some("车次已无票"));
        assert_eq!(
            (
                ticket.refund_flag.as_str(),
                ticket.resign_flag.as_str(),
                ticket.change_flag.as_str()
            ),
            ("1", "1", "1")
        );
        assert_eq!(ticket.ticket_price, None);
    }
}

#[test]
fn refused_orders() {
    let mut not_alitrip = fixtures::issued_order();
    not_alitrip.channel = None;
    assert_eq!(build(&not_alitrip), Err(BuildError::NotAlitrip));

    let mut pending = fixtures::issued_order();
    pending.status = OrderStatus::Issuing;
    assert_eq!(
        build(&pending),
        Err(BuildError::Unrepresentable(Unrepresentable {
            field: "order_status",
            value: "issuing"
        }))
    );
    assert!(!is_reportable(OrderStatus::Issuing));
    assert!(is_reportable(OrderStatus::Expired));

    let mut ticket_in_flight = fixtures::issued_order();
    ticket_in_flight.tickets[1].status = TicketStatus::Issuing;
    assert!(matches!(
        build(&ticket_in_flight),
        Err(BuildError::TicketNotFinal { ticket: 1, .. })
    ));

    let order = fixtures::issued_order();
    assert_eq!(
        build_book_callback(
            &order,
            &passenger_ids()[..1],
            StationDirectory::embedded(),
            &cipher()
        ),
        Err(BuildError::PassengerIdCount { tickets: 2, ids: 1 })
    );

    let mut no_tickets = fixtures::issued_order();
    no_tickets.tickets.clear();
    assert_eq!(build(&no_tickets), Err(BuildError::NoTickets));

    let mut unpriced = fixtures::issued_order();
    unpriced.total_amount = None;
    unpriced.ticket_amount = None;
    unpriced.tickets[0].price = None;
    assert_eq!(build(&unpriced), Err(BuildError::MissingAmount));
}

#[test]
fn amount_falls_back_to_the_ticket_sum() {
    let mut order = fixtures::issued_order();
    order.total_amount = None;
    order.ticket_amount = None;
    let param = build(&order).unwrap();
    assert_eq!(param.book_train_details[0].order_total_price, "99400");
}

#[test]
fn passenger_requirements_follow_the_seed() {
    let mut no_phone = fixtures::issued_order();
    no_phone.tickets[0].passenger.phone = None;
    assert_eq!(
        build(&no_phone),
        Err(BuildError::MissingPassengerField {
            ticket: 0,
            field: "passenger_mobile"
        })
    );
    for (field, strip) in [
        ("country_code", 0),
        ("birth_date", 1),
        ("valid_date_end", 2),
    ] {
        let mut order = fixtures::issued_order();
        let passenger = &mut order.tickets[1].passenger;
        match strip {
            0 => passenger.country_code = None,
            1 => passenger.birth_date = None,
            _ => passenger.id_expiry_date = None,
        }
        assert_eq!(
            build(&order),
            Err(BuildError::MissingPassengerField { ticket: 1, field })
        );
    }
    let mut blank_id = passenger_ids();
    blank_id[0] = " ".into();
    assert_eq!(
        build_book_callback(
            &fixtures::issued_order(),
            &blank_id,
            StationDirectory::embedded(),
            &cipher()
        ),
        Err(BuildError::MissingPassengerField {
            ticket: 0,
            field: "passenger_id"
        })
    );
    let mut veteran = fixtures::issued_order();
    veteran.tickets[0].passenger.passenger_type = PassengerType::DisabledMilitary;
    assert!(matches!(
        build(&veteran),
        Err(BuildError::Unrepresentable(Unrepresentable {
            field: "ticket_type",
            ..
        }))
    ));
}

#[test]
fn stations_come_from_the_directory() {
    let mut by_name = fixtures::issued_order();
    by_name.from_station.telecode = String::new();
    let param = build(&by_name).unwrap();
    assert_eq!(param.book_train_details[0].from_station_code, "VNP");

    let mut unknown = fixtures::issued_order();
    unknown.to_station = StationRef {
        telecode: String::new(),
        name: "不存在站".into(),
    };
    let error = build(&unknown).unwrap_err();
    assert_eq!(
        error,
        BuildError::UnknownStation {
            name: "不存在站".into(),
            telecode: String::new()
        }
    );
}

#[test]
fn errors_carry_no_personal_data() {
    let mut order = fixtures::issued_order();
    order.tickets[1].passenger.birth_date = None;
    let message = build(&order).unwrap_err().to_string();
    assert_eq!(
        message,
        "ticket 1: passenger_info.birth_date is required but unknown"
    );
}
