//! QuoteRefund against the simulator's actual refund: for a ticket in each
//! band of 12306's rule (8 days or more, 48 h to 8 days, 24 to 48 h, under
//! 24 h before departure) the quote's fee and amount back equal, to the
//! fen, what the simulated Panhe then refunds; a quote whose fee has since
//! risen is refused before anything is sent.

use crate::booking::book_request;
use crate::scripted::{Scripted, wait_until};
use crate::support::details;
use chrono::{DateTime, Duration as TimeDelta, FixedOffset, Utc};
use railgate::proto as pb;
use railgate_sim::panhe::PanheSimConfig;
use railgate_sim::panhe::orders::CallbackMode;
use std::time::Duration;
use tonic::Code;

/// A second-class offer leaving between `from` and `to` from now.
async fn offer_leaving_within(
    scripted: &Scripted,
    from: TimeDelta,
    to: TimeDelta,
) -> (pb::SeatOffer, DateTime<FixedOffset>) {
    let now = Utc::now();
    let mut client = scripted.app.booking();
    for days in 0..=10 {
        let date = (now + TimeDelta::hours(8) + TimeDelta::days(days))
            .format("%Y-%m-%d")
            .to_string();
        let answer = client
            .search(pb::SearchRequest {
                from_station: "北京南".into(),
                to_station: "上海虹桥".into(),
                travel_date: date,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for train in answer.trains {
            let departure = DateTime::parse_from_rfc3339(&train.departure_time).unwrap();
            let left = departure.with_timezone(&Utc) - now;
            if left < from || left > to {
                continue;
            }
            if let Some(seat) = train.seats.into_iter().find(|seat| {
                seat.provider == pb::Provider::Panhe as i32
                    && seat.seat_class == pb::SeatClass::Second as i32
                    && seat.remaining >= 2
            }) {
                return (seat, departure);
            }
        }
    }
    panic!("no train leaves between {from} and {to} from now");
}

/// Books `offer`, pays, and waits until it is issued.
async fn issued(scripted: &Scripted, key: &str, offer: &pb::SeatOffer) -> pb::Order {
    let app = &scripted.app;
    let mut request = book_request(key, &offer.offer_id);
    request.passengers.truncate(1);
    let order = app
        .booking()
        .book(request)
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let held = crate::scripted::wait_status(app, &order.order_id, pb::OrderStatus::Held).await;
    crate::scripted::confirm(app, &format!("{key}-pay"), &held).await;
    crate::scripted::wait_status(app, &order.order_id, pb::OrderStatus::Issued).await
}

async fn quote(scripted: &Scripted, order: &pb::Order) -> pb::QuoteRefundResponse {
    scripted
        .app
        .booking()
        .quote_refund(pb::QuoteRefundRequest {
            order_id: order.order_id.clone(),
            ticket_id: order.tickets[0].ticket_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
}

async fn start() -> Scripted {
    let sim = PanheSimConfig {
        hold_delay: Duration::from_millis(100),
        issue_delay: Duration::from_millis(100),
        refund_delay: Duration::from_millis(100),
        ..PanheSimConfig::default()
    };
    Scripted::launch(sim, CallbackMode::Deliver, |_| {}).await
}

#[tokio::test]
async fn a_quote_is_what_panhe_refunds_in_every_band_of_the_rule() {
    let scripted = start().await;
    let bands = [
        (
            TimeDelta::days(9),
            TimeDelta::days(11),
            pb::RefundFeeBand::EightDaysOrMore,
            0,
        ),
        (
            TimeDelta::days(3),
            TimeDelta::days(7),
            pb::RefundFeeBand::TwoToEightDays,
            5,
        ),
        (
            TimeDelta::hours(25),
            TimeDelta::hours(47),
            pb::RefundFeeBand::OneToTwoDays,
            10,
        ),
        (
            TimeDelta::hours(1),
            TimeDelta::hours(23),
            pb::RefundFeeBand::UnderOneDay,
            20,
        ),
    ];
    for (index, (from, to, band, rate)) in bands.into_iter().enumerate() {
        let (offer, departure) = offer_leaving_within(&scripted, from, to).await;
        let order = issued(&scripted, &format!("quote-band-{index}"), &offer).await;
        let quoted = quote(&scripted, &order).await;
        assert_eq!(quoted.band, band as i32, "{quoted:?}");
        assert_eq!(quoted.fee_rate_percent, rate);
        assert_eq!(quoted.ticket_price_fen, order.tickets[0].price_fen);
        assert_eq!(quoted.fee_fen + quoted.refund_fen, quoted.ticket_price_fen);
        assert_eq!(
            DateTime::parse_from_rfc3339(&quoted.departure).unwrap(),
            departure
        );
        assert!(DateTime::parse_from_rfc3339(&quoted.valid_until).unwrap() <= departure);

        scripted
            .app
            .booking()
            .refund(pb::RefundRequest {
                idempotency_key: format!("quote-band-{index}-refund"),
                order_id: order.order_id.clone(),
                ticket_id: order.tickets[0].ticket_id.clone(),
                remark: "行程有变".into(),
                quote_id: quoted.quote_id.clone(),
            })
            .await
            .unwrap();
        let refunded = wait_until(&scripted.app, &order.order_id, "REFUNDED", |order| {
            order.tickets[0].status == pb::TicketStatus::Refunded as i32
        })
        .await;
        let ticket = &refunded.tickets[0];
        assert_eq!(
            (ticket.refund_fee_fen, ticket.refund_amount_fen),
            (quoted.fee_fen, quoted.refund_fen),
            "band {band:?}: Panhe refunded other figures than quoted"
        );
    }
}

#[tokio::test]
async fn a_quote_is_sealed_and_names_its_ticket() {
    let scripted = start().await;
    let (offer, _) = offer_leaving_within(&scripted, TimeDelta::days(3), TimeDelta::days(7)).await;
    let order = issued(&scripted, "quote-sealed", &offer).await;
    let quoted = quote(&scripted, &order).await;
    let refund = |quote_id: String| pb::RefundRequest {
        idempotency_key: format!("quote-sealed-{}", quote_id.len()),
        order_id: order.order_id.clone(),
        ticket_id: order.tickets[0].ticket_id.clone(),
        remark: "行程有变".into(),
        quote_id,
    };
    // An altered fee breaks the seal.
    let mut forged = quoted.quote_id.clone();
    forged.insert(3, 'x');
    let refused = scripted
        .app
        .booking()
        .refund(refund(forged))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        crate::support::violations(&refused)
            .iter()
            .any(|(field, _)| field == "quote_id")
    );
    // The quote of another order's ticket does not fit this one.
    let (other_offer, _) =
        offer_leaving_within(&scripted, TimeDelta::days(3), TimeDelta::days(7)).await;
    let other = issued(&scripted, "quote-sealed-other", &other_offer).await;
    let other_quote = quote(&scripted, &other).await;
    let refused = scripted
        .app
        .booking()
        .refund(refund(other_quote.quote_id))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
}

#[tokio::test]
async fn a_quote_overtaken_by_its_band_is_refused() {
    // railgate's clock jumps past the quote's band; the provider's does not
    // matter: nothing reaches it.
    let offset = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock = crate::support::OffsetClock(offset.clone());
    let scripted = Scripted::launch_with_clock(
        PanheSimConfig {
            hold_delay: Duration::from_millis(100),
            issue_delay: Duration::from_millis(100),
            ..PanheSimConfig::default()
        },
        CallbackMode::Deliver,
        std::sync::Arc::new(clock),
    )
    .await;
    let (offer, _) =
        offer_leaving_within(&scripted, TimeDelta::hours(50), TimeDelta::days(7)).await;
    let order = issued(&scripted, "quote-late", &offer).await;
    let quoted = quote(&scripted, &order).await;
    assert_eq!(quoted.fee_rate_percent, 5, "{quoted:?}");
    let valid_until = DateTime::parse_from_rfc3339(&quoted.valid_until).unwrap();
    // One minute into the 10% band.
    let jump = valid_until.with_timezone(&Utc) - Utc::now() + TimeDelta::minutes(1);
    offset.store(jump.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    let refused = scripted
        .app
        .booking()
        .refund(pb::RefundRequest {
            idempotency_key: "quote-late-refund".into(),
            order_id: order.order_id.clone(),
            ticket_id: order.tickets[0].ticket_id.clone(),
            remark: "行程有变".into(),
            quote_id: quoted.quote_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let refused_details = details(&refused);
    let info = refused_details.error_info().unwrap();
    assert_eq!(info.reason, "QUOTE_CHANGED");
    assert_eq!(info.metadata["quoted_fee_fen"], quoted.fee_fen.to_string());
    assert!(info.metadata["fee_fen"].parse::<i64>().unwrap() > quoted.fee_fen);
    // Nothing was sent: the ticket is still issued, and a fresh quote says
    // the new fee.
    let order = crate::scripted::get(&scripted.app, &order.order_id).await;
    assert_eq!(order.tickets[0].status, pb::TicketStatus::Issued as i32);
    let again = quote(&scripted, &order).await;
    assert_eq!(again.fee_rate_percent, 10);
}
