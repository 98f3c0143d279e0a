//! QuoteRefund, and the quote id a Refund may carry back.
//!
//! A quote id is sealed like an offer id (same keys, same HMAC; see
//! `domain::offer_seal`) around `r1` and the base64url of
//! `order id|ticket id|fee in fen`, valid until the quote's band ends. It
//! holds railgate to that fee: Refund recomputes the rule and refuses if
//! the fee would now be higher. Nothing is stored.

use super::caller::check_visible;
use super::status::{ApiError, Violation};
use super::{ApiState, book_request::order_id};
use crate::auth::Caller;
use crate::domain::refund_rule::RefundBand;
use crate::domain::{Fen, OrderId, TicketId};
use crate::orders::refund_quote::{QuotedFee, RefundQuote};
use crate::proto as pb;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeZone;

const QUOTE_PREFIX: &str = "r1";
/// Longest quote id accepted (one is about 120 characters).
const MAX_QUOTE_ID_BYTES: usize = 512;

/// QuoteRefund.
pub async fn quote_refund(
    state: &ApiState,
    caller: &Caller,
    request: pb::QuoteRefundRequest,
) -> Result<pb::QuoteRefundResponse, ApiError> {
    let mut violations = Vec::new();
    let order_id = order_id(&request.order_id, &mut violations);
    let ticket_id = ticket_id(&request.ticket_id, &mut violations);
    let (Some(order_id), Some(ticket_id)) = (order_id, ticket_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    check_visible(state, caller, &order_id).await?;
    let quote = state.orders.quote_refund(&order_id, &ticket_id).await?;
    Ok(quote_to_proto(state, &order_id, &quote))
}

/// The ticket id field of a request.
pub(super) fn ticket_id(raw: &str, violations: &mut Vec<Violation>) -> Option<TicketId> {
    TicketId::parse(raw.trim())
        .map_err(|_| {
            violations.push(Violation::new(
                "ticket_id",
                "is not a ticket id of the order",
            ))
        })
        .ok()
}

/// The fee a Refund's `quote_id` holds railgate to, checked to be this
/// railgate's quote for this order's ticket. Empty: none.
pub(super) fn quoted_fee(
    state: &ApiState,
    quote_id: &str,
    order_id: &OrderId,
    ticket_id: &TicketId,
) -> Result<Option<QuotedFee>, ApiError> {
    let quote_id = quote_id.trim();
    if quote_id.is_empty() {
        return Ok(None);
    }
    let refused = |description: &str| {
        ApiError::InvalidArgument(vec![Violation::new("quote_id", description)])
    };
    if quote_id.len() > MAX_QUOTE_ID_BYTES {
        return Err(refused("is not a quote id from QuoteRefund"));
    }
    // Expiry is not checked here: Refund compares the fee itself, so a
    // quote past its band is refused only if the fee has risen.
    let (payload, _expires) = state
        .router
        .offer_seal()
        .open_payload(quote_id)
        .map_err(|_| refused("was not issued by this railgate's QuoteRefund"))?;
    let (quoted_order, quoted_ticket, fee) =
        decode(payload).ok_or_else(|| refused("is not a quote id from QuoteRefund"))?;
    if quoted_order != order_id.as_str() || quoted_ticket != ticket_id.as_str() {
        return Err(refused("quotes another ticket"));
    }
    Ok(Some(QuotedFee { fee }))
}

fn encode(order_id: &OrderId, ticket_id: &TicketId, fee: Fen) -> String {
    let inner = format!("{}|{}|{}", order_id.as_str(), ticket_id.as_str(), fee.get());
    format!("{QUOTE_PREFIX}{}", URL_SAFE_NO_PAD.encode(inner))
}

fn decode(payload: &str) -> Option<(String, String, Fen)> {
    let inner = URL_SAFE_NO_PAD
        .decode(payload.strip_prefix(QUOTE_PREFIX)?)
        .ok()?;
    let inner = String::from_utf8(inner).ok()?;
    let mut parts = inner.split('|');
    let (order, ticket, fee) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        order.to_owned(),
        ticket.to_owned(),
        Fen::new(fee.parse().ok()?),
    ))
}

fn band_to_proto(band: RefundBand) -> pb::RefundFeeBand {
    match band {
        RefundBand::EightDaysOrMore => pb::RefundFeeBand::EightDaysOrMore,
        RefundBand::TwoToEightDays => pb::RefundFeeBand::TwoToEightDays,
        RefundBand::OneToTwoDays => pb::RefundFeeBand::OneToTwoDays,
        RefundBand::UnderOneDay => pb::RefundFeeBand::UnderOneDay,
    }
}

fn rule_text(band: RefundBand) -> String {
    let when = match band {
        RefundBand::EightDaysOrMore => "8 days or more before departure",
        RefundBand::TwoToEightDays => "48 hours to 8 days before departure",
        RefundBand::OneToTwoDays => "24 to 48 hours before departure",
        RefundBand::UnderOneDay => "under 24 hours before departure",
    };
    match band.rate_percent() {
        0 => format!("12306 refund rule: {when}, no fee"),
        rate => {
            format!("12306 refund rule: {when}, {rate}% of the price, rounded to ¥0.5, at least ¥2")
        }
    }
}

fn quote_to_proto(
    state: &ApiState,
    order_id: &OrderId,
    quote: &RefundQuote,
) -> pb::QuoteRefundResponse {
    let shanghai = chrono_tz::Asia::Shanghai;
    let rfc3339 = |wall: chrono::NaiveDateTime| {
        shanghai
            .from_local_datetime(&wall)
            .earliest()
            .map(|at| at.to_rfc3339())
            .unwrap_or_default()
    };
    let figures = &quote.figures;
    let expires = shanghai
        .from_local_datetime(&figures.valid_until)
        .earliest()
        .map(|at| at.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let quote_id = state
        .router
        .offer_seal()
        .seal_payload_until(&encode(order_id, &quote.ticket_id, figures.fee), expires);
    pb::QuoteRefundResponse {
        quote_id,
        ticket_id: quote.ticket_id.as_str().to_owned(),
        ticket_price_fen: quote.price.get(),
        fee_fen: figures.fee.get(),
        refund_fen: figures.refund.get(),
        fee_rate_percent: figures.band.rate_percent(),
        band: band_to_proto(figures.band) as i32,
        valid_until: rfc3339(figures.valid_until),
        departure: rfc3339(quote.departure),
        rule: rule_text(figures.band),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_payload_round_trips_and_has_no_dots() {
        let order = OrderId::new();
        let ticket = TicketId::new();
        let payload = encode(&order, &ticket, Fen::new(2750));
        assert!(!payload.contains('.'));
        assert_eq!(
            decode(&payload),
            Some((
                order.as_str().to_owned(),
                ticket.as_str().to_owned(),
                Fen::new(2750)
            ))
        );
        assert_eq!(decode("r1!!"), None);
        assert_eq!(decode(&payload.replacen("r1", "r2", 1)), None);
    }

    #[test]
    fn the_rule_is_said_in_words() {
        assert_eq!(
            rule_text(RefundBand::OneToTwoDays),
            "12306 refund rule: 24 to 48 hours before departure, 10% of the price, rounded to ¥0.5, at least ¥2"
        );
        assert!(rule_text(RefundBand::EightDaysOrMore).ends_with("no fee"));
    }
}
