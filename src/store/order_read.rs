//! Reading one order in one statement: its row with its tickets gathered
//! into a JSON array by the database (a correlated subquery), instead of
//! a transaction holding two statements (the order, then its tickets).
//!
//! Every step of an order's life reads it (a callback, Confirm, a
//! watcher), so this is the store's most frequent statement: one
//! statement needs no explicit transaction for a consistent answer (a
//! single statement reads one snapshot on both backends), which saves
//! `BEGIN`/`COMMIT` and, on SQLite, a hop to the connection's thread per
//! statement. Change orders, which few orders have, are still read by a
//! second statement when the row counts any (`change_count`).
//!
//! The two backends build JSON with different functions; the array's
//! objects have the `tickets` columns as keys, so [`TicketRow`]'s serde
//! names read them, the way it reads an event's snapshot.

use super::rows::{OrderRow, TicketRow};
use super::sql::{ORDER_COLUMNS, TICKET_COLUMNS};
use sqlx::types::Json;

/// How a backend writes a JSON object and aggregates rows into an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonDialect {
    Sqlite,
    Postgres,
}

/// `SELECT <order columns>, <its tickets as JSON> AS tickets`, to extend
/// with `FROM orders` and a condition on it (`WHERE id = $1`), or first
/// with more columns.
pub(crate) fn select_order_with_tickets(dialect: JsonDialect) -> String {
    let pairs: Vec<String> = TICKET_COLUMNS
        .iter()
        .map(|column| format!("'{column}', {}", ticket_value(dialect, column)))
        .collect();
    let (object, array) = match dialect {
        JsonDialect::Sqlite => ("json_object", "json_group_array"),
        JsonDialect::Postgres => ("json_build_object", "json_agg"),
    };
    format!(
        "SELECT {}, (SELECT {array}({object}({})) FROM tickets t WHERE t.order_id = orders.id) \
         AS tickets",
        ORDER_COLUMNS.join(", "),
        pairs.join(", ")
    )
}

/// A ticket column as a JSON value. `replaced` holds JSON itself:
/// PostgreSQL keeps it as JSONB (nested as it is), SQLite as text, which
/// `json()` nests instead of quoting.
fn ticket_value(dialect: JsonDialect, column: &str) -> String {
    match (dialect, column) {
        (JsonDialect::Sqlite, "replaced") => "json(t.replaced)".to_owned(),
        _ => format!("t.{column}"),
    }
}

/// A row of [`select_order_with_tickets`].
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OrderWithTickets {
    #[sqlx(flatten)]
    pub order: OrderRow,
    /// NULL for an order without tickets on PostgreSQL (`json_agg` of no
    /// rows); `[]` on SQLite.
    pub tickets: Option<Json<Vec<TicketRow>>>,
}

/// A row of [`select_order_with_tickets`] with whether the callback inbox
/// holds a callback as processed.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CallbackRead {
    #[sqlx(flatten)]
    pub read: OrderWithTickets,
    pub processed: bool,
}

impl OrderWithTickets {
    /// The order row and its tickets in position order.
    pub fn into_parts(self) -> (OrderRow, Vec<TicketRow>) {
        (self.order, in_position_order(self.tickets))
    }
}

/// The aggregated tickets in position order (an aggregate's order is not
/// promised by either backend); none when the database gave NULL.
fn in_position_order(tickets: Option<Json<Vec<TicketRow>>>) -> Vec<TicketRow> {
    let mut tickets = tickets.map(|Json(tickets)| tickets).unwrap_or_default();
    tickets.sort_by_key(|ticket| ticket.position);
    tickets
}

/// The single-order reads, expanded for each backend like
/// `super::common`'s (`order_read_queries!(SqliteStore)`); the backend
/// supplies `order_with_tickets_sql` and `begin_read`.
macro_rules! order_read_queries {
    ($store:ty) => {
        impl $store {
            pub(crate) async fn get_order(
                &self,
                id: &OrderId,
            ) -> Result<Option<Order>, StoreError> {
                self.read_order_where("id = $1", &[id.as_str()]).await
            }

            /// The order matching `condition` (on `orders`, binding
            /// `values` in order): one statement for the order and its
            /// tickets (see `super::order_read`); an order with change
            /// orders is read again with them in a read transaction.
            async fn read_order_where(
                &self,
                condition: &str,
                values: &[&str],
            ) -> Result<Option<Order>, StoreError> {
                let found = {
                    let mut conn = self.pool.acquire().await?;
                    Self::fetch_order_where(&mut conn, condition, values).await?
                };
                match found {
                    Some(found) => self.order_of(found, condition, values).await,
                    None => Ok(None),
                }
            }

            /// The order a one-statement read `found` (of the order
            /// matching `condition`) stands for: as read, or read again
            /// with its change orders in one snapshot when it counts any
            /// (the order may have moved on since).
            async fn order_of(
                &self,
                found: $crate::store::order_read::OrderWithTickets,
                condition: &str,
                values: &[&str],
            ) -> Result<Option<Order>, StoreError> {
                if found.order.change_count > 0 {
                    return self.read_order_with_changes(condition, values).await;
                }
                let (row, tickets) = found.into_parts();
                Self::opened(row, tickets, Vec::new(), &self.identity)?
                    .into_order()
                    .map(Some)
            }

            /// [`Self::read_order_where`] for an order with change
            /// orders: the order, its tickets and its changes in one read
            /// transaction.
            async fn read_order_with_changes(
                &self,
                condition: &str,
                values: &[&str],
            ) -> Result<Option<Order>, StoreError> {
                let mut tx = self.begin_read().await?;
                let order = match Self::fetch_order_where(&mut tx, condition, values).await? {
                    Some(found) => Some(Self::rows_of(&mut tx, found, &self.identity).await?),
                    None => None,
                };
                tx.commit().await?;
                order.map(|rows| rows.into_order()).transpose()
            }

            /// The one-statement read of the order matching `condition`.
            async fn fetch_order_where(
                conn: &mut Connection,
                condition: &str,
                values: &[&str],
            ) -> Result<Option<$crate::store::order_read::OrderWithTickets>, StoreError> {
                let text = format!(
                    "{} FROM orders WHERE {condition}",
                    Self::order_with_tickets_sql()
                );
                let mut query =
                    sqlx::query_as::<_, $crate::store::order_read::OrderWithTickets>(&text);
                for value in values {
                    query = query.bind(*value);
                }
                Ok(query.fetch_optional(&mut *conn).await?)
            }

            /// The rows of a one-statement read, its change orders read
            /// on `conn` when it counts any, identity fields opened.
            async fn rows_of(
                conn: &mut Connection,
                found: $crate::store::order_read::OrderWithTickets,
                identity: &$crate::store::IdentityCipher,
            ) -> Result<OrderRows, StoreError> {
                let (row, tickets) = found.into_parts();
                let changes: Vec<ChangeRow> = if row.change_count == 0 {
                    Vec::new()
                } else {
                    sqlx::query_as(&sql::SELECT_CHANGES)
                        .bind(&row.id)
                        .fetch_all(&mut *conn)
                        .await?
                };
                Self::opened(row, tickets, changes, identity)
            }

            /// An order's rows with their identity fields opened.
            fn opened(
                order: OrderRow,
                tickets: Vec<TicketRow>,
                changes: Vec<ChangeRow>,
                identity: &$crate::store::IdentityCipher,
            ) -> Result<OrderRows, StoreError> {
                let mut rows = OrderRows {
                    order,
                    tickets,
                    changes,
                    identity_stripped: false,
                };
                identity.open(&mut rows)?;
                Ok(rows)
            }

            pub(crate) async fn find_order_by(
                &self,
                column: &'static str,
                provider: ProviderId,
                value: &str,
            ) -> Result<Option<Order>, StoreError> {
                let condition = format!("provider = $1 AND {column} = $2");
                self.read_order_where(&condition, &[provider.as_str(), value])
                    .await
            }

            /// The order whose `column` is `value` with whether the inbox
            /// holds callback `dedupe_key` as processed: one statement
            /// (with the order's changes, when it has any, a second).
            pub(crate) async fn read_order_for_callback(
                &self,
                column: &'static str,
                provider: ProviderId,
                value: &str,
                dedupe_key: &str,
            ) -> Result<Option<(Order, bool)>, StoreError> {
                let condition = format!("provider = $1 AND {column} = $2");
                let text = format!(
                    "{}, EXISTS (SELECT 1 FROM callback_inbox WHERE provider = $1 \
                     AND dedupe_key = $3 AND processed_at IS NOT NULL) AS processed \
                     FROM orders WHERE {condition}",
                    Self::order_with_tickets_sql()
                );
                let found: Option<$crate::store::order_read::CallbackRead> = sqlx::query_as(&text)
                    .bind(provider.as_str())
                    .bind(value)
                    .bind(dedupe_key)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(found) = found else {
                    return Ok(None);
                };
                let processed = found.processed;
                let order = self
                    .order_of(found.read, &condition, &[provider.as_str(), value])
                    .await?;
                Ok(order.map(|order| (order, processed)))
            }

            /// Who booked order `id`: one indexed lookup, for the
            /// visibility check of a caller that may only see its own.
            pub(crate) async fn order_owner(&self, id: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT owner FROM orders WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }
        }
    };
}
pub(crate) use order_read_queries;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ticket_column_is_a_key_of_its_own_name() {
        for dialect in [JsonDialect::Sqlite, JsonDialect::Postgres] {
            let text = select_order_with_tickets(dialect);
            for column in TICKET_COLUMNS {
                assert!(
                    text.contains(&format!("'{column}', ")),
                    "{dialect:?} {column}"
                );
            }
            assert!(text.ends_with(") AS tickets"), "{text}");
        }
        assert!(select_order_with_tickets(JsonDialect::Sqlite).contains("json(t.replaced)"));
        assert!(
            select_order_with_tickets(JsonDialect::Postgres).contains("'replaced', t.replaced")
        );
    }

    #[test]
    fn tickets_come_out_in_position_order_and_null_is_none() {
        let ticket = |position: i64| {
            serde_json::json!({
                "id": format!("T{position}"), "order_id": "O", "position": position,
                "passenger_name": "n", "id_type": "ID_CARD", "id_number": "x",
                "passenger_type": "ADULT", "phone": null, "birth_date": "1990-01-02",
                "sex": null, "country_code": null, "id_expiry_date": null,
                "seat_class": "SECOND", "berth": null, "status": "HELD", "price_fen": 5_000,
                "coach": "05", "seat_number": "01A", "ticket_number": null,
                "provider_passenger_id": null, "refund_fee_fen": null,
                "refund_amount_fen": null, "refund_failure_reason": null,
                "replaced": null
            })
        };
        // As a column's text, the way sqlx hands it to `Json`.
        let text = serde_json::json!([ticket(2), ticket(0), ticket(1)]).to_string();
        let tickets: Json<Vec<TicketRow>> = Json(serde_json::from_str(&text).unwrap());
        let tickets = in_position_order(Some(tickets));
        let positions: Vec<i64> = tickets.iter().map(|ticket| ticket.position).collect();
        assert_eq!(positions, [0, 1, 2]);
        assert_eq!(
            tickets[0].birth_date,
            chrono::NaiveDate::from_ymd_opt(1990, 1, 2)
        );
        assert!(tickets[0].replaced.is_none());
        assert!(in_position_order(None).is_empty());
    }
}
