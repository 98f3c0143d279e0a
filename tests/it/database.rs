//! Where the integration suite's railgate keeps its orders.
//!
//! By default each app gets a SQLite file in its own temp dir. With
//! `RAILGATE_IT_DATABASE=postgres` every app gets a fresh schema of its own
//! on the PostgreSQL at `RAILGATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), so `make test` runs the whole
//! suite a second time on PostgreSQL. That mode was asked for explicitly,
//! so an unreachable PostgreSQL fails the test rather than skipping it.

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;
use std::path::Path;
use std::time::Duration;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Schemas older than this are leftovers of an interrupted run.
const STALE_AFTER: Duration = Duration::from_secs(2 * 3600);

/// Once per test process: remove the leftovers of earlier runs.
static SWEEP: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// A database for one railgate instance; dropping it removes a
/// PostgreSQL schema (a SQLite file goes with its temp dir).
pub struct TestDatabase {
    url: String,
    schema: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database: a SQLite file under `dir`, or a PostgreSQL schema
    /// when the suite runs on PostgreSQL.
    pub async fn create(dir: &Path) -> Self {
        if !on_postgres() {
            let url = format!("sqlite://{}?mode=rwc", dir.join("railgate.db").display());
            return TestDatabase { url, schema: None };
        }
        Self::postgres().await
    }

    /// A fresh PostgreSQL schema, whichever backend the suite runs on: for
    /// tests about several instances sharing one database. An unreachable
    /// PostgreSQL fails the test.
    pub async fn postgres() -> Self {
        let server = std::env::var("RAILGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let schema = format!("rg_it_{}", uuid::Uuid::now_v7().simple());
        let mut admin = connect(&server).await;
        SWEEP.get_or_init(|| sweep_stale_schemas(&server)).await;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
        let separator = if server.contains('?') { '&' } else { '?' };
        // sqlx passes `options[search_path]` to the server as `-c search_path=…`.
        let url = format!("{server}{separator}options%5Bsearch_path%5D={schema}");
        TestDatabase {
            url,
            schema: Some((server, schema)),
        }
    }

    /// The PostgreSQL server and schema, if it is one.
    pub fn schema(&self) -> Option<(&str, &str)> {
        self.schema
            .as_ref()
            .map(|(server, schema)| (server.as_str(), schema.as_str()))
    }

    /// The `store.url` / `RAILGATE_DATABASE_URL` to give railgate.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, schema)) = self.schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async
        // work: clean up on a thread of its own and wait for it.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let mut admin = connect(&server).await;
                // A server still shutting down may hold a lock; leave the
                // schema rather than hang the suite.
                let dropped = async {
                    sqlx::query("SET lock_timeout = '5s'")
                        .execute(&mut admin)
                        .await?;
                    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                        .execute(&mut admin)
                        .await
                }
                .await;
                if let Err(error) = dropped {
                    eprintln!("notice: test schema {schema} left behind: {error}");
                }
                admin.close().await.ok();
            });
        });
        let _ = cleanup.join();
    }
}

/// Whether this run keeps orders in PostgreSQL.
pub fn on_postgres() -> bool {
    match std::env::var("RAILGATE_IT_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("RAILGATE_IT_DATABASE must be sqlite or postgres, not {other:?}"),
    }
}

async fn connect(url: &str) -> PgConnection {
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => panic!("PostgreSQL (RAILGATE_TEST_POSTGRES_URL) refused: {error}"),
        Err(_) => panic!("PostgreSQL (RAILGATE_TEST_POSTGRES_URL) did not answer in 5 s"),
    }
}

/// Drops `rg_it_*` schemas created (by the UUIDv7 in their name) more than
/// [`STALE_AFTER`] ago: a run killed mid-way cannot clean up after itself.
async fn sweep_stale_schemas(server: &str) {
    let mut admin = connect(server).await;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT schema_name::text FROM information_schema.schemata WHERE schema_name LIKE 'rg_it_%'",
    )
    .fetch_all(&mut admin)
    .await
    .expect("list test schemas");
    let now = std::time::SystemTime::now();
    for name in names {
        let created = uuid::Uuid::try_parse(&name["rg_it_".len()..])
            .ok()
            .and_then(|id| id.get_timestamp())
            .map(|stamp| {
                let (seconds, nanos) = stamp.to_unix();
                std::time::UNIX_EPOCH + Duration::new(seconds, nanos)
            });
        let stale = created
            .and_then(|created| now.duration_since(created).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                .execute(&mut admin)
                .await;
        }
    }
    admin.close().await.ok();
}
