//! Book, Confirm, Cancel, GetOrder and ListOrders: validate, convert, call
//! the order service.

use super::ApiState;
use super::caller::{check_visible, scoped_key, visible_order};
use super::convert::provider_from_proto;
use super::convert_order::{order_status_from_proto, order_to_proto};
use super::status::{ApiError, Violation};
use crate::auth::Caller;
use crate::domain::Fen;
use crate::orders::OrderError;
use crate::proto as pb;
use crate::routing::capabilities::Capability;
use crate::store::OrderFilter;
use chrono::{DateTime, Utc};

use super::book_request::book_command;
pub(super) use super::book_request::{
    MAX_PASSENGERS, idempotency_key, is_seat_choice, offer_from_request, order_id, station_ref,
};

/// Book.
pub async fn book(
    state: &ApiState,
    caller: &Caller,
    request: pb::BookRequest,
) -> Result<pb::BookResponse, ApiError> {
    let mut command = book_command(state, request)?;
    command.idempotency_key = scoped_key(caller, command.idempotency_key);
    command.owner = caller.id().to_owned();
    // The offer names its provider; routing says whether that provider is
    // configured and can do what is asked (a grab order, or a direct
    // booking), before anything is stored.
    let capability = if command.grab.is_some() {
        Capability::GrabOrders
    } else {
        Capability::DirectBooking
    };
    state
        .router
        .select(capability, Some(command.offer.provider))?;
    super::grab_dates::find_offers(state, &mut command).await?;
    let booked = state.orders.book_grouped(command).await?;
    let to_proto = |orders: &[crate::domain::Order]| {
        orders
            .iter()
            .map(|order| order_to_proto(order, state.stations))
            .collect()
    };
    Ok(pb::BookResponse {
        order: Some(order_to_proto(&booked.order, state.stations)),
        alternative_orders: to_proto(&booked.alternatives),
        party_orders: to_proto(&booked.party),
    })
}

/// Confirm.
pub async fn confirm(
    state: &ApiState,
    caller: &Caller,
    request: pb::ConfirmRequest,
) -> Result<pb::ConfirmResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    if request.expected_amount_fen <= 0 {
        violations.push(Violation::new(
            "expected_amount_fen",
            "must be the order's total in fen, greater than 0",
        ));
    }
    let (Some(key), Some(order_id)) = (key, order_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    check_visible(state, caller, &order_id).await?;
    let key = scoped_key(caller, key);
    let order = state
        .orders
        .confirm(&key, &order_id, Fen::new(request.expected_amount_fen))
        .await?;
    Ok(pb::ConfirmResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// Cancel.
pub async fn cancel(
    state: &ApiState,
    caller: &Caller,
    request: pb::CancelRequest,
) -> Result<pb::CancelResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    let (Some(key), Some(order_id)) = (key, order_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    check_visible(state, caller, &order_id).await?;
    let key = scoped_key(caller, key);
    let order = state.orders.cancel(&key, &order_id).await?;
    Ok(pb::CancelResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// Refund.
pub async fn refund(
    state: &ApiState,
    caller: &Caller,
    request: pb::RefundRequest,
) -> Result<pb::RefundResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    let ticket_id = super::refund_quote::ticket_id(&request.ticket_id, &mut violations);
    let remark = Some(request.remark.trim()).filter(|remark| !remark.is_empty());
    if remark.is_some_and(|remark| remark.chars().count() > 200) {
        violations.push(Violation::new("remark", "is longer than 200 characters"));
    }
    let (Some(key), Some(order_id), Some(ticket_id)) = (key, order_id, ticket_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    check_visible(state, caller, &order_id).await?;
    let quoted = super::refund_quote::quoted_fee(state, &request.quote_id, &order_id, &ticket_id)?;
    let key = scoped_key(caller, key);
    let order = state
        .orders
        .refund(&key, &order_id, &ticket_id, remark, quoted)
        .await?;
    Ok(pb::RefundResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// GetOrder.
pub async fn get_order(
    state: &ApiState,
    caller: &Caller,
    request: pb::GetOrderRequest,
) -> Result<pb::GetOrderResponse, ApiError> {
    let mut violations = Vec::new();
    let Some(order_id) = order_id(&request.order_id, &mut violations) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    let order = visible_order(state, caller, &order_id).await?;
    Ok(pb::GetOrderResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// ListOrders.
pub async fn list_orders(
    state: &ApiState,
    caller: &Caller,
    request: pb::ListOrdersRequest,
) -> Result<pb::ListOrdersResponse, ApiError> {
    let mut violations = Vec::new();
    let page_size = match request.page_size {
        0 => 50,
        size if size < 0 => {
            violations.push(Violation::new("page_size", "must not be negative"));
            0
        }
        size => u32::try_from(size).unwrap_or(crate::store::MAX_PAGE_SIZE),
    };
    let mut statuses = Vec::new();
    for (index, value) in request.statuses.iter().enumerate() {
        match order_status_from_proto(*value) {
            Some(status) => statuses.push(status),
            None => violations.push(Violation::new(
                format!("statuses[{index}]"),
                format!("{value} is not a valid status"),
            )),
        }
    }
    let provider = match request.provider {
        0 => None,
        value => {
            let provider = provider_from_proto(value);
            if provider.is_none() {
                violations.push(Violation::new(
                    "provider",
                    format!("{value} is not a valid provider"),
                ));
            }
            provider
        }
    };
    let created_after = optional_instant("created_after", &request.created_after, &mut violations);
    let created_before =
        optional_instant("created_before", &request.created_before, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    let filter = OrderFilter {
        statuses,
        provider,
        created_after,
        created_before,
        owner: (!caller.sees_all_orders()).then(|| caller.id().to_owned()),
    };
    let token = Some(request.page_token.as_str()).filter(|token| !token.is_empty());
    let page = state
        .orders
        .store()
        .list_orders(&filter, page_size, token)
        .await
        .map_err(|error| match error {
            crate::store::StoreError::InvalidPageToken => {
                ApiError::InvalidArgument(vec![Violation::new(
                    "page_token",
                    "is not a token from a previous ListOrders page",
                )])
            }
            other => ApiError::Orders(OrderError::Store(other)),
        })?;
    Ok(pb::ListOrdersResponse {
        orders: page
            .orders
            .iter()
            .map(|order| order_to_proto(order, state.stations))
            .collect(),
        next_page_token: page.next_page_token.unwrap_or_default(),
    })
}

fn optional_instant(
    field: &str,
    text: &str,
    violations: &mut Vec<Violation>,
) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            violations.push(Violation::new(
                field,
                format!("{text:?} is not an RFC 3339 time"),
            ))
        })
        .ok()
}
