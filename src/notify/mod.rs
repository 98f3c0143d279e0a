//! Notifications to downstream channels: which order changes call for one,
//! and the worker that delivers them.
//!
//! A notification is an outbox row written in the same transaction as the
//! order change that causes it ([`notifications`] is called by the one
//! place order changes are saved), so an order change and its
//! notification are recorded together or not at all. The [`worker`]
//! delivers rows later, surviving crashes and outages.
//!
//! # Layout
//! - [`alitrip_book`]: the alitrip book callback (seed 003): when, what
//!   the row holds, how it is sent.
//! - [`retry`]: exponential backoff with full jitter inside a delivery
//!   window.
//! - [`worker`]: claim, send, complete / reschedule / dead-letter.
//! - [`start`]: where callbacks go per the configuration; starts the
//!   worker (to the fake TOP gateway that `crate::sandbox` starts in sandbox mode).

pub mod alitrip_book;
pub mod retry;
pub mod start;
pub mod worker;

use crate::domain::Order;
use crate::store::NewOutboxMessage;

/// The notifications the change `before → after` calls for, to be written
/// with it. Pure: the same change always gives the same messages.
pub fn notifications(before: &Order, after: &Order) -> Vec<NewOutboxMessage> {
    alitrip_book::message(before, after).into_iter().collect()
}
