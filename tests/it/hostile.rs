//! Hostile requests get short, bounded answers and store nothing: huge
//! lists are refused on their count, huge strings come back as excerpts,
//! duplicate ids are refused locally.

use crate::alitrip::alitrip_book_request;
use crate::booking::{app, book_request, issued_order, offer};
use crate::support::violations;
use railgate::proto as pb;
use tonic::Code;

/// A refusal's gRPC message and encoded details stay small.
fn assert_bounded(status: &tonic::Status) {
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "{}",
        &status.message()[..80.min(status.message().len())]
    );
    assert!(
        status.message().len() < 8 * 1024,
        "message {} bytes",
        status.message().len()
    );
    assert!(
        status.details().len() < 16 * 1024,
        "details {} bytes",
        status.details().len()
    );
}

async fn stored_orders(app: &crate::support::TestApp) -> usize {
    app.booking()
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders
        .len()
}

#[tokio::test]
async fn hostile_book_requests_are_refused_briefly_and_store_nothing() {
    let app = app().await;
    let offer = offer(&app).await;
    let before = stored_orders(&app).await;

    // 5,000 passengers: refused on the count alone.
    let mut many = book_request("hostile-many", &offer.offer_id);
    many.passengers = std::iter::repeat_n(many.passengers[0].clone(), 5_000).collect();
    let status = app.booking().book(many).await.unwrap_err();
    assert_bounded(&status);
    let fields: Vec<String> = violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, ["passengers"]);

    // A 3 MB seat choice comes back as an excerpt.
    let mut long = book_request("hostile-long", &offer.offer_id);
    long.seat_choices = vec!["1A".repeat(1_500_000), "1B".into()];
    let status = app.booking().book(long).await.unwrap_err();
    assert_bounded(&status);

    // A 3 MB offer id is not decoded.
    let status = app
        .booking()
        .book(book_request("hostile-offer", &"x".repeat(3_000_000)))
        .await
        .unwrap_err();
    assert_bounded(&status);
    assert!(
        status.message().contains("offer_id"),
        "{}",
        status.message()
    );

    // 1,000 alitrip extras are refused before anything is stored.
    let mut extra = alitrip_book_request("hostile-extra", &offer.offer_id, "ali-hostile");
    if let Some(pb::channel::Kind::Alitrip(alitrip)) = extra
        .channel
        .as_mut()
        .and_then(|channel| channel.kind.as_mut())
    {
        alitrip.extra = (0..1_000)
            .map(|index| (format!("k{index}"), "v".repeat(1_000)))
            .collect();
    }
    let status = app.booking().book(extra).await.unwrap_err();
    assert_bounded(&status);
    assert!(
        status.message().contains("channel.alitrip.extra"),
        "{}",
        status.message()
    );

    assert_eq!(stored_orders(&app).await, before, "nothing stored");
}

#[tokio::test]
async fn a_change_listing_tickets_many_times_is_refused_locally() {
    let app = app().await;
    let issued = issued_order(&app, "hostile-change").await;
    let later = offer(&app).await;
    let ticket = issued.tickets[0].ticket_id.clone();
    let change = |ticket_ids: Vec<String>| pb::ChangeRequest {
        idempotency_key: format!("hostile-change-{}", ticket_ids.len()),
        order_id: issued.order_id.clone(),
        ticket_ids,
        offer_id: later.offer_id.clone(),
        remark: "行程有变".into(),
        ..Default::default()
    };
    let status = app
        .booking()
        .change(change(vec![ticket.clone(); 10_000]))
        .await
        .unwrap_err();
    assert_bounded(&status);
    let status = app
        .booking()
        .change(change(vec![ticket.clone(), ticket.clone()]))
        .await
        .unwrap_err();
    assert_bounded(&status);
    assert!(
        violations(&status).iter().any(
            |(field, description)| field == "ticket_ids[1]" && description == "is listed twice"
        ),
        "{status:?}"
    );
    // Nothing reached Panhe: the order has no change.
    let order = app
        .booking()
        .get_order(pb::GetOrderRequest {
            order_id: issued.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert!(order.changes.is_empty());
}
