//! Order events stored by any instance, heard as they commit: PostgreSQL
//! `LISTEN` on [`super::ORDER_EVENTS_CHANNEL`], whose `NOTIFY` every
//! event's transaction sends. SQLite serves one instance, whose own events
//! reach its watchers in-process, so it has no listener.

use super::{ORDER_EVENTS_CHANNEL, StoreError};
use crate::domain::OrderId;
use sqlx::postgres::{PgListener, PgPool};

/// What the listener heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Event `sequence` of `order_id` was stored (by any instance).
    Event {
        /// The order.
        order_id: OrderId,
        /// The event's sequence.
        sequence: i64,
    },
    /// The connection was lost and is being made again: events stored
    /// meanwhile were not heard, so readers re-read what they follow.
    Lost,
}

/// A `LISTEN` connection of its own (not one of the pool's).
pub struct OrderEventListener {
    listener: PgListener,
}

impl std::fmt::Debug for OrderEventListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrderEventListener")
    }
}

impl OrderEventListener {
    pub(super) async fn connect(pool: &PgPool) -> Result<Self, StoreError> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(ORDER_EVENTS_CHANNEL).await?;
        Ok(Self { listener })
    }

    /// The next thing heard. After [`Heard::Lost`] the next call connects
    /// again (and listens again); an error is a failed reconnect, which a
    /// caller retries after a pause.
    pub async fn next(&mut self) -> Result<Heard, StoreError> {
        loop {
            match self.listener.try_recv().await? {
                None => return Ok(Heard::Lost),
                Some(notification) => {
                    if let Some(heard) = parse(notification.payload()) {
                        return Ok(heard);
                    }
                    // Not railgate's payload (someone else's NOTIFY on the
                    // channel): nothing to act on.
                }
            }
        }
    }
}

/// `<order id>:<sequence>`, as the store sends it.
fn parse(payload: &str) -> Option<Heard> {
    let (order_id, sequence) = payload.rsplit_once(':')?;
    Some(Heard::Event {
        order_id: OrderId::parse(order_id).ok()?,
        sequence: sequence.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_payload_parses_and_anything_else_is_ignored() {
        let id = "ord_0190f5d200007000800000000000a0d1";
        assert_eq!(
            parse(&format!("{id}:7")),
            Some(Heard::Event {
                order_id: OrderId::parse(id).unwrap(),
                sequence: 7
            })
        );
        for other in [
            "",
            "7",
            "ord_x:7",
            &format!("{id}:"),
            &format!("{id}:seven"),
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
