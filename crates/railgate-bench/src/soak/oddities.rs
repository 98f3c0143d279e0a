//! Client-side faults, one every couple of seconds in rotation: requests
//! railgate must refuse, calls the client abandons, connections that come
//! and go, or never speak HTTP/2 at all. Each is counted with how railgate
//! answered; what matters for the soak is that none leaves anything behind
//! (a task, a file descriptor, memory).

use super::cycles::code;
use super::traffic::{Ctx, date_in, search_request};
use railgate::proto as pb;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

/// An order id of the right shape that no order has.
const NO_SUCH_ORDER: &str = "ord_0190f5d2000070008000000000000000";
/// How long an idle or garbage-sending connection waits for railgate to
/// close it (its HTTP/2 handshake timeout is 10 s).
const CLOSE_WAIT: Duration = Duration::from_secs(20);

/// The client-side faults, in rotation order.
pub const KINDS: [(&str, &str); 10] = [
    (
        "unknown station",
        "Search from a station that does not exist",
    ),
    ("past date", "Search for yesterday"),
    (
        "forged offer",
        "Book with an offer id railgate did not sign",
    ),
    ("unknown order", "GetOrder of an order that does not exist"),
    (
        "abandoned search",
        "a same-city Search (北京 → 上海, dozens of provider calls) with a 5 ms deadline: the client gives up while railgate works",
    ),
    (
        "wrong amount",
        "Confirm of an unknown order with a made-up amount",
    ),
    (
        "fresh connection",
        "a new HTTP/2 connection for one Search, then closed",
    ),
    (
        "silent connection",
        "a TCP connection to the gRPC port that never sends a byte",
    ),
    (
        "garbage",
        "a TCP connection that sends an HTTP/1.1 request to the gRPC port",
    ),
    (
        "unknown watch",
        "WatchOrder of an order that does not exist",
    ),
];

pub async fn run(ctx: Arc<Ctx>, interval: Duration) {
    let mut connections = JoinSet::new();
    let mut count: usize = 0;
    while ctx.sleep(interval).await {
        while connections.try_join_next().is_some() {}
        let (kind, _) = KINDS[count % KINDS.len()];
        count += 1;
        let outcome = match kind {
            "silent connection" | "garbage" => {
                // Waiting for railgate to close takes a while: in a task.
                let ctx = ctx.clone();
                connections.spawn(async move {
                    let outcome = raw_connection(&ctx, kind == "garbage").await;
                    ctx.tally.count(format!("{kind}: {outcome}"));
                });
                continue;
            }
            _ => call(&ctx, kind).await,
        };
        ctx.tally.count(format!("{kind}: {outcome}"));
    }
    connections.abort_all();
}

/// One gRPC oddity; its outcome as a code name.
async fn call(ctx: &Ctx, kind: &str) -> String {
    let mut client = ctx.client();
    let answer = match kind {
        "unknown station" => {
            let mut request = search_request(0, 3);
            request.from_station = "不存在站".into();
            client.search(request).await.map(drop)
        }
        "past date" => {
            let mut request = search_request(2, 0);
            request.travel_date = date_in(-1);
            client.search(request).await.map(drop)
        }
        "forged offer" => {
            let request = crate::orders::book_request(
                format!("soak-{}-forged-{}", ctx.run, ctx.sequence()),
                "off_forged0000000000000000000000",
            );
            client.book(request).await.map(drop)
        }
        "unknown order" => client
            .get_order(pb::GetOrderRequest {
                order_id: NO_SUCH_ORDER.into(),
            })
            .await
            .map(drop),
        "abandoned search" => {
            // A date not searched lately, so the cache does not answer.
            let days = (ctx.sequence() % 14) as i64;
            let mut request = tonic::Request::new(search_request(8, days));
            request.set_timeout(Duration::from_millis(5));
            client.search(request).await.map(drop)
        }
        "wrong amount" => client
            .confirm(pb::ConfirmRequest {
                idempotency_key: format!("soak-{}-wrong-{}", ctx.run, ctx.sequence()),
                order_id: NO_SUCH_ORDER.into(),
                expected_amount_fen: 1,
            })
            .await
            .map(drop),
        "fresh connection" => return fresh_connection(ctx).await,
        "unknown watch" => match client
            .watch_order(pb::WatchOrderRequest {
                order_id: NO_SUCH_ORDER.into(),
                ..Default::default()
            })
            .await
        {
            // The refusal may come as the stream's first message.
            Ok(stream) => {
                let mut stream = stream.into_inner();
                stream.message().await.map(drop)
            }
            Err(status) => Err(status),
        },
        _ => return "unknown kind".into(),
    };
    match answer {
        Ok(()) => "OK".into(),
        Err(status) => code(&status),
    }
}

/// One call on a connection of its own, then the connection closed.
async fn fresh_connection(ctx: &Ctx) -> String {
    let uri = format!("http://{}", ctx.grpc_addr);
    let channel = match crate::load::connect(&uri, 1).await {
        Ok(mut channels) => channels.remove(0),
        Err(_) => return "connect failed".into(),
    };
    let mut client = pb::booking_service_client::BookingServiceClient::new(channel);
    match client.search(search_request(0, 3)).await {
        Ok(_) => "OK".into(),
        Err(status) => code(&status),
    }
    // The channel, its only handle, is dropped here: the connection closes.
}

/// A TCP connection that never starts HTTP/2 (silent, or HTTP/1.1
/// garbage): how railgate ended it.
async fn raw_connection(ctx: &Ctx, garbage: bool) -> String {
    let Ok(mut stream) = tokio::net::TcpStream::connect(ctx.grpc_addr).await else {
        return "connect failed".into();
    };
    if garbage
        && stream
            .write_all(b"GET /railgate.v1.BookingService/Search HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_err()
    {
        return "write failed".into();
    }
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(CLOSE_WAIT, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    match closed {
        Ok(()) if started.elapsed() < Duration::from_secs(1) => "closed by railgate at once".into(),
        Ok(()) => "closed by railgate within 20 s".into(),
        Err(_) => "STILL OPEN after 20 s (closed by the client)".into(),
    }
}
