//! The store operations whose SQL and flow are the same on both backends,
//! written once and expanded for each (`shared_queries!(SqliteStore,
//! Sqlite)`). Generic functions over `sqlx::Database` would need a bound
//! per bound type on every function; a macro keeps the code plain.
//!
//! The backend supplies `begin_write` (SQLite: `BEGIN IMMEDIATE`, so a
//! writer waits for the lock instead of failing on upgrade), `begin_read`
//! (PostgreSQL: a repeatable-read snapshot, so an order and its tickets
//! come from the same moment) and `insert_event_sql` (PostgreSQL: with its
//! `NOTIFY`).

macro_rules! shared_queries {
    ($store:ty, $db:ty) => {
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use $crate::domain::{Order, OrderEvent, OrderEventKind, OrderId, ProviderId};
        use $crate::store::outbox::OutboxRow;
        use $crate::store::rows::{self, ChangeRow, EventRow, OrderRow, OrderRows, TicketRow};
        use $crate::store::sql::{self, Arg, Cursor};
        use $crate::store::{
            Begin, NewOutboxMessage, OrderFilter, StoreError, existing_claim, unique_violation,
        };

        type Connection = <$db as sqlx::Database>::Connection;

        impl $store {
            pub(crate) async fn insert_order(
                &self,
                order: &Order,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let mut rows = OrderRows::from_order(order);
                self.identity.seal(&mut rows)?;
                let mut tx = self.begin_write().await?;
                sql::bind_order_row!(sqlx::query(&sql::INSERT_ORDER), rows.order)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| unique_violation(error, "order"))?;
                Self::write_children(&mut tx, &rows).await?;
                Self::write_event(&mut tx, &rows, OrderEventKind::Created, now).await?;
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn update_order(
                &self,
                order: &Order,
                expected_version: i64,
                children_changed: bool,
                kind: OrderEventKind,
                outbox: &[NewOutboxMessage],
                alongside: &$crate::store::Alongside<'_>,
            ) -> Result<(), StoreError> {
                let mut rows = OrderRows::from_order(order);
                self.identity.seal(&mut rows)?;
                let mut tx = self.begin_write().await?;
                let updated = sql::bind_order_row!(sqlx::query(&sql::UPDATE_ORDER), rows.order)
                    .bind(expected_version)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| unique_violation(error, "order"))?;
                if updated.rows_affected() == 0 {
                    let current: Option<i64> = sqlx::query_scalar(sql::SELECT_VERSION)
                        .bind(&rows.order.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    return Err(match current {
                        Some(_) => StoreError::Conflict {
                            order_id: order.id.clone(),
                            expected: expected_version,
                        },
                        None => StoreError::NotFound {
                            entity: "order",
                            id: order.id.to_string(),
                        },
                    });
                }
                if children_changed {
                    Self::write_children(&mut tx, &rows).await?;
                }
                Self::write_event(&mut tx, &rows, kind, order.updated_at).await?;
                for message in outbox {
                    Self::insert_outbox(&mut tx, message, Some(&order.id), order.updated_at)
                        .await?;
                }
                Self::write_alongside(&mut tx, &rows.order.id, alongside, order.updated_at).await?;
                tx.commit().await?;
                Ok(())
            }

            /// Writes the order's tickets in one statement and its
            /// changes (when it has any) in another.
            async fn write_children(
                conn: &mut Connection,
                rows: &OrderRows,
            ) -> Result<(), StoreError> {
                if !rows.tickets.is_empty() {
                    let text =
                        sql::upsert_children("tickets", sql::TICKET_COLUMNS, rows.tickets.len());
                    let mut query = sqlx::query(&text);
                    for ticket in &rows.tickets {
                        query = sql::bind_ticket_row!(query, ticket);
                    }
                    query
                        .execute(&mut *conn)
                        .await
                        .map_err(|error| unique_violation(error, "ticket"))?;
                }
                if !rows.changes.is_empty() {
                    let text = sql::upsert_children(
                        "change_orders",
                        sql::CHANGE_COLUMNS,
                        rows.changes.len(),
                    );
                    let mut query = sqlx::query(&text);
                    for change in &rows.changes {
                        query = sql::bind_change_row!(query, change);
                    }
                    query
                        .execute(&mut *conn)
                        .await
                        .map_err(|error| unique_violation(error, "change order"))?;
                }
                Ok(())
            }

            async fn write_event(
                conn: &mut Connection,
                rows: &OrderRows,
                kind: OrderEventKind,
                occurred_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(Self::insert_event_sql())
                    .bind(&rows.order.id)
                    .bind(rows.order.last_sequence)
                    .bind(kind.as_str())
                    .bind(occurred_at)
                    .bind(Json(super::snapshot::strip(rows)))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn insert_outbox(
                conn: &mut Connection,
                message: &NewOutboxMessage,
                order_id: Option<&OrderId>,
                now: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(sql::OUTBOX_INSERT)
                    .bind(&message.topic)
                    .bind(order_id.map(OrderId::as_str))
                    .bind(&message.payload)
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await?)
            }

            /// The order whose `column` is `value`, by id: one indexed
            /// lookup.
            pub(crate) async fn find_order_ref(
                &self,
                column: &'static str,
                provider: ProviderId,
                value: &str,
            ) -> Result<Option<$crate::store::OrderRef>, StoreError> {
                let query = format!(
                    "SELECT id, trace_parent FROM orders WHERE provider = $1 AND {column} = $2"
                );
                sqlx::query_as::<_, (String, String)>(&query)
                    .bind(provider.as_str())
                    .bind(value)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|(id, trace_parent)| {
                        let id = OrderId::parse(&id)
                            .map_err(|_| StoreError::Corrupt(format!("order id {id:?}")))?;
                        Ok($crate::store::OrderRef { id, trace_parent })
                    })
                    .transpose()
            }

            /// (status, count, oldest `updated_at`) of unsettled orders:
            /// the `orders_unsettled` index's range.
            pub(crate) async fn unsettled_by_status(
                &self,
            ) -> Result<Vec<(String, i64, DateTime<Utc>)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT status, COUNT(*), MIN(updated_at) FROM orders \
                     WHERE NOT settled GROUP BY status",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            /// Loads the tickets and changes of `orders` in two queries.
            async fn load_many(
                conn: &mut Connection,
                orders: Vec<OrderRow>,
                identity: &$crate::store::IdentityCipher,
            ) -> Result<Vec<Order>, StoreError> {
                if orders.is_empty() {
                    return Ok(Vec::new());
                }
                let ticket_sql = sql::select_children("tickets", sql::TICKET_COLUMNS, orders.len());
                let mut tickets = sqlx::query_as::<_, TicketRow>(&ticket_sql);
                for order in &orders {
                    tickets = tickets.bind(&order.id);
                }
                let tickets = tickets.fetch_all(&mut *conn).await?;
                // Only the orders that have changes.
                let changed: Vec<&OrderRow> = orders
                    .iter()
                    .filter(|order| order.change_count > 0)
                    .collect();
                let changes = if changed.is_empty() {
                    Vec::new()
                } else {
                    let change_sql =
                        sql::select_children("change_orders", sql::CHANGE_COLUMNS, changed.len());
                    let mut changes = sqlx::query_as::<_, ChangeRow>(&change_sql);
                    for order in &changed {
                        changes = changes.bind(&order.id);
                    }
                    changes.fetch_all(&mut *conn).await?
                };
                rows::assemble(orders, tickets, changes, identity)
            }

            pub(crate) async fn list_orders(
                &self,
                filter: &OrderFilter,
                after: Option<&Cursor>,
                limit: i64,
            ) -> Result<Vec<Order>, StoreError> {
                let (text, args) = sql::list_orders(filter, after, limit);
                let mut query = sqlx::query_as::<_, OrderRow>(&text);
                for arg in args {
                    query = match arg {
                        Arg::Text(value) => query.bind(value),
                        Arg::Time(value) => query.bind(value),
                        Arg::Int(value) => query.bind(value),
                    };
                }
                let mut tx = self.begin_read().await?;
                let orders = query.fetch_all(&mut *tx).await?;
                let orders = Self::load_many(&mut tx, orders, &self.identity).await?;
                tx.commit().await?;
                Ok(orders)
            }

            pub(crate) async fn non_final_orders(
                &self,
                limit: i64,
            ) -> Result<Vec<Order>, StoreError> {
                let text = format!(
                    "{} WHERE NOT settled ORDER BY updated_at, id LIMIT $1",
                    *sql::SELECT_ORDERS
                );
                let mut tx = self.begin_read().await?;
                let orders: Vec<OrderRow> = sqlx::query_as(&text)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                let orders = Self::load_many(&mut tx, orders, &self.identity).await?;
                tx.commit().await?;
                Ok(orders)
            }

            /// The orders with these ids (any that exist), least recently
            /// updated first.
            pub(crate) async fn orders_by_ids(
                &self,
                ids: &[String],
            ) -> Result<Vec<Order>, StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let params: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
                let text = format!(
                    "{} WHERE id IN ({}) ORDER BY updated_at, id",
                    *sql::SELECT_ORDERS,
                    params.join(", ")
                );
                let mut tx = self.begin_read().await?;
                let mut query = sqlx::query_as(&text);
                for id in ids {
                    query = query.bind(id);
                }
                let orders: Vec<OrderRow> = query.fetch_all(&mut *tx).await?;
                let orders = Self::load_many(&mut tx, orders, &self.identity).await?;
                tx.commit().await?;
                Ok(orders)
            }

            pub(crate) async fn events_after(
                &self,
                order_id: &OrderId,
                after_sequence: i64,
            ) -> Result<Vec<OrderEvent>, StoreError> {
                let mut tx = self.begin_read().await?;
                let rows: Vec<EventRow> = sqlx::query_as(sql::SELECT_EVENTS)
                    .bind(order_id.as_str())
                    .bind(after_sequence)
                    .fetch_all(&mut *tx)
                    .await?;
                // Stripped snapshots take their identity from the order.
                let current = if rows.iter().any(|row| row.snapshot.0.identity_stripped) {
                    match Self::fetch_order_where(&mut tx, "id = $1", &[order_id.as_str()]).await? {
                        Some(found) => Some(Self::rows_of(&mut tx, found, &self.identity).await?),
                        None => None,
                    }
                } else {
                    None
                };
                tx.commit().await?;
                rows.into_iter()
                    .map(|row| row.into_event(current.as_ref()))
                    .collect()
            }

            pub(crate) async fn begin_idempotent(
                &self,
                key: &str,
                operation: &str,
                fingerprint: &[u8],
                now: DateTime<Utc>,
                locked_until: DateTime<Utc>,
            ) -> Result<Begin, StoreError> {
                // A key released between the steps below is claimed afresh.
                loop {
                    let claimed = sqlx::query(sql::IDEMPOTENCY_CLAIM)
                        .bind(key)
                        .bind(operation)
                        .bind(fingerprint)
                        .bind(locked_until)
                        .bind(now)
                        .execute(self.writes())
                        .await?;
                    if claimed.rows_affected() == 1 {
                        return Ok(Begin::New);
                    }
                    let taken_over = sqlx::query(sql::IDEMPOTENCY_TAKE_OVER)
                        .bind(key)
                        .bind(operation)
                        .bind(fingerprint)
                        .bind(locked_until)
                        .bind(now)
                        .execute(self.writes())
                        .await?;
                    if taken_over.rows_affected() == 1 {
                        return Ok(Begin::Resumed);
                    }
                    let stored: Option<(String, Vec<u8>, Option<Vec<u8>>)> =
                        sqlx::query_as(sql::IDEMPOTENCY_SELECT)
                            .bind(key)
                            .fetch_optional(&self.pool)
                            .await?;
                    if let Some(stored) = stored {
                        return Ok(existing_claim(operation, fingerprint, stored));
                    }
                }
            }

            pub(crate) async fn complete_idempotent(
                &self,
                key: &str,
                response: &[u8],
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let completed = sqlx::query(sql::IDEMPOTENCY_COMPLETE)
                    .bind(key)
                    .bind(response)
                    .bind(now)
                    .execute(self.writes())
                    .await?;
                if completed.rows_affected() == 0 {
                    let exists: Option<(String, Vec<u8>, Option<Vec<u8>>)> =
                        sqlx::query_as(sql::IDEMPOTENCY_SELECT)
                            .bind(key)
                            .fetch_optional(&self.pool)
                            .await?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound {
                            entity: "idempotency key",
                            id: key.to_owned(),
                        });
                    }
                }
                Ok(())
            }

            pub(crate) async fn release_idempotent(&self, key: &str) -> Result<(), StoreError> {
                sqlx::query(sql::IDEMPOTENCY_RELEASE)
                    .bind(key)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            pub(crate) async fn record_callback(
                &self,
                provider: ProviderId,
                dedupe_key: &str,
                payload: &[u8],
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let inserted = sqlx::query(sql::INBOX_INSERT)
                    .bind(provider.as_str())
                    .bind(dedupe_key)
                    .bind(payload)
                    .bind(now)
                    .execute(self.writes())
                    .await?;
                Ok(inserted.rows_affected() == 1)
            }

            pub(crate) async fn mark_callback_processed(
                &self,
                provider: ProviderId,
                dedupe_key: &str,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(sql::INBOX_PROCESSED)
                    .bind(provider.as_str())
                    .bind(dedupe_key)
                    .bind(now)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            pub(crate) async fn prune(
                &self,
                inbox_before: DateTime<Utc>,
                events_before: DateTime<Utc>,
            ) -> Result<$crate::store::Pruned, StoreError> {
                let inbox = sqlx::query(sql::PRUNE_INBOX)
                    .bind(inbox_before)
                    .execute(self.writes())
                    .await?
                    .rows_affected();
                let events = sqlx::query(sql::PRUNE_EVENTS)
                    .bind(events_before)
                    .execute(self.writes())
                    .await?
                    .rows_affected();
                Ok($crate::store::Pruned { inbox, events })
            }

            pub(crate) async fn enqueue_outbox(
                &self,
                message: &NewOutboxMessage,
                order_id: Option<&OrderId>,
                now: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin_write().await?;
                let id = Self::insert_outbox(&mut tx, message, order_id, now).await?;
                tx.commit().await?;
                Ok(id)
            }

            pub(crate) async fn complete_outbox(
                &self,
                claim: &$crate::store::OutboxClaim,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                Self::expect_claim(
                    sqlx::query(sql::OUTBOX_COMPLETE)
                        .bind(claim.id)
                        .bind(now)
                        .bind(claim.attempts)
                        .bind(claim.lease_until)
                        .execute(self.writes())
                        .await?
                        .rows_affected(),
                    claim,
                )
            }

            pub(crate) async fn fail_outbox(
                &self,
                claim: &$crate::store::OutboxClaim,
                next_attempt_at: DateTime<Utc>,
                error: &str,
            ) -> Result<(), StoreError> {
                Self::expect_claim(
                    sqlx::query(sql::OUTBOX_FAIL)
                        .bind(claim.id)
                        .bind(next_attempt_at)
                        .bind(error)
                        .bind(claim.attempts)
                        .bind(claim.lease_until)
                        .execute(self.writes())
                        .await?
                        .rows_affected(),
                    claim,
                )
            }

            /// No row changed: the claim is no longer the holder's.
            fn expect_claim(
                affected: u64,
                claim: &$crate::store::OutboxClaim,
            ) -> Result<(), StoreError> {
                if affected == 0 {
                    return Err(StoreError::ClaimLost { id: claim.id });
                }
                Ok(())
            }

            fn claimed(
                rows: Vec<OutboxRow>,
            ) -> Result<Vec<$crate::store::OutboxMessage>, StoreError> {
                let mut messages = rows
                    .into_iter()
                    .map(OutboxRow::into_message)
                    .collect::<Result<Vec<_>, _>>()?;
                messages.sort_by_key(|message| message.id);
                Ok(messages)
            }
        }
    };
}

pub(crate) use shared_queries;
