//! SQL both backends share. SQLite accepts PostgreSQL's `$N` parameters,
//! so one text serves both wherever the dialects agree; what differs
//! (outbox claiming, connection set-up) lives in the backend modules.

use super::{OrderFilter, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

/// `orders` columns, in [`super::rows::OrderRow`] order.
pub(crate) const ORDER_COLUMNS: &[&str] = &[
    "id",
    "provider",
    "provider_order_no",
    "customer_order_no",
    "order_no_12306",
    "status",
    "status_reason",
    "train_code",
    "train_no",
    "from_telecode",
    "from_name",
    "to_telecode",
    "to_name",
    "departure",
    "arrival",
    "contact_name",
    "contact_phone",
    "total_amount_fen",
    "ticket_amount_fen",
    "service_fee_fen",
    "pay_deadline",
    "grab_deadline",
    "channel",
    "settled",
    "created_at",
    "updated_at",
    "version",
    "last_sequence",
    "owner",
    "trace_parent",
    "change_count",
];

/// `tickets` columns, in [`super::rows::TicketRow`] order.
pub(crate) const TICKET_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "position",
    "passenger_name",
    "id_type",
    "id_number",
    "passenger_type",
    "phone",
    "birth_date",
    "sex",
    "country_code",
    "id_expiry_date",
    "seat_class",
    "berth",
    "status",
    "price_fen",
    "coach",
    "seat_number",
    "ticket_number",
    "provider_passenger_id",
    "refund_fee_fen",
    "refund_amount_fen",
    "refund_failure_reason",
    "replaced",
];

/// `change_orders` columns, in [`super::rows::ChangeRow`] order.
pub(crate) const CHANGE_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "position",
    "provider_change_no",
    "status",
    "ticket_ids",
    "train_code",
    "from_telecode",
    "from_name",
    "to_telecode",
    "to_name",
    "departure",
    "arrival",
    "seat_class",
    "price_difference_fen",
    "change_fee_fen",
    "need_to_pay_fen",
    "refund_amount_fen",
    "confirm_deadline",
    "status_reason",
    "created_at",
    "price_change",
    "refund_due_fen",
    "difference_refund_fee_fen",
    "paid_amount_fen",
    "paid_at",
    "refund_kind",
    "new_fare_fen",
    "change_fee_rate_bps",
    "difference_refund_fee_rate_bps",
    "origin",
];

fn insert(table: &str, columns: &[&str]) -> String {
    let params: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        params.join(", ")
    )
}

fn select(table: &str, columns: &[&str]) -> String {
    format!("SELECT {} FROM {table}", columns.join(", "))
}

/// Inserts an order row; binds with [`bind_order_row`].
pub(crate) static INSERT_ORDER: LazyLock<String> =
    LazyLock::new(|| insert("orders", ORDER_COLUMNS));

/// Rewrites every column of an order row: `$1` is the id, the other
/// columns follow in order, and the last parameter is the expected version.
pub(crate) static UPDATE_ORDER: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = ORDER_COLUMNS
        .iter()
        .enumerate()
        .skip(1)
        .map(|(index, column)| format!("{column} = ${}", index + 1))
        .collect();
    format!(
        "UPDATE orders SET {} WHERE id = $1 AND version = ${}",
        sets.join(", "),
        ORDER_COLUMNS.len() + 1
    )
});

/// Writes `count` rows of an order's children (`tickets` with
/// [`TICKET_COLUMNS`], `change_orders` with [`CHANGE_COLUMNS`]) in one
/// statement, each bound in column order: new rows are inserted, rows
/// whose id exists are rewritten. An order's tickets and changes are only
/// ever added or updated, never removed, so this is all a save needs (no
/// delete-and-reinsert).
pub(crate) fn upsert_children(table: &str, columns: &[&str], count: usize) -> String {
    let width = columns.len();
    let rows: Vec<String> = (0..count)
        .map(|row| {
            let params: Vec<String> = (1..=width)
                .map(|n| format!("${}", row * width + n))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sets: Vec<String> = columns
        .iter()
        .filter(|column| **column != "id")
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT (id) DO UPDATE SET {}",
        columns.join(", "),
        rows.join(", "),
        sets.join(", ")
    )
}

/// `SELECT <order columns> FROM orders`, to extend with a condition.
pub(crate) static SELECT_ORDERS: LazyLock<String> =
    LazyLock::new(|| select("orders", ORDER_COLUMNS));

/// Change orders of one order, in position order.
pub(crate) static SELECT_CHANGES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} WHERE order_id = $1 ORDER BY position",
        select("change_orders", CHANGE_COLUMNS)
    )
});

/// Rows of `table` belonging to `count` orders (`$1..$count`).
pub(crate) fn select_children(table: &str, columns: &[&str], count: usize) -> String {
    let params: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "{} WHERE order_id IN ({}) ORDER BY order_id, position",
        select(table, columns),
        params.join(", ")
    )
}

pub(crate) const SELECT_VERSION: &str = "SELECT version FROM orders WHERE id = $1";

pub(crate) const INSERT_EVENT: &str = "INSERT INTO order_events \
     (order_id, sequence, kind, occurred_at, snapshot) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const SELECT_EVENTS: &str = "SELECT order_id, sequence, kind, occurred_at, snapshot \
     FROM order_events WHERE order_id = $1 AND sequence > $2 ORDER BY sequence";

pub(crate) const IDEMPOTENCY_CLAIM: &str = "INSERT INTO idempotency_keys \
     (idempotency_key, operation, fingerprint, locked_until, created_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING";
/// Takes over a claim whose lease ran out (its owner crashed or gave up).
pub(crate) const IDEMPOTENCY_TAKE_OVER: &str = "UPDATE idempotency_keys SET locked_until = $4 \
     WHERE idempotency_key = $1 AND operation = $2 AND fingerprint = $3 \
     AND response IS NULL AND locked_until <= $5";
pub(crate) const IDEMPOTENCY_SELECT: &str = "SELECT operation, fingerprint, response \
     FROM idempotency_keys WHERE idempotency_key = $1";
pub(crate) const IDEMPOTENCY_COMPLETE: &str = "UPDATE idempotency_keys \
     SET response = $2, completed_at = $3 WHERE idempotency_key = $1 AND response IS NULL";
pub(crate) const IDEMPOTENCY_RELEASE: &str =
    "DELETE FROM idempotency_keys WHERE idempotency_key = $1 AND response IS NULL";

pub(crate) const INBOX_INSERT: &str = "INSERT INTO callback_inbox \
     (provider, dedupe_key, payload, received_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (provider, dedupe_key) DO NOTHING";
pub(crate) const INBOX_PROCESSED: &str = "UPDATE callback_inbox SET processed_at = $3 \
     WHERE provider = $1 AND dedupe_key = $2";

/// Retention: processed inbox entries received before `$1`.
pub(crate) const PRUNE_INBOX: &str = "DELETE FROM callback_inbox \
     WHERE processed_at IS NOT NULL AND received_at < $1";
/// Retention: every event but the last of settled orders last changed
/// before `$1` (snapshots written before `store::snapshot` copy the passengers; the order row stays).
pub(crate) const PRUNE_EVENTS: &str = "DELETE FROM order_events \
     WHERE order_id IN (SELECT id FROM orders WHERE settled AND updated_at < $1) \
     AND sequence < (SELECT last_sequence FROM orders WHERE orders.id = order_events.order_id)";

pub(crate) const OUTBOX_INSERT: &str = "INSERT INTO outbox \
     (topic, order_id, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4) \
     RETURNING id";
/// `outbox` columns of a claimed [`super::outbox::OutboxRow`].
pub(crate) const OUTBOX_COLUMNS: &str =
    "id, topic, order_id, payload, attempts, created_at, last_error, replayed_at, lease_until";
/// Only the claim's holder settles a message: the claim is its attempt
/// count and lease end ($3, $4; every claim moves both), so a holder that
/// stalled past its lease, whose message another instance claimed since,
/// changes nothing.
pub(crate) const OUTBOX_COMPLETE: &str = "UPDATE outbox SET done_at = $2, lease_until = NULL \
     WHERE id = $1 AND attempts = $3 AND lease_until = $4 AND done_at IS NULL AND dead_at IS NULL";
pub(crate) const OUTBOX_FAIL: &str = "UPDATE outbox \
     SET lease_until = NULL, next_attempt_at = $2, last_error = $3 \
     WHERE id = $1 AND attempts = $4 AND lease_until = $5 AND done_at IS NULL AND dead_at IS NULL";

/// Binds an [`super::rows::OrderRow`] in [`ORDER_COLUMNS`] order.
macro_rules! bind_order_row {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.id)
            .bind(&$row.provider)
            .bind(&$row.provider_order_no)
            .bind(&$row.customer_order_no)
            .bind(&$row.order_no_12306)
            .bind(&$row.status)
            .bind(&$row.status_reason)
            .bind(&$row.train_code)
            .bind(&$row.train_no)
            .bind(&$row.from_telecode)
            .bind(&$row.from_name)
            .bind(&$row.to_telecode)
            .bind(&$row.to_name)
            .bind($row.departure)
            .bind($row.arrival)
            .bind(&$row.contact_name)
            .bind(&$row.contact_phone)
            .bind($row.total_amount_fen)
            .bind($row.ticket_amount_fen)
            .bind($row.service_fee_fen)
            .bind($row.pay_deadline)
            .bind($row.grab_deadline)
            .bind(&$row.channel)
            .bind($row.settled)
            .bind($row.created_at)
            .bind($row.updated_at)
            .bind($row.version)
            .bind($row.last_sequence)
            .bind(&$row.owner)
            .bind(&$row.trace_parent)
            .bind($row.change_count)
    };
}

/// Binds a [`super::rows::TicketRow`] in [`TICKET_COLUMNS`] order.
macro_rules! bind_ticket_row {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.id)
            .bind(&$row.order_id)
            .bind($row.position)
            .bind(&$row.passenger_name)
            .bind(&$row.id_type)
            .bind(&$row.id_number)
            .bind(&$row.passenger_type)
            .bind(&$row.phone)
            .bind($row.birth_date)
            .bind(&$row.sex)
            .bind(&$row.country_code)
            .bind($row.id_expiry_date)
            .bind(&$row.seat_class)
            .bind(&$row.berth)
            .bind(&$row.status)
            .bind($row.price_fen)
            .bind(&$row.coach)
            .bind(&$row.seat_number)
            .bind(&$row.ticket_number)
            .bind(&$row.provider_passenger_id)
            .bind($row.refund_fee_fen)
            .bind($row.refund_amount_fen)
            .bind(&$row.refund_failure_reason)
            .bind(&$row.replaced)
    };
}

/// Binds a [`super::rows::ChangeRow`] in [`CHANGE_COLUMNS`] order.
macro_rules! bind_change_row {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.id)
            .bind(&$row.order_id)
            .bind($row.position)
            .bind(&$row.provider_change_no)
            .bind(&$row.status)
            .bind(&$row.ticket_ids)
            .bind(&$row.train_code)
            .bind(&$row.from_telecode)
            .bind(&$row.from_name)
            .bind(&$row.to_telecode)
            .bind(&$row.to_name)
            .bind($row.departure)
            .bind($row.arrival)
            .bind(&$row.seat_class)
            .bind($row.price_difference_fen)
            .bind($row.change_fee_fen)
            .bind($row.need_to_pay_fen)
            .bind($row.refund_amount_fen)
            .bind($row.confirm_deadline)
            .bind(&$row.status_reason)
            .bind($row.created_at)
            .bind(&$row.price_change)
            .bind($row.refund_due_fen)
            .bind($row.difference_refund_fee_fen)
            .bind($row.paid_amount_fen)
            .bind($row.paid_at)
            .bind(&$row.refund_kind)
            .bind($row.new_fare_fen)
            .bind($row.change_fee_rate_bps)
            .bind($row.difference_refund_fee_rate_bps)
            .bind(&$row.origin)
    };
}

pub(crate) use {bind_change_row, bind_order_row, bind_ticket_row};

/// A bind value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

/// Where a page starts: just after this (created_at, id), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    /// An opaque token: base64url of `v1.<created_at micros>.<id>`.
    pub(crate) fn encode(&self) -> String {
        let text = format!("v1.{}.{}", self.created_at.timestamp_micros(), self.id);
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Parses [`Cursor::encode`]; anything else is `InvalidPageToken`.
    pub(crate) fn decode(token: &str) -> Result<Self, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| StoreError::InvalidPageToken)?;
        let text = String::from_utf8(bytes).map_err(|_| StoreError::InvalidPageToken)?;
        let mut parts = text.splitn(3, '.');
        let (Some("v1"), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StoreError::InvalidPageToken);
        };
        let created_at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or(StoreError::InvalidPageToken)?;
        if id.is_empty() {
            return Err(StoreError::InvalidPageToken);
        }
        Ok(Cursor {
            created_at,
            id: id.to_owned(),
        })
    }
}

/// One page of `ListOrders`: newest first by (created_at, id), keyset
/// pagination from `after`, one row more than `limit` to learn whether
/// another page follows.
pub(crate) fn list_orders(
    filter: &OrderFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> (String, Vec<Arg>) {
    let mut conditions = Vec::new();
    let mut args = Vec::new();
    fn next(arg: Arg, args: &mut Vec<Arg>) -> String {
        args.push(arg);
        format!("${}", args.len())
    }
    if !filter.statuses.is_empty() {
        let params: Vec<String> = filter
            .statuses
            .iter()
            .map(|status| next(Arg::Text(status.as_str().to_owned()), &mut args))
            .collect();
        conditions.push(format!("status IN ({})", params.join(", ")));
    }
    if let Some(owner) = &filter.owner {
        let param = next(Arg::Text(owner.clone()), &mut args);
        conditions.push(format!("owner = {param}"));
    }
    if let Some(provider) = filter.provider {
        let param = next(Arg::Text(provider.as_str().to_owned()), &mut args);
        conditions.push(format!("provider = {param}"));
    }
    if let Some(created_after) = filter.created_after {
        let param = next(Arg::Time(super::rows::micros(created_after)), &mut args);
        conditions.push(format!("created_at >= {param}"));
    }
    if let Some(created_before) = filter.created_before {
        let param = next(Arg::Time(super::rows::micros(created_before)), &mut args);
        conditions.push(format!("created_at < {param}"));
    }
    if let Some(cursor) = after {
        let time = next(Arg::Time(cursor.created_at), &mut args);
        let id = next(Arg::Text(cursor.id.clone()), &mut args);
        conditions.push(format!(
            "(created_at < {time} OR (created_at = {time} AND id < {id}))"
        ));
    }
    let limit_param = next(Arg::Int(limit + 1), &mut args);
    let filter_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "{}{filter_sql} ORDER BY created_at DESC, id DESC LIMIT {limit_param}",
        *SELECT_ORDERS
    );
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderStatus;

    #[test]
    fn page_tokens_round_trip_and_refuse_garbage() {
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: "ord_0195f3c6a1b27c3e8e2f9a0b1c2d3e4f".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "!!", "djEuMTIz", &URL_SAFE_NO_PAD.encode("v2.1.ord_x")] {
            assert!(
                matches!(Cursor::decode(bad), Err(StoreError::InvalidPageToken)),
                "{bad}"
            );
        }
    }

    /// Rows are numbered on from one another, and every column but the
    /// id is rewritten on a conflict.
    #[test]
    fn children_upsert_numbers_rows_in_turn() {
        let sql = upsert_children("tickets", &["id", "order_id", "status"], 2);
        assert_eq!(
            sql,
            "INSERT INTO tickets (id, order_id, status) VALUES ($1, $2, $3), ($4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, status = excluded.status"
        );
        let widest = upsert_children("change_orders", CHANGE_COLUMNS, 3);
        assert!(widest.contains(&format!("${})", 3 * CHANGE_COLUMNS.len())));
        assert!(!widest.contains(&format!("${}", 3 * CHANGE_COLUMNS.len() + 1)));
    }

    #[test]
    fn list_sql_numbers_parameters_in_order() {
        let filter = OrderFilter {
            statuses: vec![OrderStatus::Held, OrderStatus::Issued],
            provider: Some(crate::domain::ProviderId::Panhe),
            ..OrderFilter::default()
        };
        let (sql, args) = list_orders(&filter, None, 10);
        assert!(sql.ends_with(
            "WHERE status IN ($1, $2) AND provider = $3 \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        ));
        assert_eq!(args.len(), 4);
        assert!(UPDATE_ORDER.ends_with("WHERE id = $1 AND version = $32"));
        assert!(INSERT_ORDER.ends_with("$30, $31)"));
    }
}
