//! Order sync tests, fed with the seeds' order detail and callback
//! examples (and variations of them).

use super::*;
use crate::domain::{
    Berth, Contact, IdNumber, IdType, OrderId, Passenger, PassengerType, PersonName, PhoneNumber,
    ProviderId, SeatClass, StationRef,
};
use crate::providers::juhe::client::unwrap_envelope;
use chrono::DateTime;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const GRAB_DETAIL: &str = include_str!("../testdata/order_detail.json");
const ISSUED_DETAIL: &str = include_str!("../testdata/order_detail_issued.json");
const ISSUED: &str = include_str!("../testdata/callback_issued.json");
const ISSUE_FAILED: &str = include_str!("../testdata/callback_issue_failed.json");
const EXPIRED: &str = include_str!("../testdata/callback_grab_expired.json");
const REFUNDED: &str = include_str!("../testdata/callback_refunded.json");
const REFUND_FAILED: &str = include_str!("../testdata/callback_refund_failed.json");

/// A detail's `result`, changed by `edit`.
fn detail<T: DeserializeOwned>(envelope: &str, edit: impl FnOnce(&mut Value)) -> T {
    let mut envelope: Value = serde_json::from_str(envelope).unwrap();
    edit(&mut envelope["result"]);
    unwrap_envelope(envelope.to_string().as_bytes(), "/orderDetail.php").unwrap()
}

/// A callback payload, changed by `edit`.
fn callback<T: DeserializeOwned>(payload: &str, edit: impl FnOnce(&mut Value)) -> T {
    let mut payload: Value = serde_json::from_str(payload).unwrap();
    edit(&mut payload);
    serde_json::from_value(payload).unwrap()
}

fn keep(_: &mut Value) {}

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

/// A grab order as railgate recorded it: main train Z175 苏州 → 昆山,
/// the given passengers, a contact named 李四.
fn grab_order(customer_order_no: &str, passengers: &[(&str, &str)]) -> Order {
    let now = Utc::now();
    let departure: NaiveDateTime = "2016-12-30T02:29:00".parse().unwrap();
    Order {
        id: OrderId::new(),
        provider: ProviderId::Juhe,
        provider_order_no: None,
        customer_order_no: customer_order_no.into(),
        order_no_12306: None,
        status: OrderStatus::Pending,
        status_reason: None,
        train_code: "Z175".into(),
        train_no: None,
        from_station: station("苏州"),
        to_station: station("昆山"),
        departure,
        arrival: departure + chrono::TimeDelta::minutes(24),
        tickets: passengers
            .iter()
            .map(|(name, id)| Ticket::new(passenger(name, id), SeatClass::HardSeat, None))
            .collect(),
        contact: Some(Contact {
            name: PersonName::new("李四".into()).unwrap(),
            phone: PhoneNumber::new("15991234577".into()).unwrap(),
        }),
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

fn at(text: &str) -> NaiveDateTime {
    text.parse().unwrap()
}

#[test]
fn applies_the_seed_grab_detail() {
    let mut order = grab_order("2016113001", &[("魏大伟", "320382199001013916")]);
    let changed = apply_grab_detail(&mut order, &detail(GRAB_DETAIL, keep)).unwrap();
    assert!(changed);
    assert_eq!(order.status, OrderStatus::Failed, "U 出票失败");
    assert_eq!(
        order.provider_order_no.as_deref(),
        Some("TFT583U2D6U21011A3068416353")
    );
    // 18:00 in Shanghai.
    let deadline: DateTime<Utc> = "2016-11-30T10:00:00Z".parse().unwrap();
    assert_eq!(order.grab_deadline, Some(deadline));
    assert_eq!(
        order.status_reason.as_deref(),
        Some("乘客身份信息未通过验证_订票失败 添加乘客 未通过身份效验 XXX 320************16")
    );
    // ticketPrice 0: nothing grabbed, so no price yet.
    assert_eq!(order.tickets[0].price, None);
    assert_eq!(order.tickets[0].status, TicketStatus::Pending);
}

#[test]
fn names_in_failure_messages_are_masked() {
    let mut order = grab_order("2016113001", &[("魏大伟", "320382199001013916")]);
    let detail: GrabOrderDetail = detail(GRAB_DETAIL, |result| {
        result["failMsg"] = json!("添加乘客 魏大伟 未通过身份效验 320382199001013916, 联系人李四");
    });
    apply_grab_detail(&mut order, &detail).unwrap();
    let reason = order.status_reason.unwrap();
    assert_eq!(
        reason,
        "添加乘客 魏*伟 未通过身份效验 320*************16, 联系人李*"
    );
    for raw in ["魏大伟", "李四", "320382199001013916"] {
        assert!(!reason.contains(raw), "{raw} in {reason}");
    }
}

#[test]
fn a_grab_order_walks_forward_and_ignores_stale_letters() {
    let mut order = grab_order("2016113001", &[("魏大伟", "320382199001013916")]);
    let with_status = |letter: &str, price: f64| -> GrabOrderDetail {
        detail(GRAB_DETAIL, |result| {
            result["status"] = json!(letter);
            result["failMsg"] = json!("");
            result["passengers"][0]["ticketPrice"] = json!(price);
        })
    };
    assert!(apply_grab_detail(&mut order, &with_status("N", 0.0)).unwrap());
    assert_eq!(order.status, OrderStatus::Grabbing);
    assert!(!apply_grab_detail(&mut order, &with_status("B", 0.0)).unwrap());
    assert!(!apply_grab_detail(&mut order, &with_status("D", 0.0)).unwrap());
    assert!(apply_grab_detail(&mut order, &with_status("F", 9.0)).unwrap());
    assert_eq!(order.status, OrderStatus::Issued);
    assert_eq!(order.tickets[0].price, Some(Fen::new(900)));
    assert_eq!(order.status_reason, None);
    // A detail read before the grab succeeded, delivered late.
    assert!(!apply_grab_detail(&mut order, &with_status("D", 9.0)).unwrap());
    assert_eq!(order.status, OrderStatus::Issued);
}

#[test]
fn expired_cancelled_and_unknown_letters() {
    for (letter, status) in [("O", OrderStatus::Expired), ("C", OrderStatus::Cancelled)] {
        let mut order = grab_order("2016113001", &[("魏大伟", "320382199001013916")]);
        order.status = OrderStatus::Grabbing;
        let detail: GrabOrderDetail = detail(GRAB_DETAIL, |result| {
            result["status"] = json!(letter);
        });
        apply_grab_detail(&mut order, &detail).unwrap();
        assert_eq!(order.status, status, "{letter}");
    }
    let mut order = grab_order("2016113001", &[("魏大伟", "320382199001013916")]);
    let before = order.clone();
    let detail: GrabOrderDetail = detail(GRAB_DETAIL, |result| {
        result["status"] = json!("Q");
    });
    let error = apply_grab_detail(&mut order, &detail).unwrap_err();
    assert!(
        matches!(&error, ProviderError::UnknownCode { field: "status", value, .. } if value == "Q"),
        "{error:?}"
    );
    assert_eq!(order, before, "nothing applied");
}

#[test]
fn applies_the_seed_issued_detail() {
    let mut order = grab_order("2016120501", &[("王大锤", "110105197606130012")]);
    order.status = OrderStatus::Grabbing;
    let changed = apply_issued_detail(&mut order, &detail(ISSUED_DETAIL, keep)).unwrap();
    assert!(changed);
    assert_eq!(order.status, OrderStatus::Issued);
    assert_eq!(
        order.provider_order_no.as_deref(),
        Some("FT584505292101648041264455")
    );
    assert_eq!(order.order_no_12306.as_deref(), Some("E345091034"));
    // The train actually issued, with its times.
    assert_eq!(order.train_code, "K8371");
    assert_eq!(order.departure, at("2016-12-29T03:34:00"));
    assert_eq!(order.arrival, at("2016-12-29T03:58:00"));
    assert_eq!(order.ticket_amount, Some(Fen::new(900)));
    assert_eq!(order.service_fee, Some(Fen::new(800)));
    assert_eq!(order.total_amount, Some(Fen::new(1700)));
    assert_eq!(order.status_reason, None, "failureReason is blank");
    let ticket = &order.tickets[0];
    assert_eq!(ticket.provider_passenger_id.as_deref(), Some("623838773"));
    assert_eq!(ticket.status, TicketStatus::Issued);
    assert_eq!(ticket.seat_class, SeatClass::HardSeat);
    assert_eq!(ticket.coach.as_deref(), Some("07"));
    assert_eq!(ticket.seat_number.as_deref(), Some("009"));
    assert_eq!(ticket.ticket_number.as_deref(), Some("E3450910341070009"));
    assert_eq!(ticket.price, Some(Fen::new(900)));
    assert!(
        !apply_issued_detail(&mut order, &detail(ISSUED_DETAIL, keep)).unwrap(),
        "the same detail again changes nothing"
    );
}

#[test]
fn ticket_states_move_forward_only() {
    let mut order = grab_order("2016120501", &[("王大锤", "110105197606130012")]);
    let with_state = |state: &str| -> IssuedOrderDetail {
        detail(ISSUED_DETAIL, |result| {
            result["orderStateCode"] = json!(if state == "T" { "T" } else { "F" });
            result["passengers"][0]["ticketStateCode"] = json!(state);
        })
    };
    apply_issued_detail(&mut order, &with_state("C")).unwrap();
    assert_eq!(order.status, OrderStatus::Issued, "T/E orders stay issued");
    assert_eq!(order.tickets[0].status, TicketStatus::Refunding);
    apply_issued_detail(&mut order, &with_state("T")).unwrap();
    assert_eq!(order.tickets[0].status, TicketStatus::Refunded);
    // A detail read before the refund, delivered late.
    assert!(!apply_issued_detail(&mut order, &with_state("F")).unwrap());
    assert_eq!(order.tickets[0].status, TicketStatus::Refunded);

    let mut order = grab_order("2016120501", &[("王大锤", "110105197606130012")]);
    let error = apply_issued_detail(&mut order, &with_state("Z")).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "ticketStateCode",
            ..
        }
    ));
}

#[test]
fn a_berth_code_sets_the_berth_and_a_seat_code_clears_it() {
    let mut order = grab_order("2016120501", &[("王大锤", "110105197606130012")]);
    order.tickets[0].seat_class = SeatClass::HardSleeper;
    order.tickets[0].berth = Some(Berth::Lower);
    let with_seat = |code: &str| -> IssuedOrderDetail {
        detail(ISSUED_DETAIL, |result| {
            result["passengers"][0]["seatClass"] = json!(code);
        })
    };
    apply_issued_detail(&mut order, &with_seat("hardsleeperup")).unwrap();
    assert_eq!(order.tickets[0].berth, Some(Berth::Upper));
    let mut order = grab_order("2016120501", &[("王大锤", "110105197606130012")]);
    order.tickets[0].berth = Some(Berth::Lower);
    apply_issued_detail(&mut order, &with_seat("secondseat")).unwrap();
    assert_eq!(order.tickets[0].seat_class, SeatClass::Second);
    assert_eq!(order.tickets[0].berth, None);
    let error = apply_issued_detail(&mut order, &with_seat("sofa")).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "seatClass",
            ..
        }
    ));
}

#[test]
fn a_payload_for_another_order_is_refused() {
    let mut order = grab_order("rg0000000001", &[("王大锤", "110105197606130012")]);
    let before = order.clone();
    let error = apply_issued_detail(&mut order, &detail(ISSUED_DETAIL, keep)).unwrap_err();
    assert!(
        matches!(error, ProviderError::Malformed { .. }),
        "{error:?}"
    );
    let issued: IssueCallback = callback(ISSUED, keep);
    assert!(apply_issue_callback(&mut order, &issued).is_err());
    let expired: GrabExpiredCallback = callback(EXPIRED, keep);
    assert!(apply_grab_expired(&mut order, &expired).is_err());
    let refunded: RefundCallback = callback(REFUNDED, keep);
    assert!(apply_refund_callback(&mut order, &refunded).is_err());
    assert_eq!(order, before);
}

/// The seed's issued callback applied to its order.
fn issued_order() -> Order {
    let mut order = grab_order("2016113006", &[("奥巴马", "110105196108040011")]);
    order.status = OrderStatus::Grabbing;
    let issued: IssueCallback = callback(ISSUED, keep);
    assert!(apply_issue_callback(&mut order, &issued).unwrap());
    order
}

#[test]
fn applies_the_seed_issued_callback() {
    let order = issued_order();
    assert_eq!(order.status, OrderStatus::Issued);
    assert_eq!(
        order.provider_order_no.as_deref(),
        Some("TFT583U7D552101629055112720")
    );
    assert_eq!(order.order_no_12306.as_deref(), Some("E566781381"));
    assert_eq!(order.train_code, "Z175");
    assert_eq!(order.departure, at("2016-12-29T02:29:00"));
    assert_eq!(order.arrival, at("2016-12-29T02:53:00"));
    assert_eq!(order.total_amount, Some(Fen::new(1700)));
    let ticket = &order.tickets[0];
    assert_eq!(ticket.status, TicketStatus::Issued);
    assert_eq!(ticket.provider_passenger_id.as_deref(), Some("615151438"));
    assert_eq!(
        ticket.seat_class,
        SeatClass::HardSeat,
        "callback seatClass 1"
    );
    assert_eq!(
        (ticket.coach.as_deref(), ticket.seat_number.as_deref()),
        (Some("02"), Some("007"))
    );
    assert_eq!(ticket.ticket_number.as_deref(), Some("E5667813811020007"));
    assert_eq!(ticket.price, Some(Fen::new(900)));

    let mut again = order.clone();
    let duplicate: IssueCallback = callback(ISSUED, keep);
    assert!(!apply_issue_callback(&mut again, &duplicate).unwrap());
    assert_eq!(again, order, "a duplicate callback changes nothing");
}

#[test]
fn applies_the_seed_issue_failure() {
    let mut order = grab_order("2016113001", &[("张三", "110105194912310021")]);
    order.status = OrderStatus::Grabbing;
    let failed: IssueCallback = callback(ISSUE_FAILED, keep);
    assert!(apply_issue_callback(&mut order, &failed).unwrap());
    assert_eq!(order.status, OrderStatus::Failed);
    assert_eq!(order.status_reason.as_deref(), Some("出票失败"));
    assert_eq!(order.train_code, "Z175", "nothing issued, the train stays");
    let ticket = &order.tickets[0];
    assert_eq!(ticket.status, TicketStatus::IssueFailed);
    assert_eq!(ticket.provider_passenger_id.as_deref(), Some("123"));
    assert_eq!(ticket.price, None);

    let mut order = grab_order("2016113001", &[("张三", "110105194912310021")]);
    let failed: IssueCallback = callback(ISSUE_FAILED, |payload| {
        payload["msgCode"] = json!("308");
        payload["msgInfo"] = json!("乘客身份信息未通过验证");
        payload["msgDetail"] = json!("张三|110105194912310021");
    });
    apply_issue_callback(&mut order, &failed).unwrap();
    assert_eq!(
        order.status_reason.as_deref(),
        Some("乘客身份信息未通过验证: 张*|110*************21")
    );
}

#[test]
fn an_issue_failure_after_issue_is_stale() {
    let mut order = issued_order();
    let before = order.clone();
    let failed: IssueCallback = callback(ISSUE_FAILED, |payload| {
        payload["outOrderNo"] = json!("2016113006");
        payload["passengers"][0]["passengerId"] = json!("615151438");
    });
    assert!(!apply_issue_callback(&mut order, &failed).unwrap());
    assert_eq!(order, before, "neither the status nor its reason applied");
}

#[test]
fn undocumented_msg_codes_are_unknown() {
    let mut order = grab_order("2016113006", &[("奥巴马", "110105196108040011")]);
    let odd: IssueCallback = callback(ISSUED, |payload| payload["msgCode"] = json!("555"));
    let error = apply_issue_callback(&mut order, &odd).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "msgCode",
            ..
        }
    ));
}

#[test]
fn applies_the_seed_expiry() {
    let mut order = grab_order("2016113005", &[("张三", "110105194912310021")]);
    order.status = OrderStatus::Grabbing;
    let expired: GrabExpiredCallback = callback(EXPIRED, keep);
    assert!(apply_grab_expired(&mut order, &expired).unwrap());
    assert_eq!(order.status, OrderStatus::Expired);
    assert_eq!(order.status_reason.as_deref(), Some("抢票单过期"));
    assert_eq!(
        order.provider_order_no.as_deref(),
        Some("TFT583U7C4921011A3062532520")
    );
    assert!(!apply_grab_expired(&mut order, &expired).unwrap());
}

#[test]
fn an_expiry_after_issue_is_stale() {
    let mut order = issued_order();
    let expired: GrabExpiredCallback = callback(EXPIRED, |payload| {
        payload["outOrderNo"] = json!("2016113006");
    });
    assert!(!apply_grab_expired(&mut order, &expired).unwrap());
    assert_eq!(order.status, OrderStatus::Issued);
    assert_eq!(order.status_reason, None);
}

#[test]
fn applies_the_seed_refund() {
    let mut order = issued_order();
    let refunded: RefundCallback = callback(REFUNDED, keep);
    assert!(apply_refund_callback(&mut order, &refunded).unwrap());
    let ticket = &order.tickets[0];
    assert_eq!(ticket.status, TicketStatus::Refunded);
    assert_eq!(ticket.refund_amount, Some(Fen::new(900)));
    assert_eq!(ticket.refund_fee, Some(Fen::ZERO));
    assert_eq!(order.status, OrderStatus::Issued, "the order stays issued");
    assert!(!apply_refund_callback(&mut order, &refunded).unwrap());

    let mut order = issued_order();
    let partial: RefundCallback = callback(REFUNDED, |payload| {
        payload["refundPrice"] = json!("7.00");
        payload["passengers"][0]["refundPrice"] = json!("7.00");
    });
    apply_refund_callback(&mut order, &partial).unwrap();
    assert_eq!(order.tickets[0].refund_amount, Some(Fen::new(700)));
    assert_eq!(order.tickets[0].refund_fee, Some(Fen::new(200)));
}

#[test]
fn applies_the_seed_refund_failure_and_a_retry() {
    let mut order = issued_order();
    let failed: RefundCallback = callback(REFUND_FAILED, |payload| {
        payload["outOrderNo"] = json!("2016113006");
        payload["passengers"][0]["passengerId"] = json!("615151438");
    });
    assert!(apply_refund_callback(&mut order, &failed).unwrap());
    let ticket = &order.tickets[0];
    assert_eq!(ticket.status, TicketStatus::RefundFailed);
    assert_eq!(ticket.refund_failure_reason.as_deref(), Some("参数无效"));
    assert_eq!(ticket.refund_amount, None);
    // Applied for again, and this time refunded.
    let refunded: RefundCallback = callback(REFUNDED, keep);
    apply_refund_callback(&mut order, &refunded).unwrap();
    assert_eq!(order.tickets[0].status, TicketStatus::Refunded);
    // The old failure, delivered again, does not undo the refund.
    assert!(!apply_refund_callback(&mut order, &failed).unwrap());
    assert_eq!(order.tickets[0].status, TicketStatus::Refunded);
}

#[test]
fn money_returned_for_other_reasons_refunds_no_ticket() {
    let mut order = issued_order();
    let before = order.clone();
    for kind in ["issuefail", "repeatpay", "0", "other"] {
        let money: RefundCallback = callback(REFUNDED, |payload| {
            payload["refundType"] = json!(kind);
        });
        assert!(
            !apply_refund_callback(&mut order, &money).unwrap(),
            "{kind}"
        );
    }
    assert_eq!(order, before);
    let odd: RefundCallback = callback(REFUNDED, |payload| {
        payload["refundType"] = json!("gift");
    });
    let error = apply_refund_callback(&mut order, &odd).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::UnknownCode {
            field: "refundType",
            ..
        }
    ));
}

#[test]
fn a_station_refund_railgate_did_not_ask_for_still_lands() {
    let mut order = issued_order();
    let offline: RefundCallback = callback(REFUNDED, |payload| {
        payload["refundType"] = json!("offline");
        payload["passengers"][0]["passengerId"] = json!("");
    });
    apply_refund_callback(&mut order, &offline).unwrap();
    assert_eq!(
        order.tickets[0].status,
        TicketStatus::Refunded,
        "by ticket number"
    );
}

#[test]
fn several_passengers_are_matched_by_identity() {
    let mut order = grab_order(
        "2016113006",
        &[
            ("李三", "341122199202021958"),
            ("奥巴马", "110105196108040011"),
        ],
    );
    let issued: IssueCallback = callback(ISSUED, |payload| {
        payload["passengers"][0]["cardNo"] = json!("110105XXXXXXXX0011");
    });
    apply_issue_callback(&mut order, &issued).unwrap();
    assert_eq!(order.tickets[0].provider_passenger_id, None);
    assert_eq!(order.tickets[0].status, TicketStatus::Pending);
    assert_eq!(
        order.tickets[1].provider_passenger_id.as_deref(),
        Some("615151438")
    );
    assert_eq!(order.tickets[1].status, TicketStatus::Issued);
}

#[test]
fn a_payload_with_an_unreadable_value_changes_nothing() {
    let mut order = grab_order("2016113006", &[("奥巴马", "110105196108040011")]);
    order.status = OrderStatus::Grabbing;
    let before = order.clone();
    let garbled: IssueCallback = callback(ISSUED, |payload| {
        payload["arrivalTime"] = json!("tomorrow morning");
    });
    let error = apply_issue_callback(&mut order, &garbled).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Malformed { detail, .. } if detail.contains("arrivalTime")),
        "{error:?}"
    );
    let unknown_seat: IssueCallback = callback(ISSUED, |payload| {
        payload["passengers"][0]["seatClass"] = json!("99");
    });
    assert!(apply_issue_callback(&mut order, &unknown_seat).is_err());
    assert_eq!(order, before, "not issued halfway");
}
