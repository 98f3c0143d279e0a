//! Orders through their whole lives, one after another per worker:
//! Panhe's Book → HELD → Confirm → ISSUED → QuoteRefund → Refund, with
//! now and then a Cancel while held, a Book or Confirm sent twice with
//! the same key, and Juhe's grab order → ISSUED → Refund, now and then
//! cancelled while grabbing. Each cycle ends in one outcome, counted by
//! name; none stops the soak (faults are expected to fail some).

use super::traffic::{Ctx, ROUTES, search_request};
use crate::orders::book_request;
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

/// Longest wait for a hold's result before the Book is resent with its
/// key (past the soak's 20 s idempotency lease: a Book whose answer was
/// lost stays UNKNOWN until its caller retries).
const HOLD_LIMIT: Duration = Duration::from_secs(30);
const BOOK_RESENDS: usize = 4;
/// Longest waits for issuing, a refund and a grab.
const ISSUE_LIMIT: Duration = Duration::from_secs(90);
const REFUND_LIMIT: Duration = Duration::from_secs(90);
const GRAB_LIMIT: Duration = Duration::from_secs(150);
/// Pause between one worker's cycles; longer after a Search without a
/// seat (a provider down), so the worker does not spin.
const BETWEEN_CYCLES: Duration = Duration::from_secs(1);
const AFTER_NO_SEAT: Duration = Duration::from_secs(5);
const NO_SEAT: &str = "no seat in the Search answer";
/// Pause before a WatchOrder that ended is resumed.
const RESUME_PAUSE: Duration = Duration::from_millis(200);
/// Routes booked on: the station-to-station ones (not the city search).
const BOOK_ROUTES: usize = 8;

type Client = BookingServiceClient<Channel>;

pub async fn panhe_worker(ctx: Arc<Ctx>, worker: usize) {
    let mut cycle: u64 = 0;
    while !ctx.stopped() {
        let outcome = panhe_cycle(&ctx, worker, cycle).await;
        // A cycle the stop cut short says nothing about railgate.
        if ctx.stopped() {
            break;
        }
        ctx.tally.count(format!("Panhe booking: {outcome}"));
        cycle += 1;
        if !ctx.sleep(pause_after(&outcome)).await {
            break;
        }
    }
}

pub async fn grab_worker(ctx: Arc<Ctx>, worker: usize) {
    let mut cycle: u64 = 0;
    while !ctx.stopped() {
        let outcome = grab_cycle(&ctx, worker, cycle).await;
        if ctx.stopped() {
            break;
        }
        ctx.tally.count(format!("Juhe grab order: {outcome}"));
        cycle += 1;
        if !ctx.sleep(pause_after(&outcome)).await {
            break;
        }
    }
}

fn pause_after(outcome: &str) -> Duration {
    if outcome == NO_SEAT {
        AFTER_NO_SEAT
    } else {
        BETWEEN_CYCLES
    }
}

async fn panhe_cycle(ctx: &Ctx, worker: usize, cycle: u64) -> String {
    let mut client = ctx.client();
    let route = (cycle as usize + worker * 3) % BOOK_ROUTES;
    let days = 2 + ((cycle * 5 + worker as u64) % 12) as i64;
    let Some(offer) = find_offer(&mut client, route, days, pb::Provider::Panhe).await else {
        return NO_SEAT.into();
    };
    let key = format!("soak-{}-panhe-{worker}-{cycle}", ctx.run);
    let book = book_request(format!("{key}-book"), &offer);
    let order = match client.book(book.clone()).await {
        Ok(answer) => answer.into_inner().order.unwrap_or_default(),
        Err(status) => return format!("Book answered {}", answered(&status)),
    };
    lost_answer(ctx, "Book", &order);
    ctx.remember(&order.order_id);
    if cycle % 5 == 0 {
        // A client that did not see the answer sends the same request.
        let again = client.book(book.clone()).await;
        ctx.tally.count(match again {
            Ok(answer)
                if answer.get_ref().order.as_ref().map(|o| &o.order_id)
                    == Some(&order.order_id) =>
            {
                "retry: Book again with its key, same order".to_owned()
            }
            Ok(_) => "retry: Book again with its key, ANOTHER order".to_owned(),
            Err(status) => format!("retry: Book again with its key, {}", code(&status)),
        });
    }
    let mut held = wait_until(ctx, &order.order_id, HOLD_LIMIT, |order| {
        !is(order, pb::OrderStatus::Pending) && !is(order, pb::OrderStatus::Unknown)
    })
    .await;
    for _ in 0..BOOK_RESENDS {
        let unsettled = held.as_ref().is_none_or(|order| {
            is(order, pb::OrderStatus::Pending) || is(order, pb::OrderStatus::Unknown)
        });
        if !unsettled || ctx.stopped() {
            break;
        }
        ctx.tally
            .count("retry: Book resent with its key after the lease (outcome unknown)");
        let _ = client.book(book.clone()).await;
        held = wait_until(ctx, &order.order_id, HOLD_LIMIT, |order| {
            !is(order, pb::OrderStatus::Pending) && !is(order, pb::OrderStatus::Unknown)
        })
        .await;
    }
    let Some(held) = held else {
        return "WatchOrder gave nothing".into();
    };
    if !is(&held, pb::OrderStatus::Held) {
        return format!("{} before Confirm", status_name(&held));
    }
    if cycle % 6 == 5 {
        return cancel(ctx, &mut client, &key, &held).await;
    }
    let confirm = pb::ConfirmRequest {
        idempotency_key: format!("{key}-confirm"),
        order_id: held.order_id.clone(),
        expected_amount_fen: held.total_amount_fen,
    };
    match client.confirm(confirm.clone()).await {
        Ok(answer) => lost_answer(
            ctx,
            "Confirm",
            &answer.into_inner().order.unwrap_or_default(),
        ),
        Err(status) => return format!("Confirm answered {}", answered(&status)),
    }
    if cycle % 7 == 3 {
        let again = client.confirm(confirm).await;
        ctx.tally.count(match again {
            Ok(_) => "retry: Confirm again with its key, OK".to_owned(),
            Err(status) => format!("retry: Confirm again with its key, {}", code(&status)),
        });
    }
    let issued = wait_until(ctx, &held.order_id, ISSUE_LIMIT, settled).await;
    match issued {
        Some(order) if is(&order, pb::OrderStatus::Issued) => {
            refund(ctx, &mut client, &key, &order, true).await
        }
        Some(order) => format!("{} after Confirm", status_name(&order)),
        None => "WatchOrder gave nothing after Confirm".into(),
    }
}

async fn grab_cycle(ctx: &Ctx, worker: usize, cycle: u64) -> String {
    let mut client = ctx.client();
    let route = (cycle as usize * 3 + worker) % BOOK_ROUTES;
    let days = 3 + (cycle % 7) as i64;
    let Some(offer) = find_offer(&mut client, route, days, pb::Provider::Juhe).await else {
        return NO_SEAT.into();
    };
    let key = format!("soak-{}-grab-{worker}-{cycle}", ctx.run);
    let deadline = chrono::Utc::now() + chrono::Duration::days(1);
    let mut book = book_request(format!("{key}-book"), &offer);
    // Juhe buys with its own 12306 account (代购).
    book.account = None;
    book.grab = Some(pb::GrabOptions {
        deadline: deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        alternative_seat_classes: vec![pb::SeatClass::First as i32],
        ..Default::default()
    });
    let order = match client.book(book).await {
        Ok(answer) => answer.into_inner().order.unwrap_or_default(),
        Err(status) => return format!("Book answered {}", answered(&status)),
    };
    ctx.remember(&order.order_id);
    if cycle % 4 == 3 {
        let grabbing = wait_until(ctx, &order.order_id, HOLD_LIMIT, |order| {
            !is(order, pb::OrderStatus::Pending) && !is(order, pb::OrderStatus::Unknown)
        })
        .await;
        return match grabbing {
            Some(order) if is(&order, pb::OrderStatus::Grabbing) => {
                cancel(ctx, &mut client, &key, &order).await
            }
            Some(order) => format!("{} before Cancel", status_name(&order)),
            None => "WatchOrder gave nothing".into(),
        };
    }
    let outcome = wait_until(ctx, &order.order_id, GRAB_LIMIT, settled).await;
    match outcome {
        Some(order) if is(&order, pb::OrderStatus::Issued) => {
            refund(ctx, &mut client, &key, &order, false).await
        }
        Some(order) => status_name(&order),
        None => "WatchOrder gave nothing".into(),
    }
}

/// Cancels a held (or grabbing) order and waits for CANCELLED.
async fn cancel(ctx: &Ctx, client: &mut Client, key: &str, order: &pb::Order) -> String {
    let request = pb::CancelRequest {
        idempotency_key: format!("{key}-cancel"),
        order_id: order.order_id.clone(),
    };
    match client.cancel(request).await {
        Ok(answer) => lost_answer(
            ctx,
            "Cancel",
            &answer.into_inner().order.unwrap_or_default(),
        ),
        Err(status) => return format!("Cancel answered {}", answered(&status)),
    }
    let cancelled = wait_until(ctx, &order.order_id, ISSUE_LIMIT, |order| {
        !is(order, pb::OrderStatus::Held) && !is(order, pb::OrderStatus::Grabbing)
    })
    .await;
    match cancelled {
        Some(order) => format!("{} after Cancel", status_name(&order)),
        None => "WatchOrder gave nothing after Cancel".into(),
    }
}

/// Refunds the first ticket (at a quoted fee if `quoted`) and waits for
/// the refund's result.
async fn refund(
    ctx: &Ctx,
    client: &mut Client,
    key: &str,
    order: &pb::Order,
    quoted: bool,
) -> String {
    let Some(ticket) = order.tickets.first() else {
        return "ISSUED without tickets".into();
    };
    let mut quote_id = String::new();
    if quoted {
        let quote = client
            .quote_refund(pb::QuoteRefundRequest {
                order_id: order.order_id.clone(),
                ticket_id: ticket.ticket_id.clone(),
            })
            .await;
        match quote {
            Ok(quote) => quote_id = quote.into_inner().quote_id,
            Err(status) => return format!("QuoteRefund answered {}", answered(&status)),
        }
    }
    let request = pb::RefundRequest {
        idempotency_key: format!("{key}-refund"),
        order_id: order.order_id.clone(),
        ticket_id: ticket.ticket_id.clone(),
        quote_id,
        ..Default::default()
    };
    if let Err(status) = client.refund(request).await {
        return format!("Refund answered {}", answered(&status));
    }
    let ticket_id = ticket.ticket_id.clone();
    let refunded = wait_until(ctx, &order.order_id, REFUND_LIMIT, |order| {
        order.tickets.iter().any(|ticket| {
            ticket.ticket_id == ticket_id
                && [
                    pb::TicketStatus::Refunded,
                    pb::TicketStatus::RefundFailed,
                    pb::TicketStatus::RefundedAwaitingMoney,
                ]
                .iter()
                .any(|status| ticket.status == *status as i32)
        })
    })
    .await;
    let status = refunded
        .as_ref()
        .and_then(|order| order.tickets.iter().find(|t| t.ticket_id == ticket_id))
        .map(|ticket| {
            pb::TicketStatus::try_from(ticket.status)
                .map(|status| status.as_str_name().trim_start_matches("TICKET_STATUS_"))
                .unwrap_or("?")
                .to_owned()
        })
        .unwrap_or_else(|| "?".into());
    format!("ticket {status} after Refund")
}

/// A seat offer of `provider` on a route and day: second class with seats
/// left if there is one, else (Panhe only) any class with seats left.
/// Juhe's must be on a train Juhe also sells first class on: the grab
/// order accepts first class too, and Juhe refuses an alternative class
/// none of the trains sells (坐席无效).
async fn find_offer(
    client: &mut Client,
    route: usize,
    days: i64,
    provider: pb::Provider,
) -> Option<String> {
    let answer = client
        .search(search_request(route % ROUTES.len(), days))
        .await
        .ok()?
        .into_inner();
    let grab = provider == pb::Provider::Juhe;
    let sells = |train: &pb::TrainOption, class: pb::SeatClass| {
        train
            .seats
            .iter()
            .any(|seat| seat.provider == provider as i32 && seat.seat_class == class as i32)
    };
    let seats: Vec<&pb::SeatOffer> = answer
        .trains
        .iter()
        .filter(|train| !grab || sells(train, pb::SeatClass::First))
        .flat_map(|train| &train.seats)
        .filter(|seat| seat.provider == provider as i32 && seat.remaining >= 1)
        .collect();
    seats
        .iter()
        .find(|seat| seat.seat_class == pb::SeatClass::Second as i32)
        .or_else(|| seats.first().filter(|_| !grab))
        .map(|seat| seat.offer_id.clone())
}

/// Follows the order until `done` says so or `limit` passes; the last
/// state seen (None if none was). A stream that ends before (railgate's
/// GOAWAY at the connection's maximum age, say) is resumed after the last
/// event seen, as a client should.
async fn wait_until(
    ctx: &Ctx,
    order_id: &str,
    limit: Duration,
    done: impl Fn(&pb::Order) -> bool,
) -> Option<pb::Order> {
    let mut last = None;
    let mut stop = ctx.stop.clone();
    let follow = async {
        let mut after_sequence = 0;
        loop {
            let request = pb::WatchOrderRequest {
                order_id: order_id.to_owned(),
                follow: true,
                after_sequence,
            };
            if let Ok(events) = ctx.client().watch_order(request).await {
                let mut events = events.into_inner();
                while let Some(Ok(message)) = events.next().await {
                    let Some(event) = message.event else { continue };
                    after_sequence = after_sequence.max(event.sequence);
                    if let Some(order) = event.order {
                        let finished = done(&order);
                        last = Some(order);
                        if finished {
                            return;
                        }
                    }
                }
            }
            ctx.tally.count("WatchOrder resumed after its stream ended");
            tokio::time::sleep(RESUME_PAUSE).await;
        }
    };
    tokio::select! {
        _ = tokio::time::timeout(limit, follow) => {}
        _ = stop.wait_for(|stop| *stop) => {}
    }
    last
}

/// A status's gRPC code as the spec spells it (`INVALID_ARGUMENT`); for
/// UNKNOWN, which railgate never answers (its errors are mapped), the
/// client's own message too: a transport failure.
pub fn code(status: &tonic::Status) -> String {
    let code = super::scrape::code_name(status.code());
    if status.code() == tonic::Code::Unknown {
        let message: String = status.message().chars().take(60).collect();
        format!("{code} ({message})")
    } else {
        code
    }
}

/// The code, and for INVALID_ARGUMENT the fields railgate named (its
/// message is `field: description; ...`; the fields are request field
/// names, the descriptions are left out as they may quote the request).
fn answered(status: &tonic::Status) -> String {
    let code = code(status);
    if status.code() != tonic::Code::InvalidArgument {
        return code;
    }
    let fields: Vec<&str> = status
        .message()
        .split("; ")
        .filter_map(|violation| violation.split_once(": ").map(|(field, _)| field))
        .collect();
    format!("{code} ({})", fields.join(", "))
}

/// Counts an answer that says the provider's answer was lost (the order
/// UNKNOWN until settled).
fn lost_answer(ctx: &Ctx, rpc: &str, order: &pb::Order) {
    if is(order, pb::OrderStatus::Unknown) {
        ctx.tally.count(format!(
            "{rpc} answered OK, order UNKNOWN (provider's answer lost)"
        ));
    }
}

fn is(order: &pb::Order, status: pb::OrderStatus) -> bool {
    order.status == status as i32
}

/// `HELD`, `FAILED`, ...: the order's status without the enum's prefix.
fn status_name(order: &pb::Order) -> String {
    pb::OrderStatus::try_from(order.status)
        .map(|status| {
            status
                .as_str_name()
                .trim_start_matches("ORDER_STATUS_")
                .to_owned()
        })
        .unwrap_or_else(|_| order.status.to_string())
}

/// Whether a booking has come to rest: issued, or failed, cancelled or
/// expired on the way.
fn settled(order: &pb::Order) -> bool {
    [
        pb::OrderStatus::Issued,
        pb::OrderStatus::Failed,
        pb::OrderStatus::Cancelled,
        pb::OrderStatus::Expired,
    ]
    .iter()
    .any(|status| is(order, *status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_argument_names_its_fields_without_their_descriptions() {
        let status = tonic::Status::invalid_argument(
            "grab.deadline: after the train leaves (2026-12-09T08:00:00+08:00); offer_id: expired",
        );
        assert_eq!(
            answered(&status),
            "INVALID_ARGUMENT (grab.deadline, offer_id)"
        );
        assert_eq!(answered(&tonic::Status::unavailable("x")), "UNAVAILABLE");
    }
}
