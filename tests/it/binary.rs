//! The `railgate` binary as a newcomer runs it: sandbox start-up says so in
//! its first log line, SIGTERM stops it cleanly, bad config fails naming the
//! key, and `railgate sim` serves the Panhe simulator standalone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BINARY: &str = env!("CARGO_BIN_EXE_railgate");

/// The railgate binary with a clean environment plus `env`.
pub fn railgate(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Reads log lines until one contains `needle`; returns every line read.
fn lines_until(child: &mut Child, needle: &str) -> Vec<String> {
    let stdout = child.stdout.as_mut().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read log line");
        assert!(
            read > 0,
            "railgate exited before logging {needle:?}: {lines:?}"
        );
        let found = line.contains(needle);
        lines.push(line);
        if found {
            return lines;
        }
    }
}

/// Sends SIGTERM (railgate drains and exits).
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn sandbox_says_so_first_and_stops_on_sigterm() {
    let data_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = railgate(
        &[],
        &[
            ("RAILGATE_GRPC_ADDR", "127.0.0.1:0"),
            ("RAILGATE_HTTP_ADDR", "127.0.0.1:0"),
            ("RAILGATE_DATA_DIR", data_dir.path().to_str().unwrap()),
            ("RAILGATE_LOG_FORMAT", "json"),
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("start railgate");
    let lines = lines_until(&mut child, "sandbox mode");
    eprintln!("first log line after {:?}", started.elapsed());
    assert_eq!(
        lines.len(),
        1,
        "the sandbox line is the first line: {lines:?}"
    );
    let first: serde_json::Value = serde_json::from_str(&lines[0]).expect("json log line");
    assert_eq!(first["mode"], "sandbox");
    assert!(
        first["panhe_simulator"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    terminate(&child);
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[test]
fn invalid_config_fails_at_start_naming_the_key() {
    let output = railgate(
        &[],
        &[
            ("RAILGATE_GRPC_ADDR", "not-an-address"),
            ("RAILGATE_PANHE_BASE_URL", "http://p.test"),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("RAILGATE_GRPC_ADDR"), "{stderr}");
    assert!(
        stderr.contains("panhe.app_key"),
        "every problem at once: {stderr}"
    );
    // A real Panhe never gets 12306 credentials in clear by default.
    assert!(stderr.contains("panhe.credential_cipher"), "{stderr}");
    // Nor railgate's gRPC port to anyone, unless chosen.
    assert!(stderr.contains("auth.mode"), "{stderr}");
}

#[test]
fn standalone_simulator_answers_like_panhe() {
    let mut child = railgate(
        &["sim", "--panhe-addr", "127.0.0.1:0"],
        &[("RAILGATE_LOG_FORMAT", "json")],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let lines = lines_until(&mut child, "simulators listening");
    let line: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let base = line["panhe"].as_str().unwrap().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/train/stationList"))
            .json(&serde_json::json!({"appKey": "sandbox-panhe-app-key"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 3364);
    terminate(&child);
    assert!(child.wait().unwrap().success());
}
