//! The read rows: Search, GetStops, and the reconciler's order detail.
//! A read changes nothing at the provider, so its checks are the answer
//! (mapped, or OK under latency) and, for the reconciler, that it goes on
//! polling after the fault.

use super::group::Group;
use super::observe::{Row, answer, get, order_status, provider_calls};
use super::proxy::{Fault, FaultProxy};
use crate::support::date_in;
use railgate::proto::{self as pb};
use std::time::{Duration, Instant};

fn search_request(provider: pb::Provider, days: i64) -> pb::SearchRequest {
    pb::SearchRequest {
        from_station: "北京南".into(),
        to_station: "上海虹桥".into(),
        travel_date: date_in(days),
        providers: vec![provider as i32],
        ..Default::default()
    }
}

/// A second-class offer of `provider` with two seats left, `days` out
/// (no fault armed).
pub async fn offer(group: &Group, provider: pb::Provider, days: i64) -> pb::SeatOffer {
    let response = group
        .app
        .booking()
        .search(search_request(provider, days))
        .await
        .expect("the fixture's Search answers")
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

/// Search with only `provider`, under the row's fault.
pub async fn search(
    group: &Group,
    proxy: &FaultProxy,
    provider: pb::Provider,
    path: &str,
    mut row: Row,
) -> Row {
    let sent_before = proxy.sent(path);
    proxy.arm(row.fault, path).await;
    let result = group
        .app
        .booking()
        .search(search_request(provider, 3))
        .await
        .map(tonic::Response::into_inner);
    proxy.disarm().await;
    row.answer = answer(&mut row, &result, |_| String::new());
    finish_read(&mut row, result.is_ok(), proxy.sent(path) - sent_before);
    row
}

/// GetStops of an offer's train, under the row's fault.
pub async fn stops(
    group: &Group,
    proxy: &FaultProxy,
    offer_id: &str,
    path: &str,
    mut row: Row,
) -> Row {
    let sent_before = proxy.sent(path);
    proxy.arm(row.fault, path).await;
    let result = group
        .app
        .booking()
        .get_stops(pb::GetStopsRequest {
            offer_id: offer_id.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner);
    proxy.disarm().await;
    row.answer = answer(&mut row, &result, |_| String::new());
    finish_read(&mut row, result.is_ok(), proxy.sent(path) - sent_before);
    row
}

fn finish_read(row: &mut Row, answered: bool, sent: usize) {
    if row.fault == Fault::Latency && !answered {
        row.violation("latency under the timeout turned into an error");
    }
    row.sent = sent.to_string();
}

/// The reconciler polling the unsettled order `order_id` meets the fault
/// on `path` (order detail); once the fault is gone it must poll on, and
/// the order must still read as the simulator has it. No caller sees
/// these calls: a failed poll is logged and the next round tries again.
pub async fn reconciled(
    group: &Group,
    proxy: &FaultProxy,
    provider: &str,
    path: &str,
    order_id: &str,
    mut row: Row,
) -> Row {
    let app = &group.app;
    let refused_before = provider_calls(app, provider, path, "unreachable").await;
    let faulted_before = proxy.faulted(path);
    proxy.arm(row.fault, path).await;
    // A refused connection never reaches the proxy: railgate's own count
    // of unreachable calls says a poll met it.
    let met = within(async || {
        if row.fault == Fault::Refused {
            provider_calls(app, provider, path, "unreachable").await > refused_before
        } else {
            proxy.faulted(path) > faulted_before
        }
    })
    .await;
    proxy.disarm().await;
    if !met {
        row.violation("no reconciler poll met the fault");
    }
    let clean = |proxy: &FaultProxy| {
        proxy
            .exchanges()
            .iter()
            .filter(|exchange| exchange.path.ends_with(path) && exchange.fault.is_none())
            .count()
    };
    let clean_before = clean(proxy);
    if !within(async || clean(proxy) > clean_before).await {
        row.violation("the reconciler stopped polling after the fault");
    }
    row.answer = "— (reconciler)".into();
    let order = get(app, order_id).await;
    row.settled = order_status(&order);
    row.last = row.settled.clone();
    row
}

/// Polls `probe` for at most 20 s.
async fn within(mut probe: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if probe().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
