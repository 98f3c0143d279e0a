//! `/metrics` on a real server: after calls of every kind, the exposition
//! passes `promtool check metrics` (Prometheus' own linter; `make tools`
//! unpacks it into .tools) and holds the figures those calls made.

use crate::booking::{book_request, offer_via};
use crate::support::TestApp;
use railgate::proto as pb;
use std::path::Path;
use std::process::{Command, Stdio};
use tonic::Code;

/// promtool from the clone's .tools (as `make` puts it on PATH), else PATH.
fn promtool() -> std::path::PathBuf {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/usr/bin/promtool");
    if local.exists() {
        local
    } else {
        "promtool".into()
    }
}

/// The sum of every sample of `name` whose labels contain all of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            (series.starts_with(&format!("{name}{{")) || *series == name)
                && labels.iter().all(|label| series.contains(label))
        })
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn the_exposition_passes_promtool_and_counts_what_happened() {
    let app = TestApp::spawn().await;
    let url = format!("http://{}/metrics", app.http_addr);
    let before = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let mut client = app.booking();
    // A miss, then a hit of the same search.
    let offer = offer_via(&mut client, 5).await;
    offer_via(&mut client, 5).await;
    let order = client
        .book(book_request("metrics-book", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let missing = client
        .get_order(pb::GetOrderRequest {
            order_id: "ord_0190f5d2000070008000000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let _watching = client
        .watch_order(pb::WatchOrderRequest {
            order_id: order.order_id.clone(),
            follow: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    // A callback with a wrong secret: refused, and counted.
    let refused = reqwest::Client::new()
        .post(format!(
            "http://{}/callbacks/panhe/not-the-secret/order",
            app.http_addr
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error());

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    // Prometheus asks for OpenMetrics first, and gets it.
    let openmetrics = reqwest::Client::new()
        .get(&url)
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert!(
        openmetrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(openmetrics.text().await.unwrap().ends_with("# EOF\n"));

    let mut check = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (run `make tools`)");
    std::io::Write::write_all(check.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let rpc = "rpc_server_call_duration_seconds_count";
    assert_eq!(
        sample(
            &text,
            rpc,
            &["rpc_method=\"Search\"", "rpc_grpc_status_code=\"0\""]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            rpc,
            &["rpc_method=\"Book\"", "rpc_grpc_status_code=\"0\""]
        ),
        1.0
    );
    // NOT_FOUND is gRPC code 5.
    assert_eq!(
        sample(
            &text,
            rpc,
            &["rpc_method=\"GetOrder\"", "rpc_grpc_status_code=\"5\""]
        ),
        1.0
    );
    let answers = "railgate_search_provider_answers_total";
    assert!(
        sample(&text, answers, &["provider=\"panhe\"", "outcome=\"miss\""]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, answers, &["provider=\"panhe\"", "outcome=\"hit\""]) >= 1.0,
        "{text}"
    );
    // The first search's reply was encoded, the second's reused.
    let replies = "railgate_search_replies_total";
    assert!(
        sample(&text, replies, &["outcome=\"encoded\""]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, replies, &["outcome=\"reused\""]) >= 1.0,
        "{text}"
    );
    let provider = "railgate_provider_call_duration_seconds_count";
    assert!(
        sample(&text, provider, &["provider=\"panhe\"", "outcome=\"ok\""]) >= 2.0,
        "a search and a hold: {text}"
    );
    assert_eq!(sample(&text, "railgate_watch_streams_open", &[]), 1.0);
    assert_eq!(
        sample(
            &text,
            "railgate_callbacks_total",
            &["provider=\"panhe\"", "outcome=\"rejected\""]
        ),
        1.0,
        "{text}"
    );
    // Read from the store at the scrape: nothing dead in a fresh store.
    assert_eq!(
        sample(&text, "railgate_outbox_messages", &["state=\"dead\""]),
        0.0,
        "{text}"
    );
    assert!(
        text.contains("railgate_outbox_messages{state=\"pending\"}"),
        "{text}"
    );
    // The booked order was recorded (its first status, from none).
    assert_eq!(
        sample(
            &text,
            "railgate_order_transitions_total",
            &["from=\"none\""]
        ),
        1.0,
        "{text}"
    );
    // Every call has answered; the open stream counts as a stream, not
    // as a call in flight.
    assert_eq!(
        sample(&text, "rpc_server_calls_in_flight", &[]),
        0.0,
        "{text}"
    );
    // The booking moved the counters from the scrape before it.
    for (name, labels) in [
        (rpc, &["rpc_method=\"Book\""][..]),
        ("railgate_order_transitions_total", &[][..]),
        ("railgate_provider_call_duration_seconds_count", &[][..]),
        (
            "railgate_store_operation_duration_seconds_count",
            &["operation=\"insert_order\"", "outcome=\"ok\""][..],
        ),
    ] {
        assert!(
            sample(&text, name, labels) > sample(&before, name, labels),
            "{name}{labels:?} did not move:\nbefore\n{before}\nafter\n{text}"
        );
    }
    // Read at the scrape: the new order waits to be settled; the pool
    // has its connections.
    assert!(
        sample(&text, "railgate_orders_unsettled", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("railgate_orders_unsettled_oldest_unchanged_seconds{status=\"pending\"}"),
        "{text}"
    );
    assert!(
        sample(&text, "railgate_store_pool_connections", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("railgate_outbox_messages{state=\"retrying\"} 0"),
        "{text}"
    );
    // Nothing personal in any series.
    for personal in ["张三", "李四", "11010519491231002X", &order.order_id] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }
    drop(_watching);
    app.stop().await.unwrap();
}

/// The repository's alert rules pass `promtool check rules` and their unit
/// tests (`promtool test rules`), and every metric they and the Grafana
/// dashboard query is one railgate exposes.
#[tokio::test]
async fn alert_rules_and_dashboard_check_and_query_only_railgates_metrics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/observability");
    for args in [
        &["check", "rules", "alerts.yml"][..],
        &["test", "rules", "alerts.test.yml"][..],
    ] {
        let output = Command::new(promtool())
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("promtool (run `make tools`)");
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let families = railgate::metrics::FAMILIES;
    let known = |name: &str| {
        families.iter().any(|family| {
            name == *family
                || ["_bucket", "_count", "_sum", "_total"]
                    .iter()
                    .any(|suffix| name.strip_suffix(suffix) == Some(family))
        })
    };
    for file in ["alerts.yml", "grafana-dashboard.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let names: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("railgate_") || word.starts_with("rpc_server_"))
            .collect();
        assert!(!names.is_empty(), "{file} queries no metric");
        for name in names {
            assert!(
                known(name),
                "{file} queries {name}, which railgate does not expose: {families:?}"
            );
        }
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("grafana-dashboard.json")).unwrap())
            .unwrap();
    assert!(dashboard["panels"].as_array().unwrap().len() >= 10);
}
