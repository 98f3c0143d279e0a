//! Orders to store: a minimal one and one with every field set.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use railgate::domain::booking::{Channel, Contact};
use railgate::domain::{
    Berth, ChangeId, ChangeOrder, ChangeOrigin, ChangeRefundKind, ChangeSettlement, ChangeStatus,
    Fen, IdNumber, IdType, Order, OrderId, OrderStatus, Passenger, PassengerType, PersonName,
    PhoneNumber, PriceChange, ProviderId, ReplacedTicket, SeatClass, Sex, StationRef, Ticket,
    TicketStatus,
};
use std::collections::BTreeMap;

pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap()
}

fn passenger(name: &str, id_number: &str, phone: Option<&str>) -> Passenger {
    Passenger {
        name: PersonName::new(name.into()).unwrap(),
        id_type: IdType::ResidentIdCard,
        id_number: IdNumber::new(id_number.into()).unwrap(),
        passenger_type: PassengerType::Adult,
        phone: phone.map(|phone| PhoneNumber::new(phone.into()).unwrap()),
        birth_date: None,
        sex: None,
        country_code: None,
        id_expiry_date: None,
    }
}

/// A minimal pending order with one ticket, created at `created_at`.
pub fn order_at(created_at: DateTime<Utc>) -> Order {
    let departure = NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_hms_opt(7, 0, 0)
        .unwrap();
    let id = OrderId::new();
    Order {
        customer_order_no: format!("rg{}", &id.as_str()[4..]),
        id,
        provider: ProviderId::Panhe,
        provider_order_no: None,
        order_no_12306: None,
        status: OrderStatus::Pending,
        status_reason: None,
        train_code: "G1".into(),
        train_no: None,
        from_station: StationRef {
            telecode: "VNP".into(),
            name: "北京南".into(),
        },
        to_station: StationRef {
            telecode: "AOH".into(),
            name: "上海虹桥".into(),
        },
        departure,
        arrival: departure + Duration::minutes(268),
        tickets: vec![Ticket::new(
            passenger("张三", "11010519491231002X", Some("15712340587")),
            SeatClass::Second,
            None,
        )],
        contact: None,
        total_amount: None,
        ticket_amount: None,
        service_fee: None,
        pay_deadline: None,
        grab_deadline: None,
        changes: Vec::new(),
        channel: None,
        created_at,
        updated_at: created_at,
        version: 0,
        last_sequence: 0,
        owner: String::new(),
        trace_parent: String::new(),
    }
}

/// An order with every optional field set, two tickets and a change.
pub fn full_order() -> Order {
    // Nanoseconds: the store keeps microseconds and says so.
    let now = base_time() + Duration::nanoseconds(123_456_789);
    let mut order = order_at(now);
    order.provider_order_no = Some("T24012512251820419".into());
    order.order_no_12306 = Some("EF48476727".into());
    order.status = OrderStatus::Issued;
    order.status_reason = Some("出票成功".into());
    order.train_no = Some("24000000G10I".into());
    order.contact = Some(Contact {
        name: PersonName::new("李伟".into()).unwrap(),
        phone: PhoneNumber::new("18754683215".into()).unwrap(),
    });
    order.total_amount = Some(Fen::new(111_100));
    order.ticket_amount = Some(Fen::new(110_600));
    order.service_fee = Some(Fen::new(500));
    order.pay_deadline = Some(now + Duration::minutes(10));
    order.grab_deadline = Some(now + Duration::hours(5));
    order.channel = Some(Channel::Alitrip {
        order_id: "ali-8842".into(),
        purchase_type: "1".into(),
        extra: BTreeMap::from([("corp".to_owned(), "acme".to_owned())]),
        passenger_ids: vec!["ali-p-1".into(), "ali-p-2".into()],
    });
    let first = &mut order.tickets[0];
    first.status = TicketStatus::Changed;
    first.price = Some(Fen::new(55_300));
    first.coach = Some("03".into());
    first.seat_number = Some("01A".into());
    first.ticket_number = Some("EF48476727103001A".into());
    first.provider_passenger_id = Some("15155".into());
    let mut second = Ticket::new(
        Passenger {
            name: PersonName::new("JOHN SMITH".into()).unwrap(),
            id_type: IdType::Passport,
            id_number: IdNumber::new("E12345678".into()).unwrap(),
            passenger_type: PassengerType::Student,
            phone: Some(PhoneNumber::new("+85291234578".into()).unwrap()),
            birth_date: NaiveDate::from_ymd_opt(2004, 2, 29),
            sex: Some(Sex::Male),
            country_code: Some("GB".into()),
            id_expiry_date: NaiveDate::from_ymd_opt(2031, 6, 30),
        },
        SeatClass::SoftSleeper,
        Some(Berth::Upper),
    );
    second.status = TicketStatus::Refunded;
    second.price = Some(Fen::new(55_300));
    second.refund_fee = Some(Fen::new(2_765));
    second.refund_amount = Some(Fen::new(52_535));
    second.refund_failure_reason = Some("曾经失败一次".into());
    order.tickets.push(second);
    let departure = order.departure + Duration::days(3);
    let change_id = ChangeId::new();
    // Every stored field set: the first ticket was changed, its original
    // kept; the change was made outside railgate.
    order.tickets[0].replaced = Some(ReplacedTicket {
        change_id: change_id.clone(),
        ticket_number: Some("EF48476727103001B".into()),
        seat_class: SeatClass::Second,
        price: Some(Fen::new(1_300)),
        coach: Some("05".into()),
        seat_number: Some("02F".into()),
    });
    order.changes.push(ChangeOrder {
        id: change_id,
        provider_change_no: Some("T24012512251820419C3779".into()),
        status: ChangeStatus::Issued,
        ticket_ids: vec![order.tickets[0].id.clone()],
        train_code: "K289".into(),
        from_station: StationRef {
            telecode: "SZH".into(),
            name: "苏州".into(),
        },
        to_station: StationRef {
            telecode: "KSH".into(),
            name: "昆山".into(),
        },
        departure,
        arrival: departure + Duration::minutes(28),
        seat_class: SeatClass::HardSeat,
        price_difference: Some(Fen::new(-400)),
        change_fee: Some(Fen::new(100)),
        need_to_pay: Some(Fen::ZERO),
        refund_amount: Some(Fen::new(300)),
        confirm_deadline: Some(now + Duration::minutes(30)),
        status_reason: Some("行程有变".into()),
        created_at: now + Duration::minutes(1),
        settlement: ChangeSettlement {
            price_change: Some(PriceChange::Lower),
            refund_due: Some(Fen::new(300)),
            difference_refund_fee: Some(Fen::new(400)),
            paid_amount: Some(Fen::new(1)),
            paid_at: Some(now + Duration::minutes(2)),
            refund_kind: Some(ChangeRefundKind::LowerFareDifference),
            new_fare: Some(Fen::new(1800)),
            change_fee_rate_bps: Some(500),
            difference_refund_fee_rate_bps: Some(1000),
        },
        origin: ChangeOrigin::Provider,
    });
    order
}
