//! `TestApp`: railgate in-process on port 0 with its sandbox simulator, a
//! temporary data directory and typed clients. No sleeps: listeners are
//! bound before the server task starts, so connections simply queue.

use crate::database::TestDatabase;
use railgate::app::{self, AppError, Listeners};
use railgate::config::Config;
use railgate::domain::time::{Clock, SystemClock};
use railgate::proto::booking_service_client::BookingServiceClient;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub struct TestApp {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), AppError>>>,
    store_url: String,
    // Dropped after the server is told to stop (fields drop in order).
    _database: TestDatabase,
    _data_dir: tempfile::TempDir,
}

impl TestApp {
    /// The sandbox: defaults plus loopback port 0, a temp data dir and a
    /// fresh database (SQLite, or PostgreSQL: see `database`).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The sandbox with `configure` applied to the config first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_with_clock(configure, Arc::new(SystemClock)).await
    }

    /// As [`TestApp::spawn_with`], railgate reading `clock`.
    pub async fn spawn_with_clock(
        configure: impl FnOnce(&mut Config),
        clock: Arc<dyn Clock>,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::load(None, &HashMap::new()).expect("default config");
        config.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        config.server.http_addr = "127.0.0.1:0".parse().unwrap();
        config.server.data_dir = data_dir.path().join("state");
        let database = TestDatabase::create(data_dir.path()).await;
        config.store.url = Some(database.url().to_owned());
        configure(&mut config);
        let store_url = config.store_url();
        let listeners = Listeners::bind(&config).await.expect("bind loopback");
        let grpc_addr = listeners.grpc.local_addr().unwrap();
        let http_addr = listeners.http.local_addr().unwrap();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app::run(config, listeners, clock, async {
            let _ = stopped.await;
        }));
        // Lazy: a TLS listener refuses this plaintext channel, and the
        // tests of one make channels of their own.
        let channel = Channel::from_shared(format!("http://{grpc_addr}"))
            .unwrap()
            .connect_lazy();
        Self {
            grpc_addr,
            http_addr,
            channel,
            shutdown: Some(shutdown),
            server: Some(server),
            store_url,
            _database: database,
            _data_dir: data_dir,
        }
    }

    /// The store this instance uses, for tests that inspect it.
    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    pub fn booking(&self) -> BookingServiceClient<Channel> {
        BookingServiceClient::new(self.channel.clone())
    }

    /// Stops the server gracefully and returns how it ended.
    pub async fn stop(mut self) -> Result<(), AppError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.server
            .take()
            .expect("running")
            .await
            .expect("server task")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A date `days` after today in Asia/Shanghai, as the API wants it.
pub fn date_in(days: i64) -> String {
    (SystemClock.today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// The decoded google.rpc details of a status.
pub fn details(status: &tonic::Status) -> tonic_types::ErrorDetails {
    use tonic_types::StatusExt;
    status.get_error_details()
}

/// The field violations of an INVALID_ARGUMENT status, as (field, description).
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    details(status)
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|violation| (violation.field.clone(), violation.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The system clock moved on by a number of seconds the test sets.
pub struct OffsetClock(pub Arc<std::sync::atomic::AtomicI64>);

impl Clock for OffsetClock {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::TimeDelta::seconds(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
