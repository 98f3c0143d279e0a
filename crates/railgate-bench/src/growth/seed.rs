//! Copies of one real order, written straight into the store with SQL: a
//! million orders through Book would take the better part of an hour, and
//! what GetOrder and ListOrders cost depends on how many rows and index
//! entries there are, not on how they got there.
//!
//! Each copy is the template's order row and ticket rows with new ids (the
//! template's with the last 12 hex digits replaced by the copy's number,
//! so they keep the id format railgate reads) and new order numbers (the
//! unique indexes). Every other column, whatever the schema holds today,
//! is the template's: the column lists are read from the database, so a
//! migration that adds a column needs no change here. Events are not
//! copied: neither call reads them.

use crate::BenchError;
use sqlx::Connection;

/// Rows written per statement (one transaction each).
const BATCH: u64 = 50_000;

/// What the copies are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copies {
    /// As the template (an issued, settled order).
    Same,
    /// ISSUING and not settled: orders the reconciler polls. Their
    /// provider numbers are the copies' own, which the provider does not
    /// know, so each poll is one order-detail call answered "not found",
    /// and the order stays unsettled.
    Unsettled,
}

/// A connection to the store being filled.
pub enum Seeder {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

fn setup(error: sqlx::Error) -> BenchError {
    BenchError::Setup(format!("seeding the store: {error}"))
}

impl Seeder {
    /// Connects to `store_url` (railgate's own URL for the store).
    pub async fn connect(store_url: &str) -> Result<Self, BenchError> {
        if store_url.starts_with("sqlite:") {
            Ok(Self::Sqlite(
                sqlx::SqliteConnection::connect(store_url)
                    .await
                    .map_err(setup)?,
            ))
        } else {
            Ok(Self::Postgres(
                sqlx::PgConnection::connect(store_url)
                    .await
                    .map_err(setup)?,
            ))
        }
    }

    /// Writes copies `first..=last` of the order `template_id`, as `kind`
    /// says.
    pub async fn copy(
        &mut self,
        template_id: &str,
        first: u64,
        last: u64,
        kind: Copies,
    ) -> Result<(), BenchError> {
        let orders = self.statement("orders", "id", kind).await?;
        let tickets = self.statement("tickets", "order_id", kind).await?;
        let mut from = first;
        while from <= last {
            let to = (from + BATCH - 1).min(last);
            for text in [&orders, &tickets] {
                self.execute(text, from, to, template_id).await?;
            }
            from = to + 1;
        }
        Ok(())
    }

    /// Refreshes the planner's statistics, as autovacuum (PostgreSQL) or
    /// an operator's `ANALYZE` (SQLite) would after a load.
    pub async fn analyze(&mut self) -> Result<(), BenchError> {
        match self {
            Self::Sqlite(connection) => {
                sqlx::query("ANALYZE").execute(connection).await.map(|_| ())
            }
            Self::Postgres(connection) => sqlx::query("ANALYZE orders, tickets")
                .execute(connection)
                .await
                .map(|_| ()),
        }
        .map_err(setup)
    }

    pub async fn close(self) {
        let _ = match self {
            Self::Sqlite(connection) => connection.close().await,
            Self::Postgres(connection) => connection.close().await,
        };
    }

    /// The INSERT copying `table`'s rows whose `key` is the template.
    async fn statement(
        &mut self,
        table: &str,
        key: &str,
        kind: Copies,
    ) -> Result<String, BenchError> {
        let columns = self.columns(table).await?;
        if columns.is_empty() {
            return Err(BenchError::Setup(format!("no table {table} to seed")));
        }
        let hex12 = match self {
            Self::Sqlite(_) => "printf('%012x', {n})",
            Self::Postgres(_) => "lpad(to_hex({n}), 12, '0')",
        };
        // The template's id with its last 12 hex digits replaced by
        // `number` (an expression of the copy's number n).
        let new_id = |column: &str, number: &str| {
            format!(
                "substr(t.{column}, 1, length(t.{column}) - 12) || {}",
                hex12.replace("{n}", number)
            )
        };
        let values: Vec<String> = columns
            .iter()
            .map(|column| match (table, column.as_str()) {
                ("orders", "id") => new_id("id", "(n)"),
                // Several tickets of one order each get their own id.
                ("tickets", "id") => new_id("id", "(n * 64 + t.position)"),
                ("tickets", "order_id") => new_id("order_id", "(n)"),
                ("orders", "customer_order_no") => "'growth-' || CAST(n AS TEXT)".to_owned(),
                ("orders", "provider_order_no") => "'G' || CAST(n AS TEXT)".to_owned(),
                // (1 = 0) is false as both stores write a boolean.
                ("orders", "status") if kind == Copies::Unsettled => "'issuing'".to_owned(),
                ("orders", "settled") if kind == Copies::Unsettled => "(1 = 0)".to_owned(),
                (_, other) => format!("t.{other}"),
            })
            .collect();
        let series = match self {
            Self::Sqlite(_) => {
                "WITH RECURSIVE seq(n) AS (SELECT $1 UNION ALL SELECT n + 1 FROM seq WHERE n < $2)"
            }
            Self::Postgres(_) => "WITH seq(n) AS (SELECT generate_series($1::BIGINT, $2::BIGINT))",
        };
        Ok(format!(
            "{series} INSERT INTO {table} ({}) SELECT {} FROM seq, {table} t WHERE t.{key} = $3",
            columns.join(", "),
            values.join(", ")
        ))
    }

    async fn columns(&mut self, table: &str) -> Result<Vec<String>, BenchError> {
        match self {
            Self::Sqlite(connection) => {
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(connection)
                    .await
            }
            Self::Postgres(connection) => {
                sqlx::query_scalar(
                    "SELECT column_name::TEXT FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(connection)
                .await
            }
        }
        .map_err(setup)
    }

    async fn execute(
        &mut self,
        text: &str,
        from: u64,
        to: u64,
        template_id: &str,
    ) -> Result<(), BenchError> {
        let (from, to) = (from as i64, to as i64);
        match self {
            Self::Sqlite(connection) => sqlx::query(text)
                .bind(from)
                .bind(to)
                .bind(template_id)
                .execute(connection)
                .await
                .map(|_| ()),
            Self::Postgres(connection) => sqlx::query(text)
                .bind(from)
                .bind(to)
                .bind(template_id)
                .execute(connection)
                .await
                .map(|_| ()),
        }
        .map_err(setup)
    }
}
