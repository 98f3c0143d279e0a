//! Change, ConfirmChange and CancelChange: validate, convert, call the
//! order service.

use super::ApiState;
use super::caller::{check_visible, scoped_key};
use super::convert::berth_from_proto;
use super::convert_order::{change_to_proto, order_to_proto};
use super::orders::{
    MAX_PASSENGERS, idempotency_key, is_seat_choice, offer_from_request, order_id, station_ref,
};
use super::status::{ApiError, Violation};
use crate::auth::Caller;
use crate::domain::{ChangeId, Fen, TicketId};
use crate::orders::ChangeCommand;
use crate::proto as pb;

/// Change.
pub async fn change(
    state: &ApiState,
    caller: &Caller,
    request: pb::ChangeRequest,
) -> Result<pb::ChangeResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    if request.ticket_ids.is_empty() {
        violations.push(Violation::new("ticket_ids", "list the tickets to change"));
    }
    // Counts first: an order has at most MAX_PASSENGERS tickets, and an
    // oversized list is refused without reading its items.
    let mut oversized = false;
    for (field, count) in [
        ("ticket_ids", request.ticket_ids.len()),
        ("seat_choices", request.seat_choices.len()),
        ("berths", request.berths.len()),
    ] {
        if count > MAX_PASSENGERS {
            oversized = true;
            violations.push(Violation::new(
                field,
                format!("lists {count}: an order has at most {MAX_PASSENGERS} tickets"),
            ));
        }
    }
    if oversized {
        return Err(ApiError::InvalidArgument(violations));
    }
    let mut seen = std::collections::HashSet::new();
    for (index, id) in request.ticket_ids.iter().enumerate() {
        if !seen.insert(id.trim()) {
            violations.push(Violation::new(
                format!("ticket_ids[{index}]"),
                "is listed twice",
            ));
        }
    }
    let ticket_ids: Vec<TicketId> = request
        .ticket_ids
        .iter()
        .enumerate()
        .filter_map(|(index, id)| {
            TicketId::parse(id.trim())
                .map_err(|_| {
                    violations.push(Violation::new(
                        format!("ticket_ids[{index}]"),
                        "is not a ticket id",
                    ))
                })
                .ok()
        })
        .collect();
    let offer = offer_from_request(state, &request.offer_id, "offer_id", &mut violations);
    if !request.seat_choices.is_empty() && request.seat_choices.len() != request.ticket_ids.len() {
        violations.push(Violation::new(
            "seat_choices",
            "give one seat per ticket, or none",
        ));
    }
    for (index, choice) in request.seat_choices.iter().enumerate() {
        if !is_seat_choice(choice) {
            violations.push(Violation::new(
                format!("seat_choices[{index}]"),
                format!("{choice:?} is not a seat such as \"1A\""),
            ));
        }
    }
    let berths = request
        .berths
        .iter()
        .filter_map(|berth| berth_from_proto(*berth))
        .collect();
    let remark = match request.remark.trim() {
        "" => "改签".to_owned(),
        remark if remark.chars().count() > 200 => {
            violations.push(Violation::new("remark", "is longer than 200 characters"));
            String::new()
        }
        remark => remark.to_owned(),
    };
    let (Some(key), Some(order_id), Some(offer)) = (key, order_id, offer) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    check_visible(state, caller, &order_id).await?;
    let command = ChangeCommand {
        idempotency_key: scoped_key(caller, key),
        order_id,
        ticket_ids,
        from_station: station_ref(state, &offer.from_station),
        to_station: station_ref(state, &offer.to_station),
        offer,
        seat_choices: request.seat_choices,
        berths,
        accept_standing: request.accept_standing,
        remark,
    };
    let (order, change_id) = state.orders.change(command).await?;
    let change = order
        .change(&change_id)
        .map(|change| change_to_proto(change, state.stations));
    Ok(pb::ChangeResponse {
        change,
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// ConfirmChange.
pub async fn confirm_change(
    state: &ApiState,
    caller: &Caller,
    request: pb::ConfirmChangeRequest,
) -> Result<pb::ConfirmChangeResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    let change_id = change_id(&request.change_id, &mut violations);
    if request.expected_amount_fen < 0 {
        violations.push(Violation::new(
            "expected_amount_fen",
            "must not be negative",
        ));
    }
    let (Some(key), Some(order_id), Some(change_id)) = (key, order_id, change_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    check_visible(state, caller, &order_id).await?;
    let key = scoped_key(caller, key);
    let order = state
        .orders
        .confirm_change(
            &key,
            &order_id,
            &change_id,
            Fen::new(request.expected_amount_fen),
        )
        .await?;
    Ok(pb::ConfirmChangeResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

/// CancelChange.
pub async fn cancel_change(
    state: &ApiState,
    caller: &Caller,
    request: pb::CancelChangeRequest,
) -> Result<pb::CancelChangeResponse, ApiError> {
    let mut violations = Vec::new();
    let key = idempotency_key(&request.idempotency_key, &mut violations);
    let order_id = order_id(&request.order_id, &mut violations);
    let change_id = change_id(&request.change_id, &mut violations);
    let (Some(key), Some(order_id), Some(change_id)) = (key, order_id, change_id) else {
        return Err(ApiError::InvalidArgument(violations));
    };
    let remark = Some(request.remark.trim())
        .filter(|remark| !remark.is_empty())
        .unwrap_or("取消改签");
    check_visible(state, caller, &order_id).await?;
    let key = scoped_key(caller, key);
    let order = state
        .orders
        .cancel_change(&key, &order_id, &change_id, remark)
        .await?;
    Ok(pb::CancelChangeResponse {
        order: Some(order_to_proto(&order, state.stations)),
    })
}

fn change_id(id: &str, violations: &mut Vec<Violation>) -> Option<ChangeId> {
    ChangeId::parse(id.trim())
        .map_err(|_| {
            violations.push(Violation::new(
                "change_id",
                "is not a change id returned by Change",
            ))
        })
        .ok()
}
