//! Grab orders (抢票) on Juhe through the neutral API, against both
//! simulators on loopback with Juhe's clock running fast: a grab that
//! issues, one that expires, one cancelled while grabbing, a refund after
//! issue, the refusals of what Juhe cannot do, and validation that never
//! reaches the simulator.

use crate::booking::wait_for;
use crate::support::{TestApp, date_in, details, violations};
use crate::two_sims::TwoSims;
use railgate::config::Config;
use railgate::proto::{self as pb};
use railgate_sim::juhe;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Code;

/// Juhe provider seconds per real second: its ~25 s from submit to the
/// first grab attempt take a fifth of a second, while a search's queryKey
/// (30 provider minutes) stays usable for 15 real seconds.
const JUHE_CLOCK_SCALE: f64 = 120.0;

/// railgate over both simulators, with Juhe's state for its counters.
pub type GrabApp = TwoSims;

pub async fn start() -> GrabApp {
    start_with(|_| {}).await
}

/// [`start`] with `configure` applied to railgate's config last: Juhe's
/// clock fast, the reconciler every 100 ms.
pub async fn start_with(configure: impl FnOnce(&mut Config)) -> GrabApp {
    let juhe = juhe::JuheSimConfig {
        clock_scale: JUHE_CLOCK_SCALE,
        ..juhe::JuheSimConfig::default()
    };
    TwoSims::start(juhe, |config| {
        config.orders.reconcile_interval_ms = 100;
        configure(config);
    })
    .await
}

/// A second-class offer of `provider` with seats, `days` from today.
pub async fn offer(app: &TestApp, provider: pb::Provider, days: i64) -> pb::SeatOffer {
    let response = app
        .booking()
        .search(pb::SearchRequest {
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            travel_date: date_in(days),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    response
        .trains
        .iter()
        .flat_map(|train| train.seats.iter())
        .find(|seat| {
            seat.provider == provider as i32
                && seat.seat_class == pb::SeatClass::Second as i32
                && seat.remaining >= 2
        })
        .cloned()
        .unwrap_or_else(|| panic!("a {provider:?} second-class offer with seats"))
}

fn passenger(name: &str, id_number: &str, passenger_type: pb::PassengerType) -> pb::Passenger {
    pb::Passenger {
        name: name.into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: id_number.into(),
        passenger_type: passenger_type as i32,
        phone: "13800138000".into(),
        ..Default::default()
    }
}

/// A grab order for two adults on `offer_id`, grabbing until `deadline`.
pub fn grab_request(
    key: &str,
    offer_id: &str,
    deadline: chrono::DateTime<chrono::Utc>,
) -> pb::BookRequest {
    pb::BookRequest {
        idempotency_key: key.into(),
        offer_id: offer_id.into(),
        passengers: vec![
            passenger("张三", "11010519491231002X", pb::PassengerType::Adult),
            passenger("李四", "440524188001010014", pb::PassengerType::Adult),
        ],
        contact: Some(pb::Contact {
            name: "张三".into(),
            phone: "13800138000".into(),
        }),
        grab: Some(pb::GrabOptions {
            deadline: deadline.to_rfc3339(),
            alternative_seat_classes: vec![pb::SeatClass::First as i32],
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn hours_from_now(hours: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::hours(hours)
}

pub async fn book(app: &TestApp, request: pb::BookRequest) -> pb::Order {
    app.booking()
        .book(request)
        .await
        .expect("book answers")
        .into_inner()
        .order
        .unwrap()
}

fn reason(status: &tonic::Status) -> String {
    details(status)
        .error_info()
        .expect("ErrorInfo")
        .reason
        .clone()
}

/// Grabs on a train in presale (5 days out), which the simulator issues
/// at its first attempt.
async fn issued_order(grab: &GrabApp, key: &str) -> pb::Order {
    let offer = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let booked = book(
        &grab.app,
        grab_request(key, &offer.offer_id, hours_from_now(48)),
    )
    .await;
    wait_for(&grab.app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await
}

#[tokio::test]
async fn a_grab_order_is_grabbing_then_issued_with_seats() {
    let grab = start().await;
    let offer = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let request = grab_request("grab-ok", &offer.offer_id, hours_from_now(48));
    let booked = book(&grab.app, request.clone()).await;
    assert_eq!(booked.provider, pb::Provider::Juhe as i32);
    let mut stream = grab
        .app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            // Every event after the order was recorded, replayed: Juhe may
            // issue before the watch starts.
            after_sequence: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut orders = Vec::new();
    while let Some(message) = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("an event within 20 s")
    {
        orders.push(message.unwrap().event.unwrap().order.unwrap());
    }
    let statuses: Vec<i32> = orders.iter().map(|order| order.status).collect();
    // GRABBING (Book answered once Juhe took the order), then ISSUED,
    // where the stream ends by itself.
    assert_eq!(booked.status, pb::OrderStatus::Grabbing as i32);
    assert_eq!(
        statuses[0],
        pb::OrderStatus::Grabbing as i32,
        "{statuses:?}"
    );
    assert_eq!(
        *statuses.last().unwrap(),
        pb::OrderStatus::Issued as i32,
        "{statuses:?}"
    );
    let issued = orders.last().unwrap();
    assert_eq!(issued.tickets.len(), 2);
    for ticket in &issued.tickets {
        assert_eq!(ticket.status, pb::TicketStatus::Issued as i32, "{ticket:?}");
        assert!(
            !ticket.coach.is_empty() && !ticket.seat_number.is_empty(),
            "{ticket:?}"
        );
        assert!(ticket.price_fen > 0, "{ticket:?}");
    }
    assert!(issued.total_amount_fen > 0, "{issued:?}");

    // The same key answers the same order and submits nothing new.
    let submits = grab.juhe.requests(juhe::Endpoint::SubmitOrder);
    let again = book(&grab.app, request).await;
    assert_eq!(again.order_id, booked.order_id);
    assert_eq!(grab.juhe.requests(juhe::Endpoint::SubmitOrder), submits);
}

#[tokio::test]
async fn a_grab_order_expires_at_its_deadline() {
    let grab = start().await;
    // 20 days out the date is not on presale yet: Juhe waits (B) and the
    // deadline, a quarter of an hour of Juhe's fast clock away (under 8
    // real seconds), passes first.
    let offer = offer(&grab.app, pb::Provider::Juhe, 20).await;
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(15);
    let booked = book(
        &grab.app,
        grab_request("grab-expire", &offer.offer_id, deadline),
    )
    .await;
    assert_eq!(booked.status, pb::OrderStatus::Grabbing as i32);
    let expired = wait_for(&grab.app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Expired as i32
    })
    .await;
    assert!(
        expired
            .tickets
            .iter()
            .all(|ticket| ticket.ticket_number.is_empty())
    );
}

#[tokio::test]
async fn a_grab_order_is_cancelled_while_grabbing() {
    let grab = start().await;
    let offer = offer(&grab.app, pb::Provider::Juhe, 20).await;
    let booked = book(
        &grab.app,
        grab_request("grab-cancel", &offer.offer_id, hours_from_now(24 * 10)),
    )
    .await;
    let cancelled = grab
        .app
        .booking()
        .cancel(pb::CancelRequest {
            idempotency_key: "grab-cancel-1".into(),
            order_id: booked.order_id.clone(),
        })
        .await
        .expect("cancel answers")
        .into_inner()
        .order
        .unwrap();
    assert_eq!(cancelled.status, pb::OrderStatus::Cancelled as i32);
    assert_eq!(grab.juhe.requests(juhe::Endpoint::CancelOrder), 1);
}

#[tokio::test]
async fn one_passenger_of_an_issued_grab_order_is_refunded() {
    let grab = start().await;
    let issued = issued_order(&grab, "grab-refund").await;
    let ticket = issued.tickets[0].clone();
    let refunding = grab
        .app
        .booking()
        .refund(pb::RefundRequest {
            idempotency_key: "grab-refund-1".into(),
            order_id: issued.order_id.clone(),
            ticket_id: ticket.ticket_id.clone(),
            ..Default::default()
        })
        .await
        .expect("refund answers")
        .into_inner()
        .order
        .unwrap();
    assert_ne!(refunding.tickets[0].status, pb::TicketStatus::Issued as i32);
    // The detail says refunded; the amount comes with the refund callback
    // (Juhe's detail has none), applied once the detail confirms it.
    let refunded = wait_for(&grab.app, &issued.order_id, |order| {
        order.tickets[0].status == pb::TicketStatus::Refunded as i32
            && order.tickets[0].refund_amount_fen > 0
    })
    .await;
    // The other passenger keeps the ticket.
    assert_eq!(refunded.tickets[1].status, pb::TicketStatus::Issued as i32);
}

#[tokio::test]
async fn change_and_confirm_on_a_juhe_order_are_refused() {
    let grab = start().await;
    let issued = issued_order(&grab, "grab-change").await;
    let new_offer = offer(&grab.app, pb::Provider::Juhe, 6).await;
    let change = grab
        .app
        .booking()
        .change(pb::ChangeRequest {
            idempotency_key: "grab-change-1".into(),
            order_id: issued.order_id.clone(),
            ticket_ids: vec![issued.tickets[0].ticket_id.clone()],
            offer_id: new_offer.offer_id,
            ..Default::default()
        })
        .await
        .expect_err("change is refused");
    assert_eq!(change.code(), Code::FailedPrecondition, "{change:?}");
    assert_eq!(reason(&change), "CAPABILITY_UNSUPPORTED");
    let confirm = grab
        .app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "grab-confirm-1".into(),
            order_id: issued.order_id.clone(),
            expected_amount_fen: issued.total_amount_fen,
        })
        .await
        .expect_err("confirm is refused");
    assert_eq!(confirm.code(), Code::FailedPrecondition, "{confirm:?}");
    assert_eq!(reason(&confirm), "CAPABILITY_UNSUPPORTED");
}

#[tokio::test]
async fn what_juhe_would_refuse_never_reaches_it() {
    let grab = start().await;
    let offer = offer(&grab.app, pb::Provider::Juhe, 5).await;
    // Submits only: railgate registers its callback URLs in the background
    // at start, which may land at any moment.
    let submits = || grab.juhe.requests(juhe::Endpoint::SubmitOrder);
    let before = submits();
    let mut request = grab_request("grab-invalid", &offer.offer_id, hours_from_now(48));
    request.passengers = vec![
        passenger("张三", "11010519491231002X", pb::PassengerType::Adult),
        passenger("李四", "440524188001010014", pb::PassengerType::Student),
        passenger("王五", "11010519491231002X", pb::PassengerType::Adult),
        passenger("赵六", "440524188001010014", pb::PassengerType::Adult),
        passenger("孙七", "11010519491231002X", pb::PassengerType::Adult),
        passenger("周八", "440524188001010014", pb::PassengerType::Adult),
    ];
    let status = grab.app.booking().book(request).await.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields: Vec<String> = violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert!(fields.contains(&"passengers".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"passengers[1].passenger_type".to_owned()),
        "{fields:?}"
    );
    assert_eq!(submits(), before, "nothing was sent");

    // A deadline after the train leaves is refused the same way.
    let late = grab_request("grab-late", &offer.offer_id, hours_from_now(24 * 30));
    let status = grab.app.booking().book(late).await.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status)[0].0, "grab.deadline");
    assert_eq!(submits(), before, "nothing was sent");

    // A refusal leaves the key free for the corrected request.
    let corrected = grab_request("grab-invalid", &offer.offer_id, hours_from_now(48));
    let booked = book(&grab.app, corrected).await;
    assert_eq!(booked.status, pb::OrderStatus::Grabbing as i32);
}

#[tokio::test]
async fn a_juhe_offer_needs_grab_options_and_a_panhe_offer_refuses_them() {
    let grab = start().await;
    let juhe_offer = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let mut direct = grab_request("direct-juhe", &juhe_offer.offer_id, hours_from_now(48));
    direct.grab = None;
    direct.account = Some(pb::TrainAccount {
        username: "sandbox-user".into(),
        password: "sandbox-password".into(),
    });
    let status = grab.app.booking().book(direct).await.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "CAPABILITY_UNSUPPORTED");

    let panhe_offer = offer(&grab.app, pb::Provider::Panhe, 5).await;
    let status = grab
        .app
        .booking()
        .book(grab_request(
            "grab-panhe",
            &panhe_offer.offer_id,
            hours_from_now(48),
        ))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "CAPABILITY_UNSUPPORTED");
}

#[tokio::test]
async fn an_unanswered_submit_is_unknown_until_the_detail_says() {
    let grab = start_with(|config| config.juhe.timeout_ms = 300).await;
    // Not on presale yet: Juhe keeps it waiting and sends no callback
    // that could tell railgate first.
    let offer = offer(&grab.app, pb::Provider::Juhe, 20).await;
    // Juhe takes the order but answers after railgate stopped waiting.
    grab.juhe.set_response_delay(Some(Duration::from_secs(1)));
    let request = grab_request("grab-unknown", &offer.offer_id, hours_from_now(24 * 10));
    let booked = book(&grab.app, request).await;
    assert_eq!(booked.status, pb::OrderStatus::Unknown as i32, "{booked:?}");
    grab.juhe.set_response_delay(None);
    // The reconciler reads Juhe's detail by railgate's number.
    let grabbing = wait_for(&grab.app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Grabbing as i32
    })
    .await;
    assert!(!grabbing.provider_order_no.is_empty());
    assert_eq!(grab.juhe.requests(juhe::Endpoint::SubmitOrder), 1);
}

/// How long an unresolved Book holds its key before a retry may resume it.
const LEASE_MS: u64 = 300;

/// Seed 000's 10014 (系统内部异常) on submitOrder: "通过订单查询接口检测订单,
/// 避免造成损失". The order may exist, so it is not failed: it is UNKNOWN,
/// the key stays with it, and Juhe's order detail (by railgate's own
/// outOrderNo) resolves it.
#[tokio::test]
async fn a_submit_answered_10014_is_read_from_the_detail_not_failed() {
    let grab = start_with(|config| config.orders.idempotency_lease_ms = LEASE_MS).await;
    let offer = offer(&grab.app, pb::Provider::Juhe, 20).await;
    // Juhe creates the order, then answers 10014.
    grab.juhe
        .script(juhe::orders::Fault::CreateNextOrderThenFail(10014));
    let request = grab_request("grab-10014", &offer.offer_id, hours_from_now(24 * 10));
    let booked = book(&grab.app, request.clone()).await;
    assert_eq!(booked.status, pb::OrderStatus::Unknown as i32, "{booked:?}");
    let grabbing = wait_for(&grab.app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Grabbing as i32
    })
    .await;
    assert!(!grabbing.provider_order_no.is_empty());
    // A retry with the same key (once the first attempt's lease is over) is
    // the same order; nothing was sent twice.
    tokio::time::sleep(Duration::from_millis(2 * LEASE_MS)).await;
    let retried = book(&grab.app, request).await;
    assert_eq!(retried.order_id, booked.order_id);
    assert_eq!(grab.juhe.requests(juhe::Endpoint::SubmitOrder), 1);
    assert_eq!(grab.juhe.order_count(), 1);
}

/// 225700 (网络繁忙) gives no sign either way: the same as 10014. When Juhe
/// really has no such order, the order stays UNKNOWN and a retry with the
/// same key submits it then (its outOrderNo is railgate's, so Juhe would
/// refuse a second order with it).
#[tokio::test]
async fn a_busy_submit_without_an_order_is_submitted_again_on_retry() {
    let grab = start_with(|config| config.orders.idempotency_lease_ms = LEASE_MS).await;
    let offer = offer(&grab.app, pb::Provider::Juhe, 20).await;
    // The fault is for the next request of any kind: first let railgate's
    // start-up registrations of its three callback URLs through.
    crate::scripted::eventually("callback URLs registered", async || {
        (grab.juhe.requests(juhe::Endpoint::AddCallbackUrl) >= 3).then_some(())
    })
    .await;
    grab.juhe
        .script(juhe::orders::Fault::FailNextRequest(225700));
    let request = grab_request("grab-225700", &offer.offer_id, hours_from_now(24 * 10));
    let booked = book(&grab.app, request.clone()).await;
    assert_eq!(booked.status, pb::OrderStatus::Unknown as i32, "{booked:?}");
    assert_eq!(grab.juhe.order_count(), 0);
    tokio::time::sleep(Duration::from_millis(2 * LEASE_MS)).await;
    let retried = book(&grab.app, request).await;
    assert_eq!(retried.order_id, booked.order_id);
    assert_eq!(
        retried.status,
        pb::OrderStatus::Grabbing as i32,
        "{retried:?}"
    );
    assert_eq!(grab.juhe.order_count(), 1);
}
