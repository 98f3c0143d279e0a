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

    // A 1 MB password is refused, and never quoted.
    let mut password = book_request("hostile-password", &offer.offer_id);
    password.account.as_mut().unwrap().password = "p".repeat(1_000_000);
    let status = app.booking().book(password).await.unwrap_err();
    assert_bounded(&status);
    assert!(!status.message().contains("ppp"), "{}", status.message());

    // A 1 MB train code for GetStops.
    let status = app
        .booking()
        .get_stops(pb::GetStopsRequest {
            train_code: "G".repeat(1_000_000),
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            travel_date: crate::support::date_in(3),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_bounded(&status);

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

/// The signing key of [`sealed_app`].
const OFFER_KEY: &str = "hostile-test-offer-key-0123456789";

/// The sandbox with a known offer key, so the test can seal what a caller
/// who stole it (or railgate itself, long ago) would.
async fn sealed_app() -> crate::support::TestApp {
    crate::support::TestApp::spawn_with(|config| {
        config.offers.signing_key = Some(OFFER_KEY.to_owned().into());
    })
    .await
}

fn seal(key: &str) -> railgate::domain::OfferSeal {
    railgate::domain::OfferSeal::new(
        key.as_bytes(),
        None,
        std::time::Duration::from_secs(600),
        std::sync::Arc::new(railgate::domain::time::SystemClock),
    )
}

fn offer_refusal(status: &tonic::Status, field: &str) -> String {
    assert_bounded(status);
    let found = violations(status);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, field);
    found[0].1.clone()
}

#[tokio::test]
async fn forged_altered_and_expired_offer_ids_are_refused_before_any_provider_call() {
    use railgate::domain::{Offer, SeatClass};
    let app = sealed_app().await;
    let genuine_id = offer(&app).await.offer_id;
    let genuine = seal(OFFER_KEY)
        .open(&genuine_id)
        .expect("railgate's own id");
    let before = stored_orders(&app).await;

    // What the probe forged, each re-encoded without the key: a
    // class the train lacks, a date in 9999, a 200 KB station name, a
    // right-to-left override.
    let forgeries = [
        Offer {
            seat_class: SeatClass::Business,
            ..genuine.clone()
        },
        Offer {
            departure: "9999-12-31T07:00:00".parse().unwrap(),
            ..genuine.clone()
        },
        Offer {
            from_station: "北".repeat(70_000),
            ..genuine.clone()
        },
        Offer {
            to_station: "上海\u{202E}桥虹".into(),
            ..genuine.clone()
        },
    ];
    let (signed, _tag) = genuine_id.rsplit_once('.').unwrap();
    for (index, forged) in forgeries.iter().enumerate() {
        // Unsealed, sealed by another key, and under the genuine id's tag.
        let unsealed = forged.encode();
        let foreign = seal("somebody-else's-key-0123456789abcd").seal(&unsealed);
        let expiry_and_tag = &genuine_id[genuine.encode().len() + 1..];
        let borrowed = format!("{unsealed}.{expiry_and_tag}");
        for id in [unsealed, foreign, borrowed] {
            let status = app
                .booking()
                .book(book_request(&format!("forged-{index}"), &id))
                .await
                .unwrap_err();
            let message = offer_refusal(&status, "offer_id");
            assert!(
                message.contains("issued") || message.contains("longer than"),
                "{message}"
            );
        }
    }
    // The genuine id with a later expiry written in.
    let (id, _expiry) = signed.rsplit_once('.').unwrap();
    let tag = genuine_id.rsplit_once('.').unwrap().1;
    let extended = format!("{id}.99999999999.{tag}");
    let status = app
        .booking()
        .book(book_request("forged-extended", &extended))
        .await
        .unwrap_err();
    assert!(offer_refusal(&status, "offer_id").contains("was not issued"));

    // Genuinely sealed, but expired.
    let expired = seal(OFFER_KEY).seal_until(
        &genuine.encode(),
        chrono::Utc::now() - chrono::Duration::seconds(1),
    );
    let status = app
        .booking()
        .book(book_request("expired", &expired))
        .await
        .unwrap_err();
    assert!(offer_refusal(&status, "offer_id").contains("expired"));

    // 500 Books with a forged past-dated offer store nothing.
    let past = seal("not-railgate's-key-0123456789abcdef").seal(
        &Offer {
            departure: "2020-01-01T07:00:00".parse().unwrap(),
            ..genuine.clone()
        }
        .encode(),
    );
    for attempt in 0..500 {
        let status = app
            .booking()
            .book(book_request(&format!("past-{attempt}"), &past))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }
    assert_eq!(stored_orders(&app).await, before, "nothing stored");

    // GetStops opens ids the same way.
    let status = app
        .booking()
        .get_stops(pb::GetStopsRequest {
            offer_id: expired,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(offer_refusal(&status, "offer_id").contains("expired"));
    // And the genuine id still books.
    app.booking()
        .get_stops(pb::GetStopsRequest {
            offer_id: genuine_id,
            ..Default::default()
        })
        .await
        .expect("a genuine offer's stops");
}

#[tokio::test]
async fn a_rotated_offer_key_still_opens_ids_sealed_before_the_rotation() {
    const NEW_KEY: &str = "hostile-test-new-offer-key-987654";
    let app = crate::support::TestApp::spawn_with(|config| {
        config.offers.signing_key = Some(NEW_KEY.to_owned().into());
        config.offers.previous_signing_key = Some(OFFER_KEY.to_owned().into());
    })
    .await;
    let fresh = offer(&app).await.offer_id;
    let offer = seal(NEW_KEY).open(&fresh).expect("sealed with the new key");
    let old = seal(OFFER_KEY).seal(&offer.encode());
    app.booking()
        .get_stops(pb::GetStopsRequest {
            offer_id: old,
            ..Default::default()
        })
        .await
        .expect("an id sealed with the previous key");
}

#[tokio::test]
async fn names_with_bidi_overrides_are_refused() {
    let app = app().await;
    let offer = offer(&app).await;
    let mut request = book_request("bidi-name", &offer.offer_id);
    request.passengers[0].name = "张\u{202E}三".into();
    let status = app.booking().book(request).await.unwrap_err();
    assert_bounded(&status);
    let found = violations(&status);
    assert!(
        found.iter().any(|(field, _)| field == "passengers[0].name"),
        "{found:?}"
    );
}
