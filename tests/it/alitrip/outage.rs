//! The gateway fails for a while: deliveries are retried until it
//! recovers, and each outcome is accepted exactly once. A permanent
//! refusal dead-letters the notification at once; an operator's replay
//! delivers it.

use super::{
    FakeTop, admin, app_with, held_alitrip_order, issued_alitrip_order, notifications,
    wait_notification,
};
use crate::support::details;
use railgate::proto::{self as pb};
use railgate_sim::top::Fault;
use std::time::Duration;
use tonic::Code;

#[tokio::test]
async fn an_outage_delays_each_outcome_but_delivers_it_once() {
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    // isp errors and HTTP 5xx: TOP's side, retryable.
    fake.state.fail_next(3, Fault::PlatformError);
    fake.state.fail_next(2, Fault::Http(502));
    let app = app_with(&fake).await;

    let issued = issued_alitrip_order(&app, "outage-issued", "AT-OUT-ISSUED").await;
    let held = held_alitrip_order(&app, "outage-cancelled", "AT-OUT-CANCELLED").await;
    app.booking()
        .cancel(pb::CancelRequest {
            idempotency_key: "outage-cancel-it".into(),
            order_id: held.order_id.clone(),
        })
        .await
        .unwrap();

    let mut admin = admin(&app);
    let issued_note = wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    let failed_note =
        wait_notification(&mut admin, &held.order_id, pb::NotificationState::Delivered).await;
    assert_eq!(issued_note.outcome, "issued");
    assert_eq!(failed_note.outcome, "failed");
    assert_eq!(fake.state.pending_faults(), 0);

    // One accepted callback per outcome, with the right status.
    let issued_calls = fake.accepted_for("AT-OUT-ISSUED");
    let failed_calls = fake.accepted_for("AT-OUT-CANCELLED");
    assert_eq!(issued_calls.len(), 1);
    assert_eq!(failed_calls.len(), 1);
    assert_eq!(issued_calls[0].order_status, "11");
    assert_eq!(failed_calls[0].order_status, "12", "cancelled is 出票失败");
    assert_eq!(fake.state.accepted().len(), 2);
    // Every request was one attempt of the two: five failed, two accepted.
    assert_eq!(fake.state.raw_bodies().len(), 7);
    assert_eq!(issued_note.attempts + failed_note.attempts, 7);
    assert!(
        notifications(&mut admin, &[]).await.is_empty(),
        "none pending or dead"
    );
}

#[tokio::test]
async fn a_permanent_refusal_is_dead_lettered_then_replayed() {
    let fake = FakeTop::start(Duration::from_secs(30)).await;
    // isv.invalid-parameter: the request is wrong; resending cannot help.
    fake.state.fail_next(1, Fault::InvalidParameter);
    let app = app_with(&fake).await;
    let issued = issued_alitrip_order(&app, "dead-letter", "AT-DEAD-1").await;

    let mut admin = admin(&app);
    let dead = wait_notification(&mut admin, &issued.order_id, pb::NotificationState::Dead).await;
    assert_eq!(dead.attempts, 1, "not retried");
    assert!(
        dead.last_error.contains("isv.invalid-parameter"),
        "{dead:?}"
    );
    assert!(!dead.dead_at.is_empty());
    assert!(fake.accepted_for("AT-DEAD-1").is_empty());
    // The default listing shows pending and dead notifications.
    let listed = notifications(&mut admin, &[]).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].notification_id, dead.notification_id);

    let replayed = admin
        .replay_notification(pb::ReplayNotificationRequest {
            notification_id: dead.notification_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .notification
        .unwrap();
    assert_eq!(replayed.state, pb::NotificationState::Pending as i32);
    assert!(!replayed.replayed_at.is_empty());

    let accepted = fake.wait_accepted("AT-DEAD-1", 1).await;
    assert_eq!(accepted[0].supplier_order_id, issued.order_id);
    let delivered = wait_notification(
        &mut admin,
        &issued.order_id,
        pb::NotificationState::Delivered,
    )
    .await;
    assert_eq!(delivered.attempts, 1, "counted from the replay");
    assert_eq!(fake.accepted_for("AT-DEAD-1").len(), 1);

    // Only a dead notification can be replayed; ids must exist.
    let status = admin
        .replay_notification(pb::ReplayNotificationRequest {
            notification_id: dead.notification_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let info = details(&status).error_info().unwrap().clone();
    assert_eq!(info.reason, "NOTIFICATION_STATE");
    assert_eq!(info.metadata["state"], "delivered");
    let status = admin
        .replay_notification(pb::ReplayNotificationRequest {
            notification_id: "999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = admin
        .replay_notification(pb::ReplayNotificationRequest {
            notification_id: "not-a-number".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}
