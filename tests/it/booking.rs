//! Booking through the gateway against the sandbox Panhe simulator: Book
//! holds seats, Confirm pays, the reconciler follows the provider to
//! ISSUED; idempotency keys give exactly-once effects.

use crate::support::{TestApp, date_in, details};
use railgate::proto::booking_service_client::BookingServiceClient;
use railgate::proto::{self as pb};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;

/// The sandbox, with provider time running 60× and a fast reconciler.
pub async fn app() -> TestApp {
    TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
    })
    .await
}

pub async fn offer(app: &TestApp) -> pb::SeatOffer {
    offer_on(app, 3).await
}

/// A second-class offer with two seats left, `days` from today, 北京南→上海虹桥.
pub async fn offer_on(app: &TestApp, days: i64) -> pb::SeatOffer {
    offer_via(&mut app.booking(), days).await
}

/// [`offer_on`] through any client (e.g. of a railgate child process).
pub async fn offer_via(client: &mut BookingServiceClient<Channel>, days: i64) -> pb::SeatOffer {
    let response = client
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
        .find(|seat| seat.seat_class == pb::SeatClass::Second as i32 && seat.remaining >= 2)
        .cloned()
        .expect("a second-class offer with seats")
}

fn passenger(name: &str, id_number: &str) -> pb::Passenger {
    pb::Passenger {
        name: name.into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: id_number.into(),
        passenger_type: pb::PassengerType::Adult as i32,
        phone: "13800138000".into(),
        ..Default::default()
    }
}

pub fn book_request(key: &str, offer_id: &str) -> pb::BookRequest {
    pb::BookRequest {
        idempotency_key: key.into(),
        offer_id: offer_id.into(),
        passengers: vec![
            passenger("张三", "11010519491231002X"),
            passenger("李四", "440524188001010014"),
        ],
        contact: Some(pb::Contact {
            name: "张三".into(),
            phone: "13800138000".into(),
        }),
        account: Some(pb::TrainAccount {
            username: "sandbox-user".into(),
            password: "sandbox-password".into(),
        }),
        ..Default::default()
    }
}

/// Polls GetOrder until `done` holds (the provider works asynchronously;
/// the reconciler brings its answers in).
pub async fn wait_for(
    app: &TestApp,
    order_id: &str,
    done: impl Fn(&pb::Order) -> bool,
) -> pb::Order {
    wait_for_via(&mut app.booking(), order_id, done).await
}

/// [`wait_for`] through any client.
pub async fn wait_for_via(
    client: &mut BookingServiceClient<Channel>,
    order_id: &str,
    done: impl Fn(&pb::Order) -> bool,
) -> pb::Order {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let order = client
            .get_order(pb::GetOrderRequest {
                order_id: order_id.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .order
            .unwrap();
        if done(&order) {
            return order;
        }
        assert!(
            Instant::now() < deadline,
            "order never reached the expected state: {order:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn book_confirm_issue() {
    let app = app().await;
    let offer = offer(&app).await;
    let booked = app
        .booking()
        .book(book_request("book-confirm-issue", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(booked.status, pb::OrderStatus::Pending as i32);
    assert!(booked.order_id.starts_with("ord_"));
    assert!(!booked.provider_order_no.is_empty());
    assert_eq!(booked.tickets.len(), 2);
    assert_eq!(
        booked.tickets[0].passenger_name, "张*",
        "names leave masked"
    );
    assert!(
        !booked.tickets[0].id_number.contains("19491231"),
        "ID numbers leave masked"
    );

    let held = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    assert!(held.total_amount_fen > 0);
    assert_eq!(
        held.total_amount_fen,
        held.ticket_amount_fen + held.service_fee_fen
    );
    assert!(!held.pay_deadline.is_empty());

    // The wrong amount is refused before anything is paid.
    let status = app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "confirm-wrong".into(),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen + 1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "AMOUNT_MISMATCH"
    );

    let confirmed = app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "confirm-1".into(),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(confirmed.status, pb::OrderStatus::Issuing as i32);

    let issued = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await;
    for ticket in &issued.tickets {
        assert_eq!(ticket.status, pb::TicketStatus::Issued as i32, "{ticket:?}");
        assert!(
            !ticket.coach.is_empty() && !ticket.seat_number.is_empty(),
            "{ticket:?}"
        );
        assert!(!ticket.ticket_number.is_empty());
        assert!(ticket.price_fen > 0);
    }
    assert!(!issued.order_no_12306.is_empty());
    assert!(
        issued.last_sequence >= 4,
        "created, held, issuing, issued: {}",
        issued.last_sequence
    );

    // Retrying Confirm with the same key answers from the first result.
    let again = app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "confirm-1".into(),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(again.order_id, booked.order_id);
}

#[tokio::test]
async fn a_failed_issue_is_told_from_a_failed_hold() {
    let app = app().await;
    let offer = offer(&app).await;
    // The Panhe simulator fails the issue of an order whose contact is
    // named 出票失败 (status 9, payment refunded).
    let mut request = book_request("issue-fails", &offer.offer_id);
    request.contact.as_mut().unwrap().name = "出票失败".into();
    let booked = app
        .booking()
        .book(request)
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    assert_eq!(held.failure_stage, pb::FailureStage::Unspecified as i32);
    app.booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "issue-fails-confirm".into(),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap();
    let failed = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Failed as i32
    })
    .await;
    assert_eq!(
        failed.failure_stage,
        pb::FailureStage::Issue as i32,
        "{failed:?}"
    );
    assert!(
        failed.status_reason.contains("出票失败"),
        "Panhe's unFinishedReason: {failed:?}"
    );
    for ticket in &failed.tickets {
        assert_eq!(ticket.status, pb::TicketStatus::IssueFailed as i32);
    }
}

#[tokio::test]
async fn same_key_same_request_is_one_booking_different_request_is_refused() {
    let app = app().await;
    let offer = offer(&app).await;
    let request = book_request("idem-1", &offer.offer_id);
    let mut handles = Vec::new();
    for _ in 0..5 {
        let mut client = app.booking();
        let request = request.clone();
        handles.push(tokio::spawn(async move { client.book(request).await }));
    }
    let mut order_ids = Vec::new();
    for handle in handles {
        match handle.await.unwrap() {
            Ok(response) => order_ids.push(response.into_inner().order.unwrap().order_id),
            // A duplicate that arrives while the first is still running.
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    let first = order_ids.first().expect("at least one answer").clone();
    assert!(order_ids.iter().all(|id| *id == first), "{order_ids:?}");
    let retried = app
        .booking()
        .book(request.clone())
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(retried.order_id, first);

    let listed = app
        .booking()
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.orders.len(), 1, "one key, one order");

    let mut different = request;
    different.passengers.pop();
    let status = app.booking().book(different).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().metadata["idempotency_key"],
        "idem-1"
    );
}

#[tokio::test]
async fn cancel_a_held_order() {
    let app = app().await;
    let offer = offer(&app).await;
    let booked = app
        .booking()
        .book(book_request("cancel-me", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    let cancelled = app
        .booking()
        .cancel(pb::CancelRequest {
            idempotency_key: "cancel-1".into(),
            order_id: booked.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(cancelled.status, pb::OrderStatus::Cancelled as i32);
    // A cancelled order cannot be paid.
    let status = app
        .booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "confirm-cancelled".into(),
            order_id: booked.order_id,
            expected_amount_fen: 100,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(details(&status).error_info().unwrap().reason, "ORDER_STATE");
}

#[tokio::test]
async fn bad_book_requests_list_every_problem() {
    let app = app().await;
    let status = app
        .booking()
        .book(pb::BookRequest {
            passengers: vec![pb::Passenger {
                name: "王五".into(),
                id_type: pb::IdType::ResidentIdCard as i32,
                id_number: "110105194912310021".into(),
                ..Default::default()
            }],
            seat_choices: vec!["3Z".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = crate::support::violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for field in [
        "idempotency_key",
        "offer_id",
        "passengers[0].id_number",
        "passengers[0].phone",
        "contact",
        "seat_choices[0]",
        "account",
    ] {
        assert!(
            fields.iter().any(|found| found == field),
            "{field} missing from {fields:?}"
        );
    }
    let status = app
        .booking()
        .get_order(pb::GetOrderRequest {
            order_id: "ord_00000000000000000000000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

/// Books, confirms and waits for ISSUED.
pub async fn issued_order(app: &TestApp, key: &str) -> pb::Order {
    let offer = offer(app).await;
    let booked = app
        .booking()
        .book(book_request(key, &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = wait_for(app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    app.booking()
        .confirm(pb::ConfirmRequest {
            idempotency_key: format!("{key}-confirm"),
            order_id: booked.order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap();
    wait_for(app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Issued as i32
    })
    .await
}

#[tokio::test]
async fn refund_one_ticket_after_issue() {
    let app = app().await;
    let issued = issued_order(&app, "refund-flow").await;
    let ticket = &issued.tickets[0];
    let request = pb::RefundRequest {
        idempotency_key: "refund-1".into(),
        order_id: issued.order_id.clone(),
        ticket_id: ticket.ticket_id.clone(),
        remark: "plans changed".into(),
        quote_id: String::new(),
    };
    let applied = app
        .booking()
        .refund(request.clone())
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(
        applied.tickets[0].status,
        pb::TicketStatus::Refunding as i32
    );
    assert_eq!(
        applied.tickets[1].status,
        pb::TicketStatus::Issued as i32,
        "one ticket per refund"
    );

    let refunded = wait_for(&app, &issued.order_id, |order| {
        order.tickets[0].status == pb::TicketStatus::Refunded as i32
    })
    .await;
    let ticket = &refunded.tickets[0];
    assert!(ticket.refund_amount_fen > 0, "{ticket:?}");
    assert_eq!(
        ticket.refund_amount_fen + ticket.refund_fee_fen,
        ticket.price_fen,
        "{ticket:?}"
    );
    assert_eq!(refunded.status, pb::OrderStatus::Issued as i32);

    // The same key answers from the first result; a new key is refused.
    let again = app
        .booking()
        .refund(request.clone())
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(again.order_id, issued.order_id);
    let status = app
        .booking()
        .refund(pb::RefundRequest {
            idempotency_key: "refund-2".into(),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(
        details(&status).error_info().unwrap().reason,
        "TICKET_STATE"
    );
}

#[tokio::test]
async fn an_unpaid_order_expires() {
    // Provider time at 600×: the 10-minute pay window lasts one second.
    let app = TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 600.0;
        config.orders.reconcile_interval_ms = 50;
    })
    .await;
    let offer = offer(&app).await;
    let booked = app
        .booking()
        .book(book_request("expire-me", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let expired = wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Expired as i32
    })
    .await;
    assert!(!expired.pay_deadline.is_empty());
    for ticket in &expired.tickets {
        assert_eq!(
            ticket.status,
            pb::TicketStatus::Cancelled as i32,
            "{ticket:?}"
        );
    }
}

#[tokio::test]
async fn a_client_chosen_train_code_cannot_steer_how_a_refusal_reads() {
    // Offer ids are sealed, so only a caller holding the signing key could
    // choose a train code; the classifier must hold even then.
    const KEY: &str = "booking-test-offer-key-0123456789";
    let app = TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
        config.offers.signing_key = Some(KEY.to_owned().into());
    })
    .await;
    let seal = railgate::domain::OfferSeal::new(
        KEY.as_bytes(),
        None,
        Duration::from_secs(600),
        std::sync::Arc::new(railgate::domain::time::SystemClock),
    );
    let genuine = seal.open(&offer(&app).await.offer_id).unwrap();
    // Panhe's refusal quotes the train code, and the code spells words of
    // other refusals.
    let forged = railgate::domain::Offer {
        train_code: "x' OR 1=1;--&appKey=evil#".into(),
        ..genuine
    };
    let status = app
        .booking()
        .book(book_request(
            "hostile-train-code",
            &seal.seal(&forged.encode()),
        ))
        .await
        .unwrap_err();
    let reason = details(&status).error_info().unwrap().reason.clone();
    assert_ne!(reason, "PROVIDER_AUTH_FAILED", "{status:?}");
    assert_eq!(status.code(), Code::NotFound, "车次不存在: {status:?}");
}
