//! The `railgate serve` binary as a child process of the soak: a process
//! of its own, so its /proc figures (resident memory, open files) are the
//! gateway's and nobody else's. It binds port 0 and names its addresses in
//! its start-up log line (JSON on stdout); a thread reads every line after
//! that, so a full pipe never stalls it, and keeps count of the warnings
//! and errors by message.

use crate::BenchError;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The line railgate logs once its listeners are bound, naming them.
const STARTING: &str = "railgate starting";
/// How long railgate may take to name its listeners.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running railgate process.
pub struct RailgateProcess {
    child: Child,
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// Warning and error lines after start-up, by level and message (the
    /// message is railgate's own fixed text; fields, which could name an
    /// order, are not kept).
    logged: Arc<Mutex<BTreeMap<String, u64>>>,
    data_dir: PathBuf,
}

/// One reading of the process's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// VmRSS, KiB.
    pub rss_kib: u64,
    /// Entries of /proc/<pid>/fd: sockets, the database files, pipes.
    pub open_fds: u64,
    /// OS threads (tokio workers and blocking threads).
    pub threads: u64,
}

impl RailgateProcess {
    /// Starts `binary serve` with nothing of this process's environment
    /// but `PATH`, loopback port-0 listeners, JSON logs, a fresh data
    /// directory and `env`; returns once it has named its listeners.
    pub async fn start(binary: &Path, env: &[(String, String)]) -> Result<Self, BenchError> {
        let data_dir = std::env::temp_dir().join(format!(
            "railgate-soak-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RAILGATE_GRPC_ADDR", "127.0.0.1:0")
            .env("RAILGATE_HTTP_ADDR", "127.0.0.1:0")
            .env("RAILGATE_DATA_DIR", &data_dir)
            .env("RAILGATE_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().map_err(|error| {
            BenchError::Setup(format!(
                "cannot start {} (build it: cargo build --release --bin railgate): {error}",
                binary.display()
            ))
        })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Setup("railgate's stdout is not piped".into()))?;
        let logged = Arc::new(Mutex::new(BTreeMap::new()));
        let (starting, started) = tokio::sync::oneshot::channel();
        let counts = logged.clone();
        std::thread::spawn(move || read_logs(stdout, starting, &counts));
        let line = match tokio::time::timeout(START_LIMIT, started).await {
            Ok(Ok(line)) => line,
            _ => {
                let _ = child.kill();
                let status = child.wait().map_err(BenchError::Io)?;
                return Err(BenchError::Setup(format!(
                    "railgate did not log {STARTING:?} ({status})"
                )));
            }
        };
        let (grpc_addr, http_addr) = addresses(&line)?;
        Ok(Self {
            child,
            grpc_addr,
            http_addr,
            logged,
            data_dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The gRPC URI for clients.
    pub fn uri(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// Resident memory, open files and threads now.
    pub fn resources(&self) -> Result<Resources, BenchError> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .map_err(BenchError::Io)?;
        let open_fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map_err(BenchError::Io)?
            .count() as u64;
        Ok(Resources {
            rss_kib: status_kib(&status, "VmRSS:")
                .ok_or_else(|| BenchError::Setup("no VmRSS in /proc status".into()))?,
            open_fds,
            threads: status_kib(&status, "Threads:").unwrap_or(0),
        })
    }

    /// Warning and error lines so far, by level and message.
    pub fn logged(&self) -> BTreeMap<String, u64> {
        self.logged
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }

    /// SIGTERM, then waits (on a blocking thread) up to `limit` for the
    /// exit: whether it exited cleanly, and how long it took. Killed if it
    /// has not exited by then.
    pub async fn terminate(mut self, limit: Duration) -> (bool, Duration) {
        let started = Instant::now();
        let pid = self.pid().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = started + limit;
        let mut clean = false;
        while signalled && Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    clean = status.success();
                    break;
                }
                Ok(None) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(_) => break,
            }
        }
        let elapsed = started.elapsed();
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        (clean, elapsed)
    }
}

impl Drop for RailgateProcess {
    /// A failed soak must not leave a server running, nor its data.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Reads railgate's log lines: hands over the start-up line, then counts
/// warnings and errors by level and message until the pipe closes.
fn read_logs(
    stdout: std::process::ChildStdout,
    starting: tokio::sync::oneshot::Sender<String>,
    counts: &Mutex<BTreeMap<String, u64>>,
) {
    let mut starting = Some(starting);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if starting.is_some() && line.contains(STARTING) {
            if let Some(sender) = starting.take() {
                let _ = sender.send(line);
            }
            continue;
        }
        let Ok(fields) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let level = fields["level"].as_str().unwrap_or("?");
        if level == "WARN" || level == "ERROR" {
            let message = fields["fields"]["message"]
                .as_str()
                .or_else(|| fields["message"].as_str())
                .unwrap_or("?");
            if let Ok(mut counts) = counts.lock() {
                *counts.entry(format!("{level} {message}")).or_default() += 1;
            }
        }
    }
}

/// The gRPC and HTTP addresses of the start-up line.
fn addresses(line: &str) -> Result<(SocketAddr, SocketAddr), BenchError> {
    let fields: serde_json::Value = serde_json::from_str(line)
        .map_err(|error| BenchError::Setup(format!("start-up line: {error}")))?;
    let address = |name: &str| -> Result<SocketAddr, BenchError> {
        [&fields[name], &fields["fields"][name]]
            .iter()
            .find_map(|value| value.as_str())
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| BenchError::Setup(format!("no {name} address in {line}")))
    };
    Ok((address("grpc")?, address("http")?))
}

/// The number of a `Key:  123 kB` line of /proc/<pid>/status.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_by_key() {
        let status = "Name:\trailgate\nVmRSS:\t   48212 kB\nThreads:\t7\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(48_212));
        assert_eq!(status_kib(status, "Threads:"), Some(7));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn the_start_up_line_names_both_listeners() {
        let line = r#"{"level":"INFO","fields":{"message":"railgate starting","mode":"live","grpc":"127.0.0.1:4000","http":"127.0.0.1:4001"}}"#;
        let (grpc, http) = addresses(line).unwrap();
        assert_eq!(grpc.port(), 4000);
        assert_eq!(http.port(), 4001);
        assert!(addresses(r#"{"fields":{"grpc":"127.0.0.1:1"}}"#).is_err());
    }
}
