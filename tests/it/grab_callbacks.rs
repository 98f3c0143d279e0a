//! Juhe's callbacks at `/callbacks/juhe/{secret}/{kind}`: registered at
//! start, they alone move grab orders on (the reconciler is out of the
//! way); a wrong secret is refused, a redelivery is dropped, an unknown
//! order is acknowledged.

use crate::grab::{GrabApp, book, grab_request, hours_from_now, offer, start_with};
use crate::scripted::{
    NO_RECONCILER_MS, SECRET, eventually, get, provider_path_secret, wait_status,
};
use railgate::domain::ProviderId;
use railgate::orders::customer_order_no;
use railgate::proto::{self as pb};
use railgate_sim::juhe::orders::CallbackType;
use secrecy::SecretString;
use serde_json::json;

async fn without_reconciler() -> GrabApp {
    start_with(|config| {
        config.orders.reconcile_interval_ms = NO_RECONCILER_MS;
        config.callbacks.secret = Some(SecretString::from(SECRET));
    })
    .await
}

#[tokio::test]
async fn grab_orders_are_issued_and_expire_through_callbacks_alone() {
    let grab = without_reconciler().await;
    // railgate registered every type at start.
    for kind in [
        CallbackType::IssueResult,
        CallbackType::Refund,
        CallbackType::Expiry,
    ] {
        eventually("the callback URL registered", async || {
            grab.juhe.callback_url(kind)
        })
        .await;
    }
    let offer_now = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let booked = book(
        &grab.app,
        grab_request("cb-issue", &offer_now.offer_id, hours_from_now(48)),
    )
    .await;
    let issued = wait_status(&grab.app, &booked.order_id, pb::OrderStatus::Issued).await;
    for ticket in &issued.tickets {
        assert!(!ticket.seat_number.is_empty(), "{ticket:?}");
        assert!(!ticket.ticket_number.is_empty(), "{ticket:?}");
    }

    let offer_later = offer(&grab.app, pb::Provider::Juhe, 20).await;
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(15);
    let booked = book(
        &grab.app,
        grab_request("cb-expire", &offer_later.offer_id, deadline),
    )
    .await;
    wait_status(&grab.app, &booked.order_id, pb::OrderStatus::Expired).await;
    // A callback that overtook Book's answer was refused (503: the order
    // was not recorded yet) and is retried by Juhe: all end acknowledged.
    eventually("every callback acknowledged", async || {
        grab.juhe
            .callbacks()
            .iter()
            .all(|callback| callback.delivered)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn wrong_secret_redelivery_and_unknown_orders() {
    let grab = without_reconciler().await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/callbacks/juhe", grab.app.http_addr);
    let juhe_secret = provider_path_secret(SECRET, ProviderId::Juhe);
    // Panhe's secret does not open Juhe's routes, nor the base secret.
    for other in [
        provider_path_secret(SECRET, ProviderId::Panhe),
        SECRET.to_owned(),
    ] {
        let status = http
            .post(format!("{base}/{other}/expired"))
            .json(&json!({"orderNo": "J1", "outOrderNo": "RG1", "msgCode": "101"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 403);
    }
    let unknown = json!({
        "orderNo": "J0001", "outOrderNo": "RGunknown0001",
        "msgCode": "101", "msgInfo": "抢票单已过期"
    });
    let post = async |url: String, body: &serde_json::Value| {
        http.post(url)
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        post(format!("{base}/wrong-secret/expired"), &unknown).await,
        403
    );
    assert_eq!(
        post(format!("{base}/{juhe_secret}/nonsense"), &unknown).await,
        400
    );
    assert_eq!(
        post(format!("{base}/{juhe_secret}/expired"), &json!({})).await,
        400
    );
    assert_eq!(
        post(format!("{base}/{juhe_secret}/expired"), &unknown).await,
        200
    );

    // A forged expiry (the URL secret is all it takes) of an order Juhe is
    // still grabbing: Juhe's detail does not confirm it, so nothing
    // changes and it is answered for a retry, each time it comes.
    let offer_later = offer(&grab.app, pb::Provider::Juhe, 20).await;
    let booked = book(
        &grab.app,
        grab_request("cb-manual", &offer_later.offer_id, hours_from_now(24 * 10)),
    )
    .await;
    let body = json!({
        "orderNo": booked.provider_order_no, "outOrderNo": customer_order_no("cb-manual"),
        "msgCode": "101", "msgInfo": "抢票单已过期"
    });
    assert_eq!(
        post(format!("{base}/{juhe_secret}/expired"), &body).await,
        500
    );
    assert_eq!(
        post(format!("{base}/{juhe_secret}/expired"), &body).await,
        500
    );
    let order = get(&grab.app, &booked.order_id).await;
    assert_eq!(order.status, pb::OrderStatus::Grabbing as i32, "{order:?}");
    // Cancel still works: the order is Juhe's to grab or to cancel.
    let cancelled = grab
        .app
        .booking()
        .cancel(pb::CancelRequest {
            idempotency_key: "cb-manual-cancel".into(),
            order_id: booked.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(cancelled.status, pb::OrderStatus::Cancelled as i32);
}
