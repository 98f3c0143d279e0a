//! The caller of a call, as the auth layer left it, and what it may see:
//! orders belong to the caller that booked them, and idempotency keys are
//! the caller's own.

use super::ApiState;
use super::status::ApiError;
use crate::auth::Caller;
use crate::domain::{Order, OrderId};
use crate::orders::OrderError;

/// Between a caller's id and its idempotency key in the stored key: a
/// control character, which caller ids cannot hold, so no two callers'
/// keys can meet.
const KEY_SEPARATOR: char = '\u{1f}';

/// The caller of `request`. The auth layer puts one on every call it
/// passes; a call without one is refused rather than served as anybody.
pub(super) fn of<T>(request: &tonic::Request<T>) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or(ApiError::Unauthenticated(
            "the call reached railgate without a caller",
        ))
}

/// `key` as stored: scoped to `caller`, so two callers may use the same
/// key. Unauthenticated calls keep the bare key (as before callers had ids).
pub(super) fn scoped_key(caller: &Caller, key: String) -> String {
    if caller.id().is_empty() {
        key
    } else {
        format!("{}{KEY_SEPARATOR}{key}", caller.id())
    }
}

/// Whether `caller` may see `order`.
pub(super) fn may_see(caller: &Caller, order: &Order) -> bool {
    caller.sees_all_orders() || order.owner == caller.id()
}

/// The order `id`, if `caller` may see it; another caller's order is
/// NOT_FOUND, exactly as a missing one (no existence leak).
pub(super) async fn visible_order(
    state: &ApiState,
    caller: &Caller,
    id: &OrderId,
) -> Result<Order, ApiError> {
    let order = state.orders.get(id).await?;
    if may_see(caller, &order) {
        Ok(order)
    } else {
        Err(OrderError::NotFound(id.as_str().to_owned()).into())
    }
}

/// Refuses order `id` as NOT_FOUND unless `caller` may see it, for a call
/// that reads the order itself next (and answers NOT_FOUND for a missing
/// one): a caller that sees every order costs no read, any other the
/// order's owner alone.
pub(super) async fn check_visible(
    state: &ApiState,
    caller: &Caller,
    id: &OrderId,
) -> Result<(), ApiError> {
    if caller.sees_all_orders() {
        return Ok(());
    }
    let owner = state.orders.store().order_owner(id).await;
    match owner.map_err(OrderError::from)? {
        Some(owner) if owner == caller.id() => Ok(()),
        _ => Err(OrderError::NotFound(id.as_str().to_owned()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    #[test]
    fn keys_are_scoped_by_caller() {
        let shop = Caller::new("shop", [Scope::Book]);
        let other = Caller::new("other", [Scope::Book]);
        assert_eq!(scoped_key(&Caller::anonymous(), "k".into()), "k");
        assert_ne!(
            scoped_key(&shop, "k".into()),
            scoped_key(&other, "k".into())
        );
        // Caller ids hold no control character (the clients file refuses
        // them), so the id ends at the first separator.
        assert_eq!(scoped_key(&shop, "k\u{1f}x".into()), "shop\u{1f}k\u{1f}x");
    }
}
