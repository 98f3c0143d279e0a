//! The outside load generator: h2load (Debian's nghttp2-client), a
//! process of its own speaking HTTP/2 to railgate's gRPC path with a
//! prepared length-prefixed Search body. It loads the release railgate
//! binary in sandbox mode (Panhe and Juhe simulated, search cache on: what
//! `make run` starts) and the baseline (`railgate-bench baseline
//! --capture-from` that railgate, so it answers the same bytes), each a
//! process of its own, back to back in pairs.
//!
//! h2load counts an HTTP 2xx as success and cannot see gRPC's trailers,
//! so each target is first asked once over gRPC (it must answer OK), and
//! each run's data bytes per request must cover the answer: an error
//! answers headers and trailers only.

use super::BenchError;
use super::soak::child::RailgateProcess;
use railgate::proto::booking_service_client::BookingServiceClient;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const NAME: &str = "Search from the cache, from outside (h2load)";
/// The gRPC path h2load posts to.
const SEARCH_PATH: &str = "/railgate.v1.BookingService/Search";
/// Pairs of runs (railgate, then the baseline).
const PAIRS: usize = 3;
/// Connections and streams per connection: 50 calls in flight, as the
/// in-process closed loop keeps.
const CONNECTIONS: u32 = 5;
const STREAMS_PER_CONNECTION: u32 = 10;
/// How far the baseline's answer may be from railgate's in size: each
/// provider result's `age_millis` (a varint) grows as the cached answer
/// ages, a few bytes in all; everything else is the same.
const AGE_BYTES: usize = 32;
/// How long the baseline process may take to answer its first Search.
const BASELINE_START: Duration = Duration::from_secs(60);

/// One h2load run.
#[derive(Debug, Clone, Serialize)]
pub struct H2loadRun {
    pub requests: u64,
    pub succeeded: u64,
    pub rps: f64,
    /// h2load's mean "time for request", µs.
    pub mean_us: f64,
    /// Bytes of DATA frames per request (the length prefix and answer).
    pub data_bytes_per_request: f64,
}

/// Every pair, railgate first.
#[derive(Debug, Clone, Serialize)]
pub struct H2loadReport {
    pub h2load_version: String,
    /// The answer both targets give, as `describe_answer` puts it.
    pub answer: String,
    pub answer_bytes: usize,
    pub pairs: Vec<(H2loadRun, H2loadRun)>,
}

impl H2loadReport {
    /// railgate's req/s over the baseline's, per pair.
    pub fn ratios(&self) -> Vec<f64> {
        self.pairs
            .iter()
            .map(|(ours, theirs)| ours.rps / theirs.rps.max(f64::MIN_POSITIVE))
            .collect()
    }

    /// The middle of the pairs' ratios.
    pub fn median_ratio(&self) -> f64 {
        let mut ratios = self.ratios();
        ratios.sort_by(f64::total_cmp);
        ratios.get(ratios.len() / 2).copied().unwrap_or(0.0)
    }
}

/// The document's section: every pair and its ratio.
pub fn section(doc: &mut String, report: &H2loadReport) {
    use std::fmt::Write as _;
    let _ = writeln!(
        doc,
        "## Search from the cache, from outside: h2load\n\n\
         {} in a process of its own, HTTP/2 with a prepared gRPC body ({CONNECTIONS} connections \
         × {STREAMS_PER_CONNECTION} streams: 50 calls in flight, one h2load thread), against the \
         release `railgate` binary in sandbox mode (Panhe and Juhe, cache on: what `make run` \
         starts) and then `railgate-bench baseline --capture-from` that railgate, also a process \
         of its own, serving {}. Each target answered one Search over gRPC with OK first; every \
         run's DATA bytes per request cover the answer (an error would carry none). The \
         in-process figure above and this one share the same baseline design; here no load \
         generator shares railgate's process.\n",
        report.h2load_version, report.answer
    );
    let _ = writeln!(
        doc,
        "| pair | railgate req/s | railgate mean | baseline req/s | baseline mean | ratio |\n\
         |---:|---:|---:|---:|---:|---:|"
    );
    for (index, ((ours, theirs), ratio)) in report.pairs.iter().zip(report.ratios()).enumerate() {
        let _ = writeln!(
            doc,
            "| {} | {:.0} | {} | {:.0} | {} | {ratio:.2} |",
            index + 1,
            ours.rps,
            super::document::micros(ours.mean_us),
            theirs.rps,
            super::document::micros(theirs.mean_us),
        );
    }
    let _ = writeln!(doc, "\nMedian ratio: **{:.2}**.\n", report.median_ratio());
}

/// Where h2load is: `explicit`, else `.tools/usr/bin/h2load` (what `make
/// bench` unpacks), else `h2load` on the PATH.
pub fn locate(explicit: Option<&Path>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_owned();
    }
    let unpacked = Path::new(".tools/usr/bin/h2load");
    if unpacked.exists() {
        return unpacked.to_owned();
    }
    PathBuf::from("h2load")
}

/// Runs the pairs: `requests` Searches per run.
pub async fn run(
    h2load: &Path,
    railgate_binary: &Path,
    requests: u64,
) -> Result<H2loadReport, BenchError> {
    let h2load_version = version(h2load)?;
    let railgate = RailgateProcess::start(
        railgate_binary,
        &[
            ("RAILGATE_AUTH_MODE".into(), "none".into()),
            ("RAILGATE_LOG".into(), "warn,railgate::app=info".into()),
        ],
    )
    .await?;
    let result = async {
        let answer = super::capture(&railgate.uri()).await?;
        let answer_bytes = prost::Message::encoded_len(&answer);
        let mut baseline = BaselineProcess::start(&railgate.uri()).await?;
        let outcome = async {
            let served = prost::Message::encoded_len(&super::capture(&baseline.uri).await?);
            if served.abs_diff(answer_bytes) > AGE_BYTES {
                return Err(BenchError::Setup(format!(
                    "the baseline answers {served} bytes, railgate {answer_bytes}"
                )));
            }
            let body = tempfile_body()?;
            let mut pairs = Vec::new();
            for _ in 0..PAIRS {
                let ours = load(h2load, &body.0, &railgate.uri(), requests, answer_bytes)?;
                let theirs = load(h2load, &body.0, &baseline.uri, requests, answer_bytes)?;
                pairs.push((ours, theirs));
            }
            Ok(H2loadReport {
                h2load_version,
                answer: super::describe_answer(&answer),
                answer_bytes,
                pairs,
            })
        }
        .await;
        baseline.stop();
        outcome
    }
    .await;
    railgate.terminate(Duration::from_secs(10)).await;
    result
}

/// The Search body h2load posts: gRPC's 5-byte prefix (not compressed,
/// length big-endian) and the request, in a file removed on drop.
fn tempfile_body() -> Result<TempBody, BenchError> {
    let request = prost::Message::encode_to_vec(&super::scenarios::search_request());
    let path = std::env::temp_dir().join(format!(
        "railgate-h2load-{}.bin",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&path, grpc_frame(&request)).map_err(BenchError::Io)?;
    Ok(TempBody(path))
}

fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

struct TempBody(PathBuf);

impl Drop for TempBody {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A command for `h2load` with the libraries unpacked beside it (`make
/// bench` unpacks the .deb and its libraries under .tools/usr).
fn h2load_command(h2load: &Path) -> Command {
    let mut command = Command::new(h2load);
    if let Some(usr) = h2load.parent().and_then(Path::parent) {
        let libraries = usr.join("lib/x86_64-linux-gnu");
        if libraries.exists() {
            command.env("LD_LIBRARY_PATH", libraries);
        }
    }
    command
}

fn version(h2load: &Path) -> Result<String, BenchError> {
    let output = h2load_command(h2load)
        .arg("--version")
        .output()
        .map_err(|error| {
            BenchError::Setup(format!(
                "h2load ({}) cannot run: {error}; `make bench` unpacks Debian's nghttp2-client into .tools",
                h2load.display()
            ))
        })?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One h2load run of `requests` Searches against `uri`.
fn load(
    h2load: &Path,
    body: &Path,
    uri: &str,
    requests: u64,
    answer_bytes: usize,
) -> Result<H2loadRun, BenchError> {
    let output = h2load_command(h2load)
        .args(["-n", &requests.to_string()])
        .args(["-c", &CONNECTIONS.to_string()])
        .args(["-m", &STREAMS_PER_CONNECTION.to_string()])
        .args(["-t", "1"])
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg("-d")
        .arg(body)
        .arg(format!("{uri}{SEARCH_PATH}"))
        .stdin(Stdio::null())
        .output()
        .map_err(BenchError::Io)?;
    let text = String::from_utf8_lossy(&output.stdout);
    let run = parse(&text).ok_or_else(|| {
        BenchError::Report(format!("h2load's output was not understood:\n{text}"))
    })?;
    let least = answer_bytes.saturating_sub(AGE_BYTES) as f64;
    if run.succeeded != requests || run.data_bytes_per_request < least {
        return Err(BenchError::Report(format!(
            "h2load against {uri}: {} of {requests} succeeded, {:.0} data bytes per request \
             for a {answer_bytes}-byte answer:\n{text}",
            run.succeeded, run.data_bytes_per_request
        )));
    }
    Ok(run)
}

/// Reads h2load's summary: `finished in …, R req/s`, `requests: … N
/// succeeded`, `traffic: … D data` and `time for request: min max mean`.
pub fn parse(text: &str) -> Option<H2loadRun> {
    let line = |prefix: &str| {
        text.lines()
            .find(|line| line.trim_start().starts_with(prefix))
    };
    let rps = line("finished in")?
        .split(',')
        .find_map(|part| part.trim().strip_suffix(" req/s"))?
        .parse()
        .ok()?;
    let requests_line = line("requests:")?;
    let count = |what: &str| -> Option<u64> {
        requests_line
            .trim_start()
            .trim_start_matches("requests:")
            .split(',')
            .find_map(|part| part.trim().strip_suffix(what))?
            .trim()
            .parse()
            .ok()
    };
    let requests = count(" total")?;
    let succeeded = count(" succeeded")?;
    let data = line("traffic:")?
        .split(',')
        .find_map(|part| part.trim().strip_suffix(" data"))
        .and_then(|value| value.split_whitespace().last())
        .and_then(bytes)?;
    let mean = line("time for request:")?
        .trim_start()
        .trim_start_matches("time for request:")
        .split_whitespace()
        .nth(2)
        .and_then(micros)?;
    Some(H2loadRun {
        requests,
        succeeded,
        rps,
        mean_us: mean,
        data_bytes_per_request: data / requests.max(1) as f64,
    })
}

/// h2load's byte counts: `1.57GB`, `812.34KB`, `(1234)`; the exact
/// figure in parentheses when it is there.
fn bytes(text: &str) -> Option<f64> {
    let text = text.trim_matches(|c| c == '(' || c == ')');
    let (number, scale) = [
        ("GB", 1u64 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(unit, scale)| text.strip_suffix(unit).map(|number| (number, *scale)))
    .unwrap_or((text, 1));
    number.parse::<f64>().ok().map(|value| value * scale as f64)
}

/// h2load's durations: `812us`, `1.23ms`, `2.01s`.
fn micros(text: &str) -> Option<f64> {
    let (number, scale) = [("us", 1.0), ("ms", 1_000.0), ("s", 1_000_000.0)]
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|number| (number, *scale)))?;
    number.parse::<f64>().ok().map(|value| value * scale)
}

/// `railgate-bench baseline` as a process of its own.
struct BaselineProcess {
    child: Child,
    uri: String,
}

impl BaselineProcess {
    async fn start(railgate: &str) -> Result<Self, BenchError> {
        // A free port: bound, read and released for the child to bind.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(BenchError::Io)?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let this = std::env::current_exe().map_err(BenchError::Io)?;
        let child = Command::new(this)
            .args(["baseline", "--listen", &listen, "--capture-from", railgate])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(BenchError::Io)?;
        let process = Self {
            child,
            uri: format!("http://{listen}"),
        };
        let started = Instant::now();
        loop {
            if let Ok(channel) = tonic::transport::Endpoint::from_shared(process.uri.clone())
                .map_err(|error| BenchError::Setup(error.to_string()))?
                .connect()
                .await
                && BookingServiceClient::new(channel)
                    .search(super::scenarios::search_request())
                    .await
                    .is_ok()
            {
                return Ok(process);
            }
            if started.elapsed() > BASELINE_START {
                return Err(BenchError::Setup(
                    "the baseline process did not answer Search".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BaselineProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// h2load 1.52's summary, as it prints it.
    const OUTPUT: &str = "starting benchmark...
spawning thread #0: 5 total client(s). 2000 total requests
Application protocol: h2c
progress: 10% done

finished in 412.35ms, 4850.25 req/s, 375.44MB/s
requests: 2000 total, 2000 started, 2000 done, 1998 succeeded, 2 failed, 0 errored, 0 timeout
status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 154.82MB (162343105) total, 60.55KB (62000) headers (space savings 90.04%), 154.71MB (162220000) data
                     min         max         mean         sd        +/- sd
time for request:      812us     24.12ms      9.87ms      2.01ms    71.20%
time for connect:      201us       402us       301us        80us    60.00%
time to 1st byte:     3.12ms      4.01ms      3.52ms       302us    60.00%
req/s           :     970.10      975.43      972.90        2.10    60.00%
";

    #[test]
    fn the_summary_is_read_field_by_field() {
        let run = parse(OUTPUT).unwrap();
        assert_eq!(run.requests, 2000);
        assert_eq!(run.succeeded, 1998);
        assert!((run.rps - 4850.25).abs() < 1e-9);
        assert!((run.mean_us - 9_870.0).abs() < 1e-6);
        // The exact figure in parentheses, per request.
        assert!((run.data_bytes_per_request - 81_110.0).abs() < 1e-6);
        assert!(parse("connect: connection refused").is_none());
    }

    #[test]
    fn units_and_the_grpc_frame() {
        assert_eq!(bytes("(1234)"), Some(1234.0));
        assert_eq!(bytes("2KB"), Some(2048.0));
        assert_eq!(micros("812us"), Some(812.0));
        assert_eq!(micros("2.5s"), Some(2_500_000.0));
        assert_eq!(micros("12"), None);
        assert_eq!(grpc_frame(b"ab"), vec![0, 0, 0, 0, 2, b'a', b'b']);
    }
}
