//! An alitrip-channel order that is issued (or cancelled) is reported to
//! the TOP gateway exactly once, with every field the seed requires and
//! the passenger fields readable only with the SM4 key.

use super::{
    FakeTop, admin, app_with, assert_no_personal_data, bodies_as_sent_and_decoded,
    issued_alitrip_order, wait_notification,
};
use crate::support::TestApp;
use railgate::alitrip::SignMethod;
use railgate::proto::{self as pb};
use std::time::Duration;

#[tokio::test]
async fn an_issued_order_reaches_alitrip_once_with_every_field() {
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    let app = app_with(&fake).await;
    let issued = issued_alitrip_order(&app, "alitrip-e2e", "AT-E2E-1").await;

    let accepted = fake.wait_accepted("AT-E2E-1", 1).await;
    let callback = &accepted[0];
    assert_eq!(callback.sign_method, SignMethod::HmacSha256.as_str());
    // The fake's own reading of the seed: the parameter as JSON.
    let param = &callback.param;
    assert_eq!(callback.supplier_order_id, issued.order_id);
    assert_eq!(callback.order_status, "11", "出票成功");
    assert_eq!(param["purchase_type"], "2");
    assert_eq!(param["ticket_no"], issued.order_no_12306.as_str());
    assert!(param.get("fail_reason").is_none(), "{param}");
    let [train] = param["book_train_details"].as_array().unwrap().as_slice() else {
        panic!("one train: {param}");
    };
    assert_eq!(train["train_no"], issued.train_code.as_str());
    assert_eq!(train["from_station_code"], "VNP");
    assert_eq!(train["from_station_name"], "北京南");
    assert_eq!(train["to_station_code"], "AOH");
    assert_eq!(train["to_station_name"], "上海虹桥");
    assert_eq!(train["ticket_num"], "2");
    // The tickets' sum in fen, as in the seed's example (the service fee
    // in total_amount_fen is not part of it).
    let ticket_sum: i64 = issued.tickets.iter().map(|ticket| ticket.price_fen).sum();
    assert!(ticket_sum < issued.total_amount_fen, "{issued:?}");
    assert_eq!(train["order_total_price"], ticket_sum.to_string(), "fen");
    assert_eq!(train["train_date"], &issued.departure_time[..10]);
    assert_eq!(
        train["start_time"],
        issued.departure_time[..19].replace('T', " "),
        "yyyy-MM-dd HH:mm:ss"
    );
    let sent_tickets = train["book_ticket_details"].as_array().unwrap();
    assert_eq!(sent_tickets.len(), 2);
    for (ticket, sent) in issued.tickets.iter().zip(sent_tickets) {
        assert_eq!(sent["ticket_status"], "11");
        assert_eq!(sent["ticket_price"], ticket.price_fen.to_string());
        assert_eq!(sent["coach_no"], ticket.coach.as_str());
        assert_eq!(sent["seat_no"], ticket.seat_number.as_str());
        assert_eq!(sent["ticket_type"], "1", "成人票");
    }

    // The fake decrypted the passengers with the shared key.
    let decrypted = |name: &str| -> Vec<String> {
        callback
            .passengers
            .iter()
            .map(|passenger| passenger.get(name).unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(decrypted("passenger_name"), ["张三", "李四"]);
    assert_eq!(
        decrypted("passenger_id"),
        ["ali-passenger-0001", "ali-passenger-0002"]
    );
    assert_eq!(
        decrypted("passenger_id_no"),
        ["11010519491231002X", "440524188001010014"]
    );
    assert_eq!(decrypted("passenger_mobile")[0], "13800138000");
    assert_eq!(decrypted("passenger_id_type"), ["0", "0"]);

    // Delivered once, recorded as such, and never in plaintext.
    let mut admin = admin(&app);
    let delivered = wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    assert_eq!(delivered.topic, "alitrip.book_callback");
    assert_eq!(delivered.outcome, "issued");
    assert_eq!(delivered.attempts, 1);
    assert!(!delivered.delivered_at.is_empty());
    assert_eq!(fake.accepted_for("AT-E2E-1").len(), 1);
    assert_eq!(fake.state.raw_bodies().len(), 1);
    assert_no_personal_data("the TOP request", &bodies_as_sent_and_decoded(&fake));
}

#[tokio::test]
async fn orders_without_the_channel_send_nothing() {
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    let app = app_with(&fake).await;
    let direct = crate::booking::issued_order(&app, "not-from-alitrip").await;
    // The alitrip order booked after it is reported; the direct one never
    // had a notification.
    let issued = issued_alitrip_order(&app, "after-direct", "AT-AFTER-1").await;
    fake.wait_accepted("AT-AFTER-1", 1).await;
    let mut admin = admin(&app);
    wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    let all = super::notifications(
        &mut admin,
        &[
            pb::NotificationState::Pending,
            pb::NotificationState::Delivered,
            pb::NotificationState::Dead,
        ],
    )
    .await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all.iter().all(|n| n.order_id != direct.order_id));
    assert_eq!(fake.state.raw_bodies().len(), 1);
}

#[tokio::test]
async fn the_sandbox_delivers_to_its_built_in_fake() {
    // No gateway configured: sandbox mode starts the fake TOP gateway
    // in-process and delivers there.
    let app = TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
        config.alitrip.poll_interval_ms = 50;
    })
    .await;
    let issued = issued_alitrip_order(&app, "sandbox-alitrip", "AT-SANDBOX-1").await;
    let mut admin = admin(&app);
    let delivered = wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    assert_eq!(delivered.outcome, "issued");
    assert!(delivered.last_error.is_empty(), "{delivered:?}");
}

#[tokio::test]
async fn a_book_without_every_alitrip_passenger_id_is_refused() {
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    let app = app_with(&fake).await;
    let offer = crate::booking::offer(&app).await;
    let mut request = super::alitrip_book_request("missing-ids", &offer.offer_id, "AT-BAD");
    if let Some(pb::channel::Kind::Alitrip(alitrip)) = request
        .channel
        .as_mut()
        .and_then(|channel| channel.kind.as_mut())
    {
        alitrip.passenger_ids.pop();
    }
    let status = app.booking().book(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let fields: Vec<String> = crate::support::violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, ["channel.alitrip.passenger_ids"]);
}
