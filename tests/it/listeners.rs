//! The listeners' limits against real connections: a client that sends
//! nothing, or half a request, is closed after the header read timeout; a
//! callback whose handling outlasts the request timeout is answered 503; a
//! gRPC client that does not greet within the handshake timeout is closed.

use crate::scripted::{SECRET, Scripted, book, wait_status};
use crate::support::TestApp;
use railgate::proto as pb;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; how long that took.
async fn closed_after(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection was still open after 20 s"),
        }
    }
}

#[tokio::test]
async fn silent_and_slow_http_clients_are_disconnected() {
    let app = TestApp::spawn_with(|config| {
        config.server.http_header_read_timeout_ms = 300;
    })
    .await;
    let silent = TcpStream::connect(app.http_addr).await.unwrap();
    let mut slow = TcpStream::connect(app.http_addr).await.unwrap();
    slow.write_all(b"POST /callbacks/panhe/x/order HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let (silent, slow) = tokio::join!(closed_after(silent), closed_after(slow));
    for elapsed in [silent, slow] {
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    }
    // The listener still serves whole requests.
    let health = reqwest::get(format!("http://{}/healthz", app.http_addr))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn silent_and_half_greeting_grpc_clients_are_disconnected() {
    let app = TestApp::spawn_with(|config| {
        config.server.grpc_handshake_timeout_ms = 300;
    })
    .await;
    let silent = TcpStream::connect(app.grpc_addr).await.unwrap();
    let mut half = TcpStream::connect(app.grpc_addr).await.unwrap();
    half.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let (silent, half) = tokio::join!(closed_after(silent), closed_after(half));
    for elapsed in [silent, half] {
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    }
    // The listener still serves gRPC clients, also once they have been
    // idle for longer than the handshake timeout.
    let mut client = app.booking();
    tokio::time::sleep(Duration::from_millis(600)).await;
    client
        .lookup_stations(pb::LookupStationsRequest {
            query: "beijing".into(),
            ..Default::default()
        })
        .await
        .expect("a served call");
}

#[tokio::test]
async fn a_callback_that_outlasts_the_request_timeout_is_answered_503() {
    let scripted = Scripted::start_with(|config| {
        config.server.http_request_timeout_ms = 300;
        config.panhe.timeout_ms = 10_000;
    })
    .await;
    let booked = book(&scripted.app, "slow-callback").await;
    let pending = wait_status(&scripted.app, &booked.order_id, pb::OrderStatus::Pending).await;
    // Re-reading the order from Panhe now takes 2 s.
    scripted
        .sim
        .set_response_delay(Some(Duration::from_secs(2)));
    let (status, _) = scripted
        .post_json(
            &scripted.url(SECRET, "order"),
            &serde_json::json!({"orderNo": pending.provider_order_no}),
        )
        .await;
    scripted.sim.set_response_delay(None);
    assert_eq!(status, 503);
}

#[tokio::test]
async fn a_watch_stream_outlives_the_grpc_request_timeout() {
    use tokio_stream::StreamExt;
    let app = TestApp::spawn_with(|config| {
        config.server.grpc_request_timeout_ms = 1_500;
    })
    .await;
    let offer = crate::booking::offer(&app).await;
    let booked = app
        .booking()
        .book(crate::booking::book_request("outlives", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = crate::booking::wait_for(&app, &booked.order_id, |order| {
        order.status == pb::OrderStatus::Held as i32
    })
    .await;
    let mut stream = app
        .booking()
        .watch_order(pb::WatchOrderRequest {
            order_id: booked.order_id.clone(),
            after_sequence: held.last_sequence,
            follow: true,
        })
        .await
        .unwrap()
        .into_inner();
    // Past the handler timeout, the stream is still there for the cancel.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    app.booking()
        .cancel(pb::CancelRequest {
            idempotency_key: "outlives-cancel".into(),
            order_id: booked.order_id.clone(),
        })
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("an event")
        .expect("the stream is open")
        .unwrap();
    assert_eq!(
        event.event.unwrap().order.unwrap().status,
        pb::OrderStatus::Cancelled as i32
    );
}
