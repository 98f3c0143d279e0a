//! The real `railgate serve` binary as a child process, for tests that need
//! what only a process has: being SIGKILLed, restarting on the same
//! database, or its log output as an operator sees it. The child logs JSON
//! to stdout; a thread keeps every line (a full pipe would stall the
//! child) and the gRPC address comes from the start-up line, so the child
//! binds port 0 and nothing races for ports.

use railgate::proto::booking_service_client::BookingServiceClient;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tonic::transport::Channel;

const BINARY: &str = env!("CARGO_BIN_EXE_railgate");

/// The line railgate logs once its listeners are bound, naming them.
const STARTING: &str = "railgate starting";

pub struct Railgate {
    child: Child,
    pub grpc_addr: SocketAddr,
    logs: Arc<Mutex<Vec<String>>>,
    /// A fresh data directory (and so a fresh SQLite store) when `env`
    /// names none: orders of an earlier run never meet this one's keys.
    _data_dir: Option<tempfile::TempDir>,
}

/// The settings that point a railgate process at a Panhe simulator at
/// `panhe_url` of this test process: its sandbox keys, 12306 credentials
/// in clear (as the simulator reads them), no caller authentication.
pub fn external_panhe(panhe_url: &str) -> [(&'static str, &str); 5] {
    use railgate_sim::panhe::{DEFAULT_APP_KEY, DEFAULT_SECRET_KEY};
    [
        ("RAILGATE_PANHE_BASE_URL", panhe_url),
        ("RAILGATE_PANHE_APP_KEY", DEFAULT_APP_KEY),
        ("RAILGATE_PANHE_SECRET_KEY", DEFAULT_SECRET_KEY),
        ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "plaintext"),
        ("RAILGATE_AUTH_MODE", "none"),
    ]
}

impl Railgate {
    /// Starts `railgate serve` with only `PATH`, JSON logs, loopback port 0
    /// listeners and `env`, and returns once it names its addresses.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BINARY);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RAILGATE_GRPC_ADDR", "127.0.0.1:0")
            .env("RAILGATE_HTTP_ADDR", "127.0.0.1:0")
            .env("RAILGATE_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let data_dir = (!env.iter().any(|(key, _)| *key == "RAILGATE_DATA_DIR"))
            .then(|| tempfile::tempdir().expect("temp data dir"));
        if let Some(dir) = &data_dir {
            command.env("RAILGATE_DATA_DIR", dir.path());
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start railgate");
        let stdout = child.stdout.take().expect("piped stdout");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (lines, mut receive) = mpsc::unbounded_channel();
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                kept.lock().unwrap().push(line.clone());
                // Nobody listens once start-up is over.
                let _ = lines.send(line);
            }
        });
        let starting = loop {
            let Some(line) = receive.recv().await else {
                let status = child.wait().expect("wait for railgate");
                panic!(
                    "railgate exited ({status}) before logging {STARTING:?}: {:?}",
                    logs.lock().unwrap()
                );
            };
            if line.contains(STARTING) {
                break line;
            }
        };
        let fields: serde_json::Value =
            serde_json::from_str(&starting).expect("JSON start-up line");
        let grpc_addr = fields["grpc"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| panic!("no gRPC address in {starting}"));
        Self {
            grpc_addr,
            child,
            logs,
            _data_dir: data_dir,
        }
    }

    /// A client of the booking service. The listener is bound before the
    /// start-up line, so connecting needs no wait; the first call queues
    /// until the store is migrated and the service is up.
    pub async fn booking(&self) -> BookingServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.grpc_addr))
            .unwrap()
            .connect_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect to railgate");
        BookingServiceClient::new(channel)
    }

    /// Every log line so far.
    /// The child's resident memory (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the child's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// SIGTERM, then waits (on a blocking thread) for the process to exit;
    /// returns whether it exited cleanly and how long that took.
    pub async fn terminate(mut self) -> (bool, Duration) {
        crate::binary::terminate(&self.child);
        let started = std::time::Instant::now();
        let mut child = std::mem::replace(
            &mut self.child,
            // A placeholder that is never waited on: `true` exits at once.
            Command::new("true").spawn().expect("spawn true"),
        );
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .expect("wait for railgate");
        (status.success(), started.elapsed())
    }

    /// SIGKILL: no shutdown, no draining, no last writes.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL railgate");
        self.child.wait().expect("reap railgate");
    }
}

impl Drop for Railgate {
    /// A failed test must not leave a server running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
