//! Smoke runs of `railgate-bench` (the library and the binary): a few
//! hundred calls against railgate (in this process, with its own Panhe
//! simulator, as the suite starts it) and the baseline, checking that
//! reports add up. No figure is asserted: timing belongs to `make bench`,
//! not to tests.

use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use railgate_bench::gateway::Gateway;
use railgate_bench::load::{self, LoadPlan, Stop};
use railgate_bench::report::Report;
use railgate_bench::scenarios::{self, Rpc, Scenario};
use railgate_bench::{self as bench, BaselineServer};
use std::time::Duration;
use tonic::Code;

/// railgate on SQLite with the default search cache, as the suite starts
/// it (its data directory goes under the temporary directory; each test
/// stops it, which removes that directory).
async fn gateway() -> Gateway {
    let cache_ttl_ms = railgate::config::Config::default().search.cache_ttl_ms;
    Gateway::start(bench::sqlite(cache_ttl_ms)).await.unwrap()
}

fn plan(total: u64, rate: Option<f64>) -> LoadPlan {
    LoadPlan {
        concurrency: 8,
        rate,
        stop: Stop::Requests(total),
        warmup: Duration::ZERO,
    }
}

/// Every call counted once, none failed, percentiles in order.
fn assert_well_formed(report: &Report, total: u64) {
    assert_eq!(report.requests, total, "{report}");
    assert_eq!(report.ok + report.failed(), report.requests);
    assert!(report.errors.is_empty(), "{report}");
    let l = &report.latency_us;
    assert_eq!(l.recorded, total);
    assert!(0.0 < l.p50, "{report}");
    assert!(
        l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
        "{report}"
    );
    assert!(report.rps > 0.0 && report.elapsed_s > 0.0, "{report}");
}

#[tokio::test]
async fn compare_runs_search_on_railgate_then_on_the_baseline() {
    let app = gateway().await;
    let target = app.uri();
    let comparison = bench::compare_against(&target, Scenario::SearchCached, plan(300, None), 2)
        .await
        .unwrap();
    assert_well_formed(&comparison.railgate, 300);
    assert_well_formed(&comparison.baseline, 300);
    assert_eq!(comparison.railgate.shape.connections, 2);
    assert!(comparison.rps_ratio > 0.0 && comparison.p50_ratio > 0.0);
    // The JSON form carries the same figures.
    let json = serde_json::to_value(&comparison).unwrap();
    assert_eq!(json["railgate"]["requests"], 300);
    assert_eq!(json["baseline"]["shape"]["concurrency"], 8);
    app.stop().await;
}

#[tokio::test]
async fn the_baseline_answers_railgates_search_and_nothing_else() {
    let app = gateway().await;
    let answer = bench::capture(&app.uri()).await.unwrap();
    assert!(!answer.trains.is_empty(), "a real answer has trains");
    let baseline = BaselineServer::start(answer.clone()).await.unwrap();
    let channel = load::connect(&baseline.uri, 1).await.unwrap().remove(0);
    let mut client = BookingServiceClient::new(channel);
    let served = client
        .search(scenarios::search_request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(served, answer);
    let status = client
        .get_order(pb::GetOrderRequest {
            order_id: "ord_x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    app.stop().await;
}

#[tokio::test]
async fn an_open_loop_run_reports_every_scheduled_call() {
    let app = gateway().await;
    let answer = bench::capture(&app.uri()).await.unwrap();
    let baseline = BaselineServer::start(answer).await.unwrap();
    let channels = load::connect(&baseline.uri, 2).await.unwrap();
    let workload = scenarios::raw(
        Rpc::Search,
        &serde_json::json!({"from_station": "北京南", "to_station": "上海虹桥", "travel_date": "2030-01-01"})
            .to_string(),
    )
    .unwrap();
    let report = load::run("baseline", workload, &channels, plan(200, Some(2_000.0))).await;
    assert_well_formed(&report, 200);
    assert_eq!(report.shape.offered_rps, Some(2_000.0));
    app.stop().await;
}

#[tokio::test]
async fn get_order_scenario_books_one_order_then_reads_it() {
    let app = gateway().await;
    let channels = load::connect(&app.uri(), 2).await.unwrap();
    let workload = bench::scenario_workload(Scenario::GetOrder, &channels[0])
        .await
        .unwrap();
    let report = load::run("railgate", workload, &channels, plan(200, None)).await;
    assert_well_formed(&report, 200);
    app.stop().await;
}

#[tokio::test]
async fn failures_are_counted_by_grpc_code() {
    let app = gateway().await;
    let channels = load::connect(&app.uri(), 1).await.unwrap();
    let workload = scenarios::get_order(format!("ord_{}", uuid::Uuid::now_v7().simple()));
    let report = load::run("railgate", workload, &channels, plan(50, None)).await;
    assert_eq!((report.requests, report.ok), (50, 0));
    assert_eq!(report.errors.len(), 1, "{report}");
    let (code, count) = report.errors.iter().next().unwrap();
    assert_eq!((code.as_str(), *count), ("NotFound", 50), "{report}");
    app.stop().await;
}

/// Runs `railgate-bench <args>` (with `--json`) as its own process and
/// returns the report it prints: stdout is the report alone, logs go to
/// stderr.
async fn bench_json(args: &'static [&'static str]) -> serde_json::Value {
    let data_dir = tempfile::tempdir().unwrap();
    let tmp = data_dir.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_railgate-bench"))
            .args(args)
            // The bench gateway's data directory goes under TMPDIR.
            .env("TMPDIR", tmp)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

/// The command itself: `railgate-bench compare` starts railgate and the
/// baseline in its own process and prints both reports as JSON.
#[tokio::test]
async fn the_bench_command_prints_a_json_comparison() {
    let json = bench_json(&[
        "compare",
        "--scenario",
        "search-cached",
        "-n",
        "200",
        "--concurrency",
        "4",
        "--connections",
        "1",
        "--warmup",
        "0s",
        "--json",
    ])
    .await;
    for side in ["railgate", "baseline"] {
        assert_eq!(json[side]["requests"], 200, "{json}");
        assert_eq!(json[side]["ok"], 200, "{json}");
        assert_eq!(json[side]["latency_us"]["recorded"], 200, "{json}");
    }
    assert!(json["rps_ratio"].as_f64().unwrap() > 0.0, "{json}");
}

#[tokio::test]
async fn book_confirm_is_compared_with_its_store_alone() {
    // `bench compare --scenario book-confirm`: orders through railgate and
    // its simulator, then the same orders' store calls on its store.
    let args = bench::LoadArgs {
        concurrency: 4,
        connections: 1,
        total: Some(12),
        duration: None,
        warmup: Duration::ZERO,
        rps: None,
        json: false,
    };
    let comparison = bench::compare(Scenario::BookConfirm, &args).await.unwrap();
    assert_well_formed(&comparison.railgate, 12);
    assert_well_formed(&comparison.baseline, 12);
    assert_eq!(comparison.baseline.label, "store alone");
}

/// `railgate-bench watch` runs the suite's WatchOrder scenario alone and
/// prints its report as JSON.
#[tokio::test]
async fn the_bench_watch_command_reaches_every_stream() {
    let json = bench_json(&["watch", "--streams", "20", "--connections", "2", "--json"]).await;
    assert_eq!(json["streams"], 20, "{json}");
    assert_eq!(json["connections"], 2, "{json}");
    assert_eq!(json["missed"], 0, "{json}");
    assert_eq!(json["delivery"]["ok"], 20, "{json}");
}

#[tokio::test]
async fn the_search_flood_scenario_books_alone_and_during_the_flood() {
    let flood = railgate_bench::search_flood::run(Duration::from_secs(2))
        .await
        .unwrap();
    for report in [&flood.quiet, &flood.flooded] {
        // 5 Books a second for 2 s, every one answered.
        assert!(report.requests >= 8, "{report}");
        assert!(report.errors.is_empty(), "{report}");
    }
    // The flood really searched, through the provider (no cache).
    assert!(flood.searches.ok > 50, "{}", flood.searches);
    eprintln!("{}\n{}\n{}", flood.quiet, flood.flooded, flood.searches);
    eprintln!(
        "Book p99 alone {:.0} µs, during the flood {:.0} µs ({:.2}×); searches {:.0}/s",
        flood.quiet.latency_us.p99,
        flood.flooded.latency_us.p99,
        flood.p99_ratio(),
        flood.searches.rps
    );
}

#[tokio::test]
async fn the_auth_cost_scenario_searches_with_and_without_a_token() {
    let report = railgate_bench::auth_cost::run(
        Duration::from_millis(500),
        Duration::from_millis(100),
        8,
        2,
    )
    .await
    .unwrap();
    assert_eq!(report.on.len(), report.off.len());
    for run in report.on.iter().chain(&report.off) {
        // Every search answered: the token was accepted on one gateway,
        // and not needed on the other.
        assert!(run.ok > 10, "{run}");
        assert!(run.errors.is_empty(), "{run}");
    }
    assert!(report.ratio() > 0.0);
    eprintln!("auth on/off: {:.2}", report.ratio());
}

/// The tracing-cost scenario starts two gateway processes (traces off, and
/// exporting to its collector), runs both workloads on each in alternation,
/// and only the exporting one sends spans.
#[tokio::test]
async fn the_trace_cost_scenario_runs_both_sides_and_exports_from_one() {
    let report = railgate_bench::trace_cost::run(
        std::path::Path::new(env!("CARGO_BIN_EXE_railgate-bench")),
        Duration::from_millis(300),
        Duration::from_millis(500),
        Duration::from_millis(100),
        4,
        4,
        1,
    )
    .await
    .unwrap();
    for runs in [
        &report.search_off,
        &report.search_on,
        &report.book_off,
        &report.book_on,
    ] {
        assert_eq!(
            runs.len(),
            railgate_bench::trace_cost::RUNS_PER_SIDE,
            "off, on, on, off, round after round"
        );
        assert!(runs.iter().all(|run| run.ok > 0), "{runs:?}");
    }
    assert!(report.spans_exported > 0);
    assert!(report.search_ratio() > 0.0 && report.book_ratio() > 0.0);
}

/// `railgate-bench store-cost`: orders booked one at a time in a process
/// of its own, every transaction and statement of theirs put down to a
/// store operation. The counts are the store's, not timing: each order
/// inserts itself once, writes in transactions and reads its rows.
#[tokio::test]
async fn store_cost_counts_each_orders_transactions_and_statements() {
    let json = bench_json(&["store-cost", "--orders", "2", "--json"]).await;
    assert_eq!(json["backend"], "SQLite", "{json}");
    assert_eq!(json["orders"], 2, "{json}");
    let operations = json["counts"]["by_operation"].as_object().unwrap();
    let count = |operation: &str, field: &str| operations[operation][field].as_u64().unwrap();
    // One insert per order, in a write transaction of its own.
    assert_eq!(count("insert_order", "calls"), 2, "{json}");
    assert_eq!(count("insert_order", "write_transactions"), 2, "{json}");
    // Book, the callbacks and Confirm each saved the order.
    assert!(
        count("update_order", "write_transactions") >= 2 * 3,
        "{json}"
    );
    assert!(
        count("get_order", "statements") >= count("get_order", "calls"),
        "{json}"
    );
    let statements: u64 = operations
        .values()
        .map(|counts| counts["statements"].as_u64().unwrap())
        .sum();
    assert!(statements >= 2 * 10, "{json}");
}

/// The default configuration's Search carries both providers' seats, and
/// a baseline captured from it answers with the very same bytes: the
/// ratio the suite prints compares equal work.
#[tokio::test]
async fn the_default_configuration_is_compared_with_a_baseline_of_its_own_bytes() {
    use prost::Message as _;
    let both = Gateway::start(railgate_bench::gateway::GatewayOptions {
        juhe: true,
        ..bench::sqlite(60_000)
    })
    .await
    .unwrap();
    let panhe_alone = gateway().await;
    let answer = bench::capture(&both.uri()).await.unwrap();
    let smaller = bench::capture(&panhe_alone.uri()).await.unwrap();
    let providers: std::collections::HashSet<i32> = answer
        .trains
        .iter()
        .flat_map(|train| &train.seats)
        .map(|seat| seat.provider)
        .collect();
    assert_eq!(providers.len(), 2, "{providers:?}");
    assert!(answer.encoded_len() > smaller.encoded_len());
    let baseline = BaselineServer::start(answer.clone()).await.unwrap();
    let served = bench::capture(&baseline.uri).await.unwrap();
    assert_eq!(served.encode_to_vec(), answer.encode_to_vec());
    assert!(bench::describe_answer(&served).contains(&format!("{} bytes", answer.encoded_len())));
    both.stop().await;
    panhe_alone.stop().await;
}
