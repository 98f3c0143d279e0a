//! WatchOrder: the order's current state (or the events after a sequence
//! number, to resume), then every event as it is stored.
//!
//! - [`hub`]: one feed per watched order, shared by its watchers.
//! - [`feed`]: a feed's task: in-process events as they are stored, the
//!   store read periodically for events another instance stored.
//! - [`stream`]: one watcher's stream over its order's feed, falling back
//!   to the store whenever the feed cannot give it the next event.

mod feed;
mod hub;
mod quota;
mod stream;
#[cfg(test)]
mod tests;

use super::ApiState;
use super::status::{ApiError, Violation};
use crate::domain::OrderId;
use crate::proto as pb;
pub use hub::{WatchHub, WatchSettings};
use stream::Watcher;
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

/// Starts watching; validation and NOT_FOUND are answered before the
/// stream opens.
pub async fn watch_order(
    state: &ApiState,
    caller: &crate::auth::Caller,
    request: pb::WatchOrderRequest,
) -> Result<impl Stream<Item = Result<pb::WatchOrderResponse, Status>> + Send + use<>, ApiError> {
    let order_id = OrderId::parse(request.order_id.trim()).map_err(|_| {
        ApiError::InvalidArgument(vec![Violation::new(
            "order_id",
            "is not an order id returned by Book",
        )])
    })?;
    if request.after_sequence < 0 {
        return Err(ApiError::InvalidArgument(vec![Violation::new(
            "after_sequence",
            "must not be negative",
        )]));
    }
    // Another caller's order is not found, as a missing one.
    super::caller::check_visible(state, caller, &order_id).await?;
    // Held by the stream: its slot is given back when the stream drops.
    let slot = state.watch_hub.quota().acquire(caller)?;
    let watcher = Watcher::open(
        &state.watch_hub,
        order_id,
        request.after_sequence,
        request.follow,
    )
    .await?;
    Ok(watcher.into_stream().map(move |event| {
        let _held = &slot;
        event
    }))
}
