//! Sample alitrip-channel orders for the unit tests of [`super`] and for
//! the tests that send them to the fake TOP gateway (`tests/it/alitrip`).
//! Constant data: the `expect`s below hold for these literals.

use super::sm4::{FieldCipher, Sm4Config};
use crate::domain::{
    Channel, Contact, Fen, IdNumber, IdType, Order, OrderId, OrderStatus, Passenger, PassengerType,
    PersonName, PhoneNumber, ProviderId, SeatClass, Sex, StationRef, Ticket, TicketStatus,
};
use chrono::{NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

/// The key shared by the tests (GB/T 32907's example key).
pub const KEY: &str = "0123456789abcdeffedcba9876543210";

/// The default cipher under [`KEY`].
pub fn cipher() -> FieldCipher {
    FieldCipher::new(&Sm4Config::with_hex_key(KEY)).expect("valid test key")
}

/// A resident-ID passenger.
pub fn resident() -> Passenger {
    Passenger {
        name: PersonName::new("欧阳娜娜".into()).expect("a valid literal"),
        id_type: IdType::ResidentIdCard,
        id_number: IdNumber::new("11010519491231002X".into()).expect("a valid literal"),
        passenger_type: PassengerType::Adult,
        phone: Some(PhoneNumber::new("15712340587".into()).expect("a valid literal")),
        birth_date: None,
        sex: Some(Sex::Female),
        country_code: None,
        id_expiry_date: None,
    }
}

/// A passport holder, with the fields the seed requires for non-ID cards.
pub fn passport_holder() -> Passenger {
    Passenger {
        name: PersonName::new("JOHN SMITH".into()).expect("a valid literal"),
        id_type: IdType::Passport,
        id_number: IdNumber::new("E12345678".into()).expect("a valid literal"),
        passenger_type: PassengerType::Child,
        phone: Some(PhoneNumber::new("+85291234578".into()).expect("a valid literal")),
        birth_date: NaiveDate::from_ymd_opt(2015, 6, 1),
        sex: Some(Sex::Male),
        country_code: Some("GB".into()),
        id_expiry_date: NaiveDate::from_ymd_opt(2030, 12, 12),
    }
}

/// alitrip's ids for the two passengers of [`issued_order`].
pub fn passenger_ids() -> Vec<String> {
    vec!["123452".into(), "123453".into()]
}

/// An issued order of two tickets on G1 北京南 → 上海虹桥, from alitrip.
pub fn issued_order() -> Order {
    let departure = NaiveDate::from_ymd_opt(2026, 11, 24)
        .expect("a valid literal")
        .and_hms_opt(7, 0, 0)
        .expect("a valid literal");
    let created = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
    let mut first = Ticket::new(resident(), SeatClass::Second, None);
    first.status = TicketStatus::Issued;
    first.price = Some(Fen::new(66_250));
    first.coach = Some("03".into());
    first.seat_number = Some("01A".into());
    first.ticket_number = Some("EF48476727103001A".into());
    let mut second = Ticket::new(passport_holder(), SeatClass::Second, None);
    second.status = TicketStatus::Issued;
    second.price = Some(Fen::new(33_150));
    second.coach = Some("03".into());
    second.seat_number = Some("01B".into());
    second.ticket_number = Some("EF48476727103001B".into());
    Order {
        id: OrderId::new(),
        provider: ProviderId::Panhe,
        provider_order_no: Some("T24012512251820419".into()),
        customer_order_no: "rg0001".into(),
        order_no_12306: Some("EF48476727".into()),
        status: OrderStatus::Issued,
        status_reason: None,
        train_code: "G1".into(),
        train_no: Some("24000000G10Q".into()),
        from_station: StationRef {
            telecode: "VNP".into(),
            name: "北京南".into(),
        },
        to_station: StationRef {
            telecode: "AOH".into(),
            name: "上海虹桥".into(),
        },
        departure,
        arrival: departure + chrono::Duration::minutes(278),
        tickets: vec![first, second],
        contact: Some(Contact {
            name: PersonName::new("张三".into()).expect("a valid literal"),
            phone: PhoneNumber::new("18754683215".into()).expect("a valid literal"),
        }),
        total_amount: Some(Fen::new(99_900)),
        ticket_amount: Some(Fen::new(99_400)),
        service_fee: Some(Fen::new(500)),
        pay_deadline: None,
        grab_deadline: None,
        changes: Vec::new(),
        channel: Some(Channel::Alitrip {
            order_id: "123456789".into(),
            purchase_type: "2".into(),
            extra: BTreeMap::new(),
            passenger_ids: passenger_ids(),
        }),
        created_at: created,
        updated_at: created,
        version: 3,
        last_sequence: 3,
        owner: String::new(),
        trace_parent: String::new(),
    }
}

/// The same order, failed before any price was known.
pub fn failed_order() -> Order {
    let mut order = issued_order();
    order.status = OrderStatus::Failed;
    order.status_reason = Some("车次已无票".into());
    order.total_amount = None;
    order.ticket_amount = None;
    order.order_no_12306 = None;
    for ticket in &mut order.tickets {
        ticket.status = TicketStatus::HoldFailed;
        ticket.price = None;
        ticket.coach = None;
        ticket.seat_number = None;
        ticket.ticket_number = None;
    }
    order
}
