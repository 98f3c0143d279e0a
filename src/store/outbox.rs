//! The notification outbox: messages written in the same transaction as
//! the order change they report, then delivered by a worker that claims
//! them with a lease.
//!
//! A message is in one of three states ([`OutboxState`]):
//! - **pending**: waiting for its next attempt (`next_attempt_at`), or
//!   claimed by a worker until `lease_until`;
//! - **delivered**: `done_at` is set; never claimed again;
//! - **dead**: `dead_at` is set (a permanent error, or retries ran out);
//!   never claimed again until an operator replays it, which makes it
//!   pending at once with a fresh delivery window (`replayed_at`).
//!
//! Claims are disjoint across instances: PostgreSQL claims with
//! `FOR UPDATE SKIP LOCKED`, SQLite in one `UPDATE … RETURNING` under its
//! single writer (see the backend modules).

use super::{Backend, Store, StoreError, lease_end, rows};
use crate::domain::OrderId;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Largest page `list_outbox` returns.
pub const MAX_OUTBOX_PAGE_SIZE: u32 = 500;

/// A notification to send later, written in the same transaction as the
/// order change it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// What kind of message (`alitrip.book_callback`, ...): picks the sender.
    pub topic: String,
    /// The message body, as the sender wants it.
    pub payload: Vec<u8>,
}

/// A claimed outbox message: the claimer holds a lease on it until it
/// completes, fails or dead-letters it, or the lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Row id; pass to `complete_outbox` / `fail_outbox`.
    pub id: i64,
    /// Topic.
    pub topic: String,
    /// The order it reports on, if any.
    pub order_id: Option<OrderId>,
    /// Body.
    pub payload: Vec<u8>,
    /// Attempts so far, including this one (since the last replay).
    pub attempts: i64,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// The previous attempt's error, if any.
    pub last_error: Option<String>,
    /// When an operator last replayed it from the dead letters, if ever.
    pub replayed_at: Option<DateTime<Utc>>,
    /// The claim's lease runs until then.
    pub lease_until: DateTime<Utc>,
}

/// What settles a claimed message: only its holder's claim does (see
/// [`Store::complete_outbox`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxClaim {
    /// The message.
    pub id: i64,
    /// Its attempt count when claimed (every claim adds one).
    pub attempts: i64,
    /// The claim's lease end (every claim sets its own).
    pub lease_until: DateTime<Utc>,
}

impl OutboxMessage {
    /// The claim this message was handed out under.
    pub fn claim(&self) -> OutboxClaim {
        OutboxClaim {
            id: self.id,
            attempts: self.attempts,
            lease_until: self.lease_until,
        }
    }

    /// Where its delivery window starts: the last replay, else enqueueing.
    pub fn window_start(&self) -> DateTime<Utc> {
        self.replayed_at.unwrap_or(self.created_at)
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Waiting for an attempt, or being attempted.
    Pending,
    /// Sent and acknowledged.
    Delivered,
    /// Given up on; an operator may replay it.
    Dead,
}

impl OutboxState {
    /// Every state.
    pub const ALL: [OutboxState; 3] = [
        OutboxState::Pending,
        OutboxState::Delivered,
        OutboxState::Dead,
    ];

    /// Stable lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Dead => "dead",
        }
    }

    /// The SQL condition that selects rows in this state.
    const fn condition(self) -> &'static str {
        match self {
            OutboxState::Pending => "(done_at IS NULL AND dead_at IS NULL)",
            OutboxState::Delivered => "(done_at IS NOT NULL)",
            OutboxState::Dead => "(done_at IS NULL AND dead_at IS NOT NULL)",
        }
    }
}

impl std::fmt::Display for OutboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outbox row as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Row id.
    pub id: i64,
    /// Topic.
    pub topic: String,
    /// The order it reports on, if any.
    pub order_id: Option<OrderId>,
    /// Body.
    pub payload: Vec<u8>,
    /// Where it is in its life.
    pub state: OutboxState,
    /// Attempts so far (since the last replay).
    pub attempts: i64,
    /// The last attempt's error, masked.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it is due next (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// A worker holds it until then (pending and being attempted).
    pub lease_until: Option<DateTime<Utc>>,
    /// When it was delivered.
    pub done_at: Option<DateTime<Utc>>,
    /// When it was dead-lettered.
    pub dead_at: Option<DateTime<Utc>>,
    /// When an operator last replayed it.
    pub replayed_at: Option<DateTime<Utc>>,
}

/// One page of outbox entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPage {
    /// The entries.
    pub entries: Vec<OutboxEntry>,
    /// Token for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// Why an operator's outbox request (list, replay) failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// No message has this id.
    #[error("notification {0} not found")]
    NotFound(i64),
    /// Only dead messages can be replayed.
    #[error("notification {id} is {state}, not dead")]
    NotDead {
        /// The message.
        id: i64,
        /// Its state.
        state: OutboxState,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Enqueues a message on its own (not tied to an order change; for
    /// those pass it to `update_order`). Returns its id.
    pub async fn enqueue_outbox(
        &self,
        message: &NewOutboxMessage,
        order_id: Option<&OrderId>,
    ) -> Result<i64, StoreError> {
        dispatch!(self.enqueue_outbox(message, order_id, self.now()))
    }

    /// Claims up to `limit` due pending messages of any topic (oldest
    /// first) for `lease`. Two concurrent claimers never get the same
    /// message; a message whose lease ran out (its claimer died) is due
    /// again.
    pub async fn claim_outbox(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.claim(None, limit, lease).await
    }

    /// [`Store::claim_outbox`] for the messages of one topic: a worker
    /// claims only what it can send.
    pub async fn claim_outbox_topic(
        &self,
        topic: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.claim(Some(topic), limit, lease).await
    }

    async fn claim(
        &self,
        topic: Option<&str>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let now = self.now();
        let lease_until = lease_end(now, lease);
        dispatch!(self.claim_outbox(topic, i64::from(limit.max(1)), now, lease_until))
    }

    /// Marks a claimed message as sent. `ClaimLost` if the claim is no
    /// longer the holder's: its lease ran out and the message was claimed
    /// again (or settled) since.
    pub async fn complete_outbox(&self, claim: &OutboxClaim) -> Result<(), StoreError> {
        dispatch!(self.complete_outbox(claim, self.now()))
    }

    /// Releases a claimed message for another attempt at `next_attempt_at`,
    /// recording `error` (masked: long digit runs hidden). `ClaimLost` as
    /// for [`Store::complete_outbox`].
    pub async fn fail_outbox(
        &self,
        claim: &OutboxClaim,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = crate::privacy::mask_free_text(error);
        dispatch!(self.fail_outbox(claim, rows::micros(next_attempt_at), &error))
    }

    /// Gives up on a claimed message: it is never claimed again unless
    /// replayed. `error` is recorded masked. `ClaimLost` as for
    /// [`Store::complete_outbox`].
    pub async fn dead_letter_outbox(
        &self,
        claim: &OutboxClaim,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = crate::privacy::mask_free_text(error);
        dispatch!(self.dead_letter_outbox(claim, self.now(), &error))
    }

    /// The message with `id`, in any state.
    pub async fn outbox_entry(&self, id: i64) -> Result<Option<OutboxEntry>, StoreError> {
        dispatch!(self.outbox_entry(id))
    }

    /// Messages in any of `states` (every state when empty), oldest first,
    /// `page_size` at a time (clamped to 1..=[`MAX_OUTBOX_PAGE_SIZE`]).
    pub async fn list_outbox(
        &self,
        states: &[OutboxState],
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<OutboxPage, StoreError> {
        let after = page_token
            .filter(|token| !token.is_empty())
            .map(decode_token)
            .transpose()?
            .unwrap_or(0);
        let states = if states.is_empty() {
            &OutboxState::ALL[..]
        } else {
            states
        };
        let condition = states
            .iter()
            .map(|state| state.condition())
            .collect::<Vec<_>>()
            .join(" OR ");
        let limit = page_size.clamp(1, MAX_OUTBOX_PAGE_SIZE);
        let mut entries: Vec<OutboxEntry> =
            dispatch!(self.list_outbox(&condition, after, i64::from(limit) + 1))?;
        let next_page_token = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|last| encode_token(last.id))
        } else {
            None
        };
        Ok(OutboxPage {
            entries,
            next_page_token,
        })
    }

    /// How many messages are in `state`: pending and dead ones only (both
    /// are undelivered, which the `outbox_due` index covers); delivered
    /// ones are not counted, their number only grows.
    pub async fn count_outbox(&self, state: OutboxState) -> Result<Option<i64>, StoreError> {
        match state {
            OutboxState::Delivered => Ok(None),
            OutboxState::Pending | OutboxState::Dead => {
                dispatch!(self.count_outbox(state.condition())).map(Some)
            }
        }
    }

    /// The undelivered messages now, for the metrics.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        let (pending, retrying, dead) = dispatch!(self.outbox_backlog())?;
        Ok(OutboxBacklog {
            pending,
            retrying,
            dead,
        })
    }

    /// Makes a dead message pending now, with its attempts reset and a
    /// fresh delivery window. Anything but a dead message is refused.
    pub async fn replay_outbox(&self, id: i64) -> Result<OutboxEntry, OutboxError> {
        let replayed: bool = dispatch!(self.replay_outbox(id, self.now()))?;
        let entry = self
            .outbox_entry(id)
            .await?
            .ok_or(OutboxError::NotFound(id))?;
        if replayed {
            Ok(entry)
        } else {
            Err(OutboxError::NotDead {
                id,
                state: entry.state,
            })
        }
    }
}

/// Undelivered partner notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Waiting for a delivery attempt, first or again.
    pub pending: i64,
    /// Of the pending, those that failed at least once.
    pub retrying: i64,
    /// Given up on (dead letters), until replayed.
    pub dead: i64,
}

/// An opaque page token: base64url of `o1.<last id>`.
pub(crate) fn encode_token(last_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o1.{last_id}"))
}

/// Reads [`encode_token`]; anything else is `InvalidPageToken`.
pub(crate) fn decode_token(token: &str) -> Result<i64, StoreError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o1.")?.parse::<i64>().ok())
        .filter(|id| *id >= 0)
        .ok_or(StoreError::InvalidPageToken)
}

/// One `outbox` row as claimed.
#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    topic: String,
    order_id: Option<String>,
    payload: Vec<u8>,
    attempts: i64,
    created_at: DateTime<Utc>,
    last_error: Option<String>,
    replayed_at: Option<DateTime<Utc>>,
    lease_until: Option<DateTime<Utc>>,
}

impl OutboxRow {
    pub(crate) fn into_message(self) -> Result<OutboxMessage, StoreError> {
        Ok(OutboxMessage {
            id: self.id,
            topic: self.topic,
            order_id: parse_order_id(self.order_id)?,
            payload: self.payload,
            attempts: self.attempts,
            created_at: self.created_at,
            last_error: self.last_error,
            replayed_at: self.replayed_at,
            // A claim always sets the lease.
            lease_until: self.lease_until.ok_or_else(|| {
                StoreError::Corrupt(format!("claimed outbox message {} has no lease", self.id))
            })?,
        })
    }
}

/// One `outbox` row as listed.
#[derive(sqlx::FromRow)]
pub(crate) struct OutboxEntryRow {
    id: i64,
    topic: String,
    order_id: Option<String>,
    payload: Vec<u8>,
    attempts: i64,
    created_at: DateTime<Utc>,
    next_attempt_at: DateTime<Utc>,
    lease_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    done_at: Option<DateTime<Utc>>,
    dead_at: Option<DateTime<Utc>>,
    replayed_at: Option<DateTime<Utc>>,
}

impl OutboxEntryRow {
    pub(crate) fn into_entry(self) -> Result<OutboxEntry, StoreError> {
        let state = match (self.done_at, self.dead_at) {
            (Some(_), _) => OutboxState::Delivered,
            (None, Some(_)) => OutboxState::Dead,
            (None, None) => OutboxState::Pending,
        };
        Ok(OutboxEntry {
            id: self.id,
            topic: self.topic,
            order_id: parse_order_id(self.order_id)?,
            payload: self.payload,
            state,
            attempts: self.attempts,
            last_error: self.last_error,
            created_at: self.created_at,
            next_attempt_at: self.next_attempt_at,
            lease_until: self.lease_until,
            done_at: self.done_at,
            dead_at: self.dead_at,
            replayed_at: self.replayed_at,
        })
    }
}

fn parse_order_id(id: Option<String>) -> Result<Option<OrderId>, StoreError> {
    id.map(|id| OrderId::parse(&id))
        .transpose()
        .map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// `outbox` columns of [`OutboxEntryRow`].
pub(crate) const ENTRY_COLUMNS: &str = "id, topic, order_id, payload, attempts, created_at, \
     next_attempt_at, lease_until, last_error, done_at, dead_at, replayed_at";

/// Only by the claim's holder, as [`super::sql::OUTBOX_COMPLETE`].
pub(crate) const DEAD_LETTER: &str = "UPDATE outbox \
     SET dead_at = $2, lease_until = NULL, last_error = $3 \
     WHERE id = $1 AND attempts = $4 AND lease_until = $5 AND done_at IS NULL AND dead_at IS NULL";

/// Replay: pending now, attempts from zero, a fresh delivery window.
pub(crate) const REPLAY: &str = "UPDATE outbox \
     SET dead_at = NULL, replayed_at = $2, next_attempt_at = $2, attempts = 0, lease_until = NULL \
     WHERE id = $1 AND done_at IS NULL AND dead_at IS NOT NULL";

/// The outbox operations both backends share that the core store macro
/// does not hold (dead letters, listing, replay), expanded per backend:
/// `outbox_queries!(SqliteStore)`.
macro_rules! outbox_queries {
    ($store:ty) => {
        impl $store {
            pub(crate) async fn dead_letter_outbox(
                &self,
                claim: &$crate::store::OutboxClaim,
                now: chrono::DateTime<chrono::Utc>,
                error: &str,
            ) -> Result<(), $crate::store::StoreError> {
                let affected = sqlx::query($crate::store::outbox::DEAD_LETTER)
                    .bind(claim.id)
                    .bind(now)
                    .bind(error)
                    .bind(claim.attempts)
                    .bind(claim.lease_until)
                    .execute(self.writes())
                    .await?
                    .rows_affected();
                if affected == 0 {
                    return Err($crate::store::StoreError::ClaimLost { id: claim.id });
                }
                Ok(())
            }

            pub(crate) async fn replay_outbox(
                &self,
                id: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                let affected = sqlx::query($crate::store::outbox::REPLAY)
                    .bind(id)
                    .bind(now)
                    .execute(self.writes())
                    .await?
                    .rows_affected();
                Ok(affected > 0)
            }

            pub(crate) async fn outbox_entry(
                &self,
                id: i64,
            ) -> Result<Option<$crate::store::OutboxEntry>, $crate::store::StoreError> {
                let text = format!(
                    "SELECT {} FROM outbox WHERE id = $1",
                    $crate::store::outbox::ENTRY_COLUMNS
                );
                let row: Option<$crate::store::outbox::OutboxEntryRow> = sqlx::query_as(&text)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::store::outbox::OutboxEntryRow::into_entry)
                    .transpose()
            }

            /// (pending, of which retrying, dead): undelivered messages,
            /// which the `outbox_due` index covers.
            pub(crate) async fn outbox_backlog(
                &self,
            ) -> Result<(i64, i64, i64), $crate::store::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT \
                       COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END), 0), \
                       COALESCE(SUM(CASE WHEN dead_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0), \
                       COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
                     FROM outbox WHERE done_at IS NULL",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            /// `condition` is one of the fixed state conditions.
            pub(crate) async fn count_outbox(
                &self,
                condition: &str,
            ) -> Result<i64, $crate::store::StoreError> {
                let text = format!("SELECT COUNT(*) FROM outbox WHERE {condition}");
                let (count,): (i64,) = sqlx::query_as(&text).fetch_one(&self.pool).await?;
                Ok(count)
            }

            /// `condition` is built from fixed state conditions only.
            pub(crate) async fn list_outbox(
                &self,
                condition: &str,
                after_id: i64,
                limit: i64,
            ) -> Result<Vec<$crate::store::OutboxEntry>, $crate::store::StoreError> {
                let text = format!(
                    "SELECT {} FROM outbox WHERE id > $1 AND ({condition}) ORDER BY id LIMIT $2",
                    $crate::store::outbox::ENTRY_COLUMNS
                );
                let rows: Vec<$crate::store::outbox::OutboxEntryRow> = sqlx::query_as(&text)
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map($crate::store::outbox::OutboxEntryRow::into_entry)
                    .collect()
            }
        }
    };
}

pub(crate) use outbox_queries;

/// The claim condition both backends share: due, pending, not leased, and
/// of `topic` when one is given (bound as `$4`).
pub(crate) fn due_condition(topic: Option<&str>) -> String {
    let mut condition = "done_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2 \
         AND (lease_until IS NULL OR lease_until <= $2)"
        .to_owned();
    if topic.is_some() {
        condition.push_str(" AND topic = $4");
    }
    condition
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_anything_else() {
        for id in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_token(&encode_token(id)).unwrap(), id);
        }
        let foreign = URL_SAFE_NO_PAD.encode("v1.123.ord_x");
        for bad in [
            "",
            "!!",
            "bzEu",
            foreign.as_str(),
            &URL_SAFE_NO_PAD.encode("o1.-1"),
        ] {
            assert!(
                matches!(decode_token(bad), Err(StoreError::InvalidPageToken)),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_state_has_a_condition_and_a_name() {
        let names: Vec<&str> = OutboxState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["pending", "delivered", "dead"]);
        for state in OutboxState::ALL {
            assert!(state.condition().starts_with('('));
        }
    }
}
