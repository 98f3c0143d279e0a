//! Order sync tests, fed with the seed's order detail example.

use super::*;
use crate::domain::{
    ChangeId, ChangeOrder, ChangeOrigin, ChangeRefundKind, ChangeSettlement, ChangeStatus,
    FailureStage, OrderId, Passenger, PersonName, PriceChange, SeatClass, StationRef, TicketId,
    TicketStatus,
};
use crate::providers::panhe::client::unwrap_envelope;
use chrono::{DateTime, Utc};

const ORDER_DETAIL: &str = include_str!("../testdata/order_detail.json");

fn seed_detail() -> OrderDetail {
    unwrap_envelope(ORDER_DETAIL.as_bytes(), "/d").unwrap()
}

fn passenger(name: &str, id: &str) -> Passenger {
    Passenger {
        name: PersonName::new(name.into()).unwrap(),
        id_type: IdType::ResidentIdCard,
        id_number: IdNumber::new(id.into()).unwrap(),
        passenger_type: PassengerType::Adult,
        phone: None,
        birth_date: None,
        sex: None,
        country_code: None,
        id_expiry_date: None,
    }
}

fn station(name: &str) -> StationRef {
    StationRef {
        telecode: String::new(),
        name: name.into(),
    }
}

/// The seed's order as railgate booked it: 李三 listed first on purpose,
/// so matching by identity (not position) is exercised.
fn booked_order() -> Order {
    let now = Utc::now();
    Order {
        id: OrderId::new(),
        provider: ProviderId::Panhe,
        provider_order_no: Some("T24012512251820419".into()),
        customer_order_no: "123456000".into(),
        order_no_12306: None,
        status: OrderStatus::Issuing,
        status_reason: None,
        train_code: "G7199".into(),
        train_no: None,
        from_station: station("苏州北"),
        to_station: station("昆山南"),
        departure: "2024-01-27T06:57:00".parse().unwrap(),
        arrival: "2024-01-27T07:08:00".parse().unwrap(),
        tickets: vec![
            Ticket::new(
                passenger("李三", "341122199202021958"),
                SeatClass::Second,
                None,
            ),
            Ticket::new(
                passenger("张飞", "34112219900101196X"),
                SeatClass::Second,
                None,
            ),
        ],
        contact: None,
        total_amount: None,
        ticket_amount: None,
        service_fee: None,
        pay_deadline: None,
        grab_deadline: None,
        changes: Vec::new(),
        channel: None,
        created_at: now,
        updated_at: now,
        version: 1,
        last_sequence: 1,
        owner: String::new(),
        trace_parent: String::new(),
    }
}

fn change(cha_no: &str, status: ChangeStatus, tickets: Vec<TicketId>) -> ChangeOrder {
    ChangeOrder {
        id: ChangeId::new(),
        provider_change_no: Some(cha_no.into()),
        status,
        ticket_ids: tickets,
        train_code: "K289".into(),
        from_station: station("苏州"),
        to_station: station("昆山"),
        departure: "2024-01-30T04:30:00".parse().unwrap(),
        arrival: "2024-01-30T04:58:00".parse().unwrap(),
        seat_class: SeatClass::HardSeat,
        price_difference: None,
        change_fee: None,
        need_to_pay: None,
        refund_amount: None,
        confirm_deadline: None,
        status_reason: None,
        created_at: Utc::now(),
        settlement: ChangeSettlement::default(),
        origin: ChangeOrigin::Railgate,
    }
}

#[test]
fn applies_the_seed_detail() {
    let mut order = booked_order();
    let ids: Vec<TicketId> = order.tickets.iter().map(|t| t.id.clone()).collect();
    order.changes.push(change(
        "T24012512251820419C3779",
        ChangeStatus::Held,
        ids.clone(),
    ));
    order
        .changes
        .push(change("T24012512251820419C8250", ChangeStatus::Held, ids));
    let changed = apply_detail(&mut order, &seed_detail()).unwrap();
    assert!(changed);
    assert_eq!(order.status, OrderStatus::Issued);
    assert_eq!(order.order_no_12306.as_deref(), Some("EF48476727"));
    assert_eq!(order.total_amount, Some(Fen::new(3100)));
    assert_eq!(order.ticket_amount, Some(Fen::new(2600)));
    assert_eq!(order.service_fee, Some(Fen::new(500)));

    // 张飞 is the seed's first ticket but railgate's second. The change to
    // K289 was issued: its new ticket is in force, the old one replaced.
    let issued_id = order.changes[0].id.clone();
    let zhang = &order.tickets[1];
    assert_eq!(zhang.provider_passenger_id.as_deref(), Some("15155"));
    assert_eq!(zhang.ticket_number.as_deref(), Some("EF484767274060066"));
    assert_eq!(
        (zhang.coach.as_deref(), zhang.seat_number.as_deref()),
        (Some("06"), Some("066"))
    );
    assert_eq!(zhang.status, TicketStatus::Changed);
    assert_eq!(zhang.seat_class, SeatClass::HardSeat);
    assert_eq!(zhang.price, Some(Fen::new(900)));
    let replaced = zhang.replaced.as_ref().expect("the ticket it replaced");
    assert_eq!(replaced.change_id, issued_id);
    assert_eq!(replaced.ticket_number.as_deref(), Some("EF48476727103001A"));
    assert_eq!(
        (replaced.coach.as_deref(), replaced.seat_number.as_deref()),
        (Some("03"), Some("01A"))
    );
    assert_eq!(replaced.seat_class, SeatClass::Second);
    assert_eq!(replaced.price, Some(Fen::new(1300)));
    let li = &order.tickets[0];
    assert_eq!(li.provider_passenger_id.as_deref(), Some("45646"));
    assert_eq!(li.ticket_number.as_deref(), Some("EF484767274010023"));
    assert_eq!(li.seat_number.as_deref(), Some("023"));
    assert_eq!(
        li.replaced.as_ref().unwrap().seat_number.as_deref(),
        Some("01B")
    );

    let issued = &order.changes[0];
    assert_eq!(issued.status, ChangeStatus::Issued);
    assert_eq!(issued.change_fee, Some(Fen::new(100)));
    assert_eq!(issued.refund_amount, Some(Fen::new(300)));
    assert_eq!(issued.need_to_pay, Some(Fen::ZERO));
    // Two ¥9 tickets for two ¥13 ones.
    assert_eq!(issued.price_difference, Some(Fen::new(-800)));
    assert_eq!(
        issued.settlement,
        ChangeSettlement {
            price_change: Some(PriceChange::Lower),
            refund_due: Some(Fen::new(300)),
            difference_refund_fee: Some(Fen::new(400)),
            paid_amount: None,
            paid_at: None,
            refund_kind: Some(ChangeRefundKind::LowerFareDifference),
            // The complete quote: two ¥9 tickets, changRate 0.05, diffRate 0.10.
            new_fare: Some(Fen::new(1800)),
            change_fee_rate_bps: Some(500),
            difference_refund_fee_rate_bps: Some(1000),
        }
    );
    let cancelled = &order.changes[1];
    assert_eq!(cancelled.status, ChangeStatus::Cancelled);
    assert_eq!(cancelled.status_reason.as_deref(), Some("已取消改签申请"));
    assert!(cancelled.confirm_deadline.is_some());
    assert_eq!(cancelled.price_difference, Some(Fen::ZERO));
    assert_eq!(cancelled.settlement.price_change, Some(PriceChange::Equal));
    // The third change (to G3163) is not railgate's: it is shown, marked.
    assert_eq!(order.changes.len(), 3);
    let elsewhere = &order.changes[2];
    assert_eq!(elsewhere.origin, ChangeOrigin::Provider);
    assert_eq!(
        elsewhere.provider_change_no.as_deref(),
        Some("T24012512251820419C8549")
    );
    assert_eq!(elsewhere.train_code, "G3163");
    assert_eq!(elsewhere.status, ChangeStatus::Cancelled);
    assert_eq!(elsewhere.ticket_ids.len(), 2);
    assert_eq!(elsewhere.need_to_pay, Some(Fen::new(3900)));
    // Two ¥19 tickets for two ¥13 ones.
    assert_eq!(elsewhere.price_difference, Some(Fen::new(1200)));
    assert_eq!(elsewhere.settlement.price_change, Some(PriceChange::Higher));
    assert_eq!(elsewhere.settlement.new_fare, Some(Fen::new(3800)));
    assert_eq!(elsewhere.settlement.change_fee_rate_bps, Some(500));
    assert_eq!(elsewhere.settlement.difference_refund_fee_rate_bps, Some(0));
    assert_eq!(
        elsewhere.created_at,
        "2024-01-25T04:49:26Z".parse::<DateTime<Utc>>().unwrap()
    );

    // The same detail again changes nothing (a duplicate callback).
    assert!(!apply_detail(&mut order, &seed_detail()).unwrap());
}

#[test]
fn stale_observations_do_not_move_backwards() {
    let mut order = booked_order();
    order.status = OrderStatus::Issued;
    let mut detail = seed_detail();
    detail.order_status = 7; // an old "issuing" answer arriving late
    apply_detail(&mut order, &detail).unwrap();
    assert_eq!(order.status, OrderStatus::Issued);
}

#[test]
fn unpaid_auto_cancel_is_expiry_but_a_requested_cancel_is_not() {
    for (reason, expected) in [
        (Some("超时未支付,订单已自动取消"), OrderStatus::Expired),
        (Some("已取消订单"), OrderStatus::Cancelled),
        (None, OrderStatus::Cancelled),
    ] {
        let mut detail = seed_detail();
        detail.order_status = 5;
        detail.pay_limit_time = Some("2024-01-25 12:35:36".into());
        detail.un_finished_reason = reason.map(str::to_owned);
        let mut order = booked_order();
        order.status = OrderStatus::Held;
        apply_detail(&mut order, &detail).unwrap();
        assert_eq!(order.status, expected, "{reason:?}");
        assert_eq!(
            order.pay_deadline,
            Some("2024-01-25T04:35:36Z".parse().unwrap())
        );
    }
}

#[test]
fn hold_and_issue_failures_are_told_apart_with_panhes_reason() {
    for (order_code, ticket_code, from, reason, stage) in [
        (
            3,
            3,
            OrderStatus::Pending,
            "商务座已售完,占座失败",
            FailureStage::Hold,
        ),
        (
            9,
            9,
            OrderStatus::Issuing,
            "出票失败:12306出票异常,已全额退款",
            FailureStage::Issue,
        ),
    ] {
        let mut detail = seed_detail();
        detail.order_status = order_code;
        detail.un_finished_reason = Some(reason.to_owned());
        detail.train_cha_order = None;
        for ticket in &mut detail.train_tickets {
            ticket.ticket_status = ticket_code;
        }
        let mut order = booked_order();
        order.status = from;
        for ticket in &mut order.tickets {
            ticket.status = TicketStatus::Pending;
        }
        if from == OrderStatus::Issuing {
            for ticket in &mut order.tickets {
                ticket.status = TicketStatus::Issuing;
            }
        }
        assert_eq!(order.failure_stage(), None, "not failed yet");
        apply_detail(&mut order, &detail).unwrap();
        assert_eq!(order.status, OrderStatus::Failed);
        assert_eq!(order.failure_stage(), Some(stage), "{order_code}");
        assert_eq!(order.status_reason.as_deref(), Some(reason));
    }
}

#[test]
fn undocumented_codes_are_errors() {
    let mut detail = seed_detail();
    detail.order_status = 4;
    let error = apply_detail(&mut booked_order(), &detail).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "orderStatus",
            ..
        }
    ));
    let mut detail = seed_detail();
    detail.train_tickets[0].ticket_status = 36;
    let error = apply_detail(&mut booked_order(), &detail).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "ticketStatus",
            ..
        }
    ));
}

#[test]
fn passenger_codes_round_trip() {
    for code in [1, 2, 3, 4, 8, 9] {
        assert_eq!(id_type_to_code(id_type_from_code(code).unwrap()), code);
    }
    for code in [0, 5, 6, 7, 10] {
        assert_eq!(id_type_from_code(code), None, "{code}");
    }
    for code in 1..=4 {
        assert_eq!(
            passenger_type_to_code(passenger_type_from_code(code).unwrap()),
            code
        );
    }
    assert_eq!(passenger_type_from_code(5), None);
    assert_eq!((sex_to_code(Sex::Male), sex_to_code(Sex::Female)), (1, 2));
}

#[test]
fn seat_numbers_split_into_coach_and_seat() {
    assert_eq!(
        split_seat_no("03车厢,01A座"),
        (Some("03".into()), Some("01A".into()))
    );
    assert_eq!(
        split_seat_no("06车厢,066号"),
        (Some("06".into()), Some("066".into()))
    );
    assert_eq!(split_seat_no("无座"), (None, Some("无座".into())));
    assert_eq!(split_seat_no(" "), (None, None));
}

#[test]
fn masked_numbers_match_only_their_owner() {
    let id = IdNumber::new("34112219900101196X".into()).unwrap();
    assert!(masked_matches("3411***********96X", &id));
    assert!(masked_matches("3411***********96x", &id));
    assert!(!masked_matches("3411***********958", &id));
    assert!(!masked_matches("3411**********96X", &id));
}

#[test]
fn an_unnumbered_change_is_found_by_its_train_and_tickets() {
    let mut order = booked_order();
    let ids: Vec<TicketId> = order.tickets.iter().map(|t| t.id.clone()).collect();
    // applyChange timed out: railgate never learnt the number.
    let mut lost = change(
        "unused",
        ChangeStatus::Pending,
        ids.iter().rev().cloned().collect(),
    );
    lost.provider_change_no = None;
    let lost_id = lost.id.clone();
    order.changes.push(lost);
    apply_detail(&mut order, &seed_detail()).unwrap();
    let found = &order.changes[0];
    assert_eq!(found.id, lost_id);
    assert_eq!(
        found.provider_change_no.as_deref(),
        Some("T24012512251820419C3779")
    );
    assert_eq!(found.origin, ChangeOrigin::Railgate);
    assert_eq!(found.status, ChangeStatus::Issued);
    // The other two are not railgate's.
    let origins: Vec<ChangeOrigin> = order.changes.iter().map(|c| c.origin).collect();
    assert_eq!(
        origins,
        [
            ChangeOrigin::Railgate,
            ChangeOrigin::Provider,
            ChangeOrigin::Provider
        ]
    );
    // Read again: nothing new is added.
    assert!(!apply_detail(&mut order, &seed_detail()).unwrap());
    assert_eq!(order.changes.len(), 3);
}

#[test]
fn a_changed_tickets_refund_is_read_from_its_change_order() {
    let mut order = booked_order();
    apply_detail(&mut order, &seed_detail()).unwrap();
    // Refund of 张飞's new ticket: its statuses live under the change.
    let mut detail = seed_detail();
    let changes = detail.train_cha_order.as_mut().unwrap();
    let new_ticket = &mut changes[0].train_tickets[0];
    new_ticket.ticket_status = 21;
    new_ticket.refund_ticket_poundage = Some(rust_decimal::Decimal::new(5, 1));
    new_ticket.refund_ticket_amount = Some(rust_decimal::Decimal::new(85, 1));
    assert!(apply_detail(&mut order, &detail).unwrap());
    let zhang = &order.tickets[1];
    assert_eq!(zhang.status, TicketStatus::Refunded);
    assert_eq!(zhang.refund_fee, Some(Fen::new(50)));
    assert_eq!(zhang.refund_amount, Some(Fen::new(850)));
    assert_eq!(zhang.ticket_number.as_deref(), Some("EF484767274060066"));
    // The original's entry (still 34) does not undo it.
    assert!(!apply_detail(&mut order, &detail).unwrap());
    assert_eq!(order.tickets[1].status, TicketStatus::Refunded);
}

#[test]
fn a_rate_outside_zero_to_one_breaks_the_contract() {
    let mut order = booked_order();
    let mut detail = seed_detail();
    detail.train_cha_order.as_mut().unwrap()[0].chang_rate =
        Some(rust_decimal::Decimal::new(15, 1)); // 1.5
    assert!(matches!(
        apply_detail(&mut order, &detail),
        Err(ProviderError::Malformed { .. })
    ));
}
