//! What a large order costs: event snapshots keep no copy of the order's
//! channel, contact or passenger identity (read back whole, all the same),
//! and 500 WatchOrder streams that never read, on the largest order a
//! caller can book, stay within a stated memory bound in a real process.

use crate::alitrip::alitrip_book_request;
use crate::booking::{app, offer_via};
use crate::support::TestApp;
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// Entries, key and value bytes of the largest alitrip `extra` accepted.
const EXTRA_ENTRIES: usize = 32;
const EXTRA_KEY: usize = 64;
const EXTRA_VALUE: usize = 1024;
/// Resident memory 500 non-reading streams on the largest order may add:
/// the issue measured 2.2 GB before the limits; about 23 MiB is seen now
/// (the test prints it), so the bound leaves room without hiding a
/// regression to per-stream copies of the order.
const STREAMS: usize = 500;
const STREAMS_BOUND_MIB: u64 = 96;

/// A Book of `offer_id` from alitrip with the largest `extra` accepted.
fn largest_book(key: &str, offer_id: &str) -> pb::BookRequest {
    let mut request = alitrip_book_request(key, offer_id, &format!("ali-{key}"));
    if let Some(pb::channel::Kind::Alitrip(alitrip)) = request
        .channel
        .as_mut()
        .and_then(|channel| channel.kind.as_mut())
    {
        alitrip.extra = (0..EXTRA_ENTRIES)
            .map(|index| {
                (
                    format!("{index:0>width$}", width = EXTRA_KEY),
                    format!("extra-value-{index}-").repeat(EXTRA_VALUE)[..EXTRA_VALUE].to_owned(),
                )
            })
            .collect();
    }
    request
}

/// Books [`largest_book`] on `app`, confirms it and waits until ISSUED.
async fn issued_largest_order(app: &TestApp, key: &str) -> pb::Order {
    let offer = offer_via(&mut app.booking(), 3).await;
    let booked = app
        .booking()
        .book(largest_book(key, &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = crate::scripted::wait_status(app, &booked.order_id, pb::OrderStatus::Held).await;
    crate::scripted::confirm(app, &format!("{key}-confirm"), &held).await;
    crate::scripted::wait_status(app, &booked.order_id, pb::OrderStatus::Issued).await
}

/// The text of one column per row of `sql` (one `$1`, bound to
/// `order_id`), read straight from railgate's database.
async fn stored_text(app: &TestApp, sql: &str, order_id: &str) -> Vec<String> {
    let url = app.store_url();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(order_id)
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(order_id)
            .fetch_all(&pool)
            .await
            .unwrap()
    }
}

/// The raw snapshot column of `order_id`'s events, as stored.
async fn stored_snapshots(app: &TestApp, order_id: &str) -> Vec<String> {
    stored_text(
        app,
        "SELECT CAST(snapshot AS TEXT) FROM order_events WHERE order_id = $1 ORDER BY sequence",
        order_id,
    )
    .await
}

/// The identity values of [`largest_book`]'s passengers and contact.
fn identity_values() -> Vec<String> {
    let request = largest_book("x", "x");
    let contact = request.contact.unwrap();
    request
        .passengers
        .into_iter()
        .flat_map(|passenger| [passenger.name, passenger.id_number, passenger.phone])
        .chain([contact.name, contact.phone])
        .filter(|value| !value.is_empty())
        .collect()
}

#[tokio::test]
async fn with_an_identity_key_no_name_id_number_or_phone_is_stored_in_clear() {
    let app = crate::support::TestApp::spawn_with(|config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
        config.store.identity_key = Some("0f".repeat(32).into());
    })
    .await;
    let issued = issued_largest_order(&app, "encrypted").await;
    // Read back as ever (masked in answers).
    assert_eq!(issued.tickets.len(), 2);
    assert_eq!(issued.tickets[0].passenger_name.chars().count(), 2);

    let id = issued.order_id.as_str();
    let mut stored = stored_text(
        &app,
        "SELECT passenger_name || ' ' || id_number || ' ' || COALESCE(phone, '') \
         FROM tickets WHERE order_id = $1",
        id,
    )
    .await;
    stored.extend(
        stored_text(
            &app,
            "SELECT COALESCE(contact_name, '') || ' ' || COALESCE(contact_phone, '') \
             FROM orders WHERE id = $1",
            id,
        )
        .await,
    );
    stored.extend(stored_snapshots(&app, id).await);
    assert!(stored[0].starts_with("enc1:"), "{}", &stored[0][..12]);
    for text in &stored {
        for value in identity_values() {
            assert!(
                !text.contains(&value),
                "an identity value is stored in clear"
            );
        }
    }
}

#[tokio::test]
async fn event_snapshots_keep_no_copy_of_identity_or_channel_but_read_whole() {
    let app = app().await;
    let booked = issued_largest_order(&app, "snapshot-size").await;

    let snapshots = stored_snapshots(&app, &booked.order_id).await;
    assert!(snapshots.len() >= 3, "{} events", snapshots.len());
    let request = largest_book("x", "x");
    let identity = identity_values();
    let extra_bytes = EXTRA_ENTRIES * (EXTRA_KEY + EXTRA_VALUE);
    for snapshot in &snapshots {
        assert!(
            !snapshot.contains("extra-value-"),
            "the channel is not copied"
        );
        for value in &identity {
            assert!(
                !snapshot.contains(value.as_str()),
                "no identity in a snapshot"
            );
        }
        assert!(
            snapshot.len() < extra_bytes / 4,
            "a snapshot of {} bytes",
            snapshot.len()
        );
    }
    eprintln!(
        "{} events: {} snapshot bytes in all (the extra alone is {extra_bytes})",
        snapshots.len(),
        snapshots.iter().map(String::len).sum::<usize>()
    );

    // Read back (every event after the first), each event's order is whole.
    let mut events = app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            after_sequence: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = 0;
    while let Some(message) = events.next().await {
        let Some(order) = message.unwrap().event.and_then(|event| event.order) else {
            continue;
        };
        seen += 1;
        let Some(pb::channel::Kind::Alitrip(alitrip)) =
            order.channel.and_then(|channel| channel.kind)
        else {
            panic!("event {seen} lost its channel");
        };
        assert_eq!(alitrip.extra.len(), EXTRA_ENTRIES);
        assert_eq!(order.tickets.len(), request.passengers.len());
        for ticket in &order.tickets {
            // Masked in answers, but there.
            assert!(!ticket.passenger_name.is_empty() && !ticket.id_number.is_empty());
        }
    }
    assert_eq!(seen, snapshots.len() - 1);
}

/// Opens `count` following WatchOrder streams on `order_id` over
/// `connections` connections and never reads them.
async fn idle_watchers(
    uri: &str,
    order_id: &str,
    count: usize,
    connections: usize,
) -> Vec<tonic::Streaming<pb::WatchOrderResponse>> {
    let mut channels = Vec::new();
    for _ in 0..connections {
        channels.push(
            Channel::from_shared(uri.to_owned())
                .unwrap()
                .connect()
                .await
                .unwrap(),
        );
    }
    let mut streams = Vec::with_capacity(count);
    for index in 0..count {
        let mut client = BookingServiceClient::new(channels[index % connections].clone());
        let stream = client
            .watch_order(pb::WatchOrderRequest {
                order_id: order_id.to_owned(),
                follow: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        streams.push(stream);
    }
    streams
}

#[tokio::test]
async fn five_hundred_idle_streams_on_the_largest_order_stay_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::database::TestDatabase::create(dir.path()).await;
    let data_dir = dir.path().join("data");
    let railgate = crate::process::Railgate::start(&[
        ("RAILGATE_SANDBOX_CLOCK_SCALE", "60"),
        ("RAILGATE_RECONCILE_INTERVAL_MS", "100"),
        ("RAILGATE_DATA_DIR", data_dir.to_str().unwrap()),
        ("RAILGATE_DATABASE_URL", database.url()),
    ])
    .await;
    let mut client = railgate.booking().await;
    let offer = offer_via(&mut client, 3).await;
    let order = client
        .book(largest_book("idle-streams", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let before = railgate.rss_kib();
    let uri = format!("http://{}", railgate.grpc_addr);
    let streams = idle_watchers(&uri, &order.order_id, STREAMS, 10).await;
    // Events for every stream to take: the hold, then the cancellation.
    let held = loop {
        let order = client
            .get_order(pb::GetOrderRequest {
                order_id: order.order_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .order
            .unwrap();
        if order.status == pb::OrderStatus::Held as i32 {
            break order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    client
        .cancel(pb::CancelRequest {
            idempotency_key: "idle-streams-cancel".into(),
            order_id: held.order_id.clone(),
        })
        .await
        .unwrap();
    // Let every stream's sender fill what it may.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = railgate.rss_kib();
    let grown_mib = after.saturating_sub(before) / 1024;
    eprintln!(
        "{STREAMS} idle streams on the largest order: {} MiB → {} MiB (+{grown_mib} MiB)",
        before / 1024,
        after / 1024
    );
    assert!(
        grown_mib <= STREAMS_BOUND_MIB,
        "+{grown_mib} MiB for {STREAMS} idle streams"
    );
    // Still serving.
    client
        .get_order(pb::GetOrderRequest {
            order_id: held.order_id,
        })
        .await
        .unwrap();
    drop(streams);
}
