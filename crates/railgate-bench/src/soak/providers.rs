//! The provider simulators the soaked railgate talks to, in the bench
//! process rather than railgate's own sandbox: their state (every order
//! they ever sold stays in their memory) is then not counted in
//! railgate's resident memory, and their scripting handles can inject
//! faults from here. Panhe can be taken down and brought back on the same
//! address (an outage).

use crate::BenchError;
use railgate_sim::{juhe, panhe};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a stopped simulator may take to close its connections.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// Serves a simulator's router on a listener until the receiver fires.
type ServeFn =
    Box<dyn Fn(TcpListener, oneshot::Receiver<()>) -> JoinHandle<std::io::Result<()>> + Send>;

/// One simulator served on a fixed loopback address.
struct Served {
    address: SocketAddr,
    serve_on: ServeFn,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Served {
    async fn bind(serve_on: ServeFn) -> Result<Self, BenchError> {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = TcpListener::bind(loopback).await.map_err(BenchError::Io)?;
        let address = listener.local_addr().map_err(BenchError::Io)?;
        let mut served = Self {
            address,
            serve_on,
            stop: None,
            task: None,
        };
        served.serve(listener);
        Ok(served)
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop, stopped) = oneshot::channel::<()>();
        self.task = Some((self.serve_on)(listener, stopped));
        self.stop = Some(stop);
    }

    /// Stops listening and closes every connection: railgate's calls are
    /// refused from now on.
    async fn down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Graceful shutdown waits for the calls in flight; one that
            // hangs must not hold the outage open.
            if tokio::time::timeout(STOP_LIMIT, &mut task).await.is_err() {
                task.abort();
            }
        }
    }

    /// Listens on the same address again (retrying while the kernel still
    /// holds the port for a moment).
    async fn up(&mut self) -> Result<(), BenchError> {
        let deadline = Instant::now() + STOP_LIMIT;
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(error) if Instant::now() >= deadline => {
                    return Err(BenchError::Setup(format!(
                        "cannot listen on {} again: {error}",
                        self.address
                    )));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        self.serve(listener);
        Ok(())
    }
}

/// Both simulators, real time (clock scale 1: a hold takes 3 s, an issue
/// 5 s, a refund 10 s, a grab about 25 s).
pub struct Providers {
    pub panhe: Arc<panhe::SimState>,
    pub juhe: Arc<juhe::SimState>,
    panhe_served: Served,
    juhe_served: Served,
}

impl Providers {
    pub async fn start() -> Result<Self, BenchError> {
        let (router, panhe) = panhe::router_with_state(panhe::PanheSimConfig::default());
        let panhe_served = Served::bind(Box::new(move |listener, stopped| {
            tokio::spawn(panhe::serve_router(listener, router.clone(), async move {
                let _ = stopped.await;
            }))
        }))
        .await?;
        let (router, juhe) = juhe::router_with_state(juhe::JuheSimConfig::default());
        let juhe_served = Served::bind(Box::new(move |listener, stopped| {
            tokio::spawn(juhe::serve_router(listener, router.clone(), async move {
                let _ = stopped.await;
            }))
        }))
        .await?;
        Ok(Self {
            panhe,
            juhe,
            panhe_served,
            juhe_served,
        })
    }

    /// railgate's settings for these simulators: their sandbox keys,
    /// 12306 credentials in clear (as the simulator reads them).
    pub fn railgate_env(&self) -> Vec<(String, String)> {
        [
            (
                "RAILGATE_PANHE_BASE_URL",
                format!("http://{}", self.panhe_served.address),
            ),
            ("RAILGATE_PANHE_APP_KEY", panhe::DEFAULT_APP_KEY.to_owned()),
            (
                "RAILGATE_PANHE_SECRET_KEY",
                panhe::DEFAULT_SECRET_KEY.to_owned(),
            ),
            ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "plaintext".to_owned()),
            (
                "RAILGATE_JUHE_BASE_URL",
                format!("http://{}{}", self.juhe_served.address, juhe::BASE_PATH),
            ),
            ("RAILGATE_JUHE_KEY", juhe::DEFAULT_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    /// Panhe stops answering: connections are refused.
    pub async fn panhe_down(&mut self) {
        self.panhe_served.down().await;
    }

    /// Panhe is back on the same address.
    pub async fn panhe_up(&mut self) -> Result<(), BenchError> {
        self.panhe_served.up().await
    }

    /// Stops both.
    pub async fn stop(mut self) {
        self.panhe_served.down().await;
        self.juhe_served.down().await;
    }
}
