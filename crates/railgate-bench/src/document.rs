//! docs/PERFORMANCE.md: the machine, the commands, every figure with its
//! baseline and ratio, the targets, ghz equivalents and the plot.

use super::BenchError;
use super::plot::{self, Series};
use super::report::Report;
use super::scenarios;
use super::suite::{CONCURRENCY, CONNECTIONS, Results, Sweep};
use super::targets;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Facts about the machine the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_mib: u64,
    pub kernel: String,
    /// /proc/loadavg at the start: other work on the machine skews the
    /// absolute figures (not the same-run ratios).
    pub load_average: String,
    pub build: &'static str,
    pub railgate_version: &'static str,
    pub date_utc: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_mib: field(&meminfo, "MemTotal")
                .and_then(|text| text.trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kib| kib / 1024),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|text| text.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into()),
            load_average: std::fs::read_to_string("/proc/loadavg")
                .map(|text| {
                    text.split_whitespace()
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|_| "unknown".into()),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            railgate_version: env!("CARGO_PKG_VERSION"),
            date_utc: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// The value of the first `key: value` line of a /proc file.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_once(':'))
        .map(|(_, value)| value.trim().to_owned())
}

/// The plot's file name, beside the document.
pub const PLOT_FILE: &str = "performance-search.svg";

/// Writes the document, its plot and the raw results (JSON) beside it.
pub fn write(out: &Path, results: &Results) -> Result<(), BenchError> {
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(BenchError::Io)?;
    let svg = plot::latency_vs_rate(
        "Search from the cache: latency vs offered rate",
        &search_series(results),
    )
    .map_err(BenchError::Report)?;
    std::fs::write(dir.join(PLOT_FILE), svg).map_err(BenchError::Io)?;
    super::growth::section::write_plots(dir, &results.growth)?;
    super::growth::providers::write_plot(dir, &results.rows)?;
    let json = serde_json::to_string_pretty(results)
        .map_err(|error| BenchError::Report(error.to_string()))?;
    std::fs::write(dir.join("performance.json"), json).map_err(BenchError::Io)?;
    std::fs::write(out, markdown(results)).map_err(BenchError::Io)?;
    eprintln!("bench: wrote {}", out.display());
    Ok(())
}

fn search_series(results: &Results) -> Vec<Series> {
    let Some(sweep) = results
        .sweeps
        .iter()
        .find(|sweep| sweep.scenario == "Search (cache)")
    else {
        return Vec::new();
    };
    let mut series = Vec::new();
    for (colour, (name, pick)) in [
        (
            "p50",
            (|report: &Report| report.latency_us.p50) as fn(&Report) -> f64,
        ),
        ("p99", |report: &Report| report.latency_us.p99),
        ("p99.9", |report: &Report| report.latency_us.p999),
    ]
    .into_iter()
    .enumerate()
    {
        series.push(Series {
            name: format!("railgate {name}"),
            points: sweep
                .points
                .iter()
                .map(|point| (point.offered_rps, pick(&point.railgate)))
                .collect(),
            colour,
            thin: false,
        });
        series.push(Series {
            name: format!("baseline {name}"),
            points: sweep
                .points
                .iter()
                .map(|point| (point.offered_rps, pick(&point.baseline)))
                .collect(),
            colour,
            thin: true,
        });
    }
    series
}

pub(super) fn micros(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.1} ms", value / 1_000.0)
    } else {
        format!("{value:.0} µs")
    }
}

fn errors(report: &Report) -> String {
    if report.errors.is_empty() {
        "0".to_owned()
    } else {
        report
            .errors
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn load_shape(report: &Report) -> String {
    match report.shape.offered_rps {
        Some(rate) => format!("open {rate:.0}/s"),
        None => format!(
            "c={}, {} conn",
            report.shape.concurrency, report.shape.connections
        ),
    }
}

fn markdown(results: &Results) -> String {
    let mut doc = String::new();
    let m = &results.machine;
    let _ = writeln!(doc, "# railgate performance\n");
    let _ = writeln!(
        doc,
        "Generated by `make bench` (`railgate-bench suite`) on {}; do not edit by hand. \
         Every figure is railgate next to its ceiling measured back to back in the same \
         process run: the **baseline** (a tonic server answering a captured Search response \
         of the same size and shape with no work) or, for Search missing the cache, the \
         **direct HTTP call** to the same Panhe simulator. Judge changes by the ratios; the \
         absolute times belong to this machine.{}\n",
        m.date_utc,
        if results.quick {
            " **Quick run (`--quick`): phases too short for real figures.**"
        } else {
            ""
        }
    );
    let _ = writeln!(doc, "## Machine\n");
    let _ = writeln!(doc, "| | |\n|---|---|");
    let _ = writeln!(doc, "| CPU | {} |", m.cpu);
    let _ = writeln!(doc, "| cores | {} |", m.cores);
    let _ = writeln!(doc, "| memory | {} MiB |", m.memory_mib);
    let _ = writeln!(doc, "| kernel | {} |", m.kernel);
    let _ = writeln!(
        doc,
        "| load average at start (1, 5, 15 min) | {} |",
        m.load_average
    );
    let _ = writeln!(
        doc,
        "| build | {} (railgate {}) |",
        m.build, m.railgate_version
    );
    let _ = writeln!(doc, "| suite wall time | {:.0} s |\n", results.wall_time_s);
    let _ = writeln!(
        doc,
        "Load generator, railgate, its Panhe simulator (holding and issuing at once, \
         quota limits raised) and the baseline share the process and the {} cores, as a \
         gateway shares a small host with its clients' proxies; logs at `warn`.\n",
        m.cores
    );
    let _ = writeln!(doc, "## Commands\n");
    let _ = writeln!(
        doc,
        "```sh\nmake bench                      # this document (release build), then the soak\n\
         make soak SOAK_MINUTES=30       # the soak alone: its section of docs/RELIABILITY.md\n\
         railgate-bench suite --quick    # a smoke run of the same suite\n\
         railgate-bench compare --scenario search-cached --concurrency {CONCURRENCY} --connections {CONNECTIONS} -z 5s\n\
         railgate-bench baseline --listen 127.0.0.1:50052   # the ceiling, for any load tool\n\
         railgate-bench load --target http://127.0.0.1:50051 --scenario search-cached --concurrency 50 -z 10s --json\n\
         railgate-bench load --rpc search -d '{{\"from_station\":\"北京南\",\"to_station\":\"上海虹桥\",\"travel_date\":\"YYYY-MM-DD\"}}' --rps 2000 -z 10s\n```\n"
    );
    let _ = writeln!(doc, "## Results at fixed concurrency\n");
    let _ = writeln!(
        doc,
        "| scenario | load | req/s | p50 | p90 | p99 | p99.9 | max | errors | ceiling | ceiling req/s | ceiling p50 | ceiling p99 | req/s ratio |"
    );
    let _ = writeln!(
        doc,
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|"
    );
    for row in &results.rows {
        let r = &row.railgate;
        let l = &r.latency_us;
        let _ = write!(
            doc,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
            row.scenario,
            load_shape(r),
            r.rps,
            micros(l.p50),
            micros(l.p90),
            micros(l.p99),
            micros(l.p999),
            micros(l.max),
            errors(r)
        );
        match &row.baseline {
            Some(b) => {
                let _ = writeln!(
                    doc,
                    " {} | {:.0} | {} | {} | {:.2} |",
                    row.baseline_name,
                    b.rps,
                    micros(b.latency_us.p50),
                    micros(b.latency_us.p99),
                    if b.rps > 0.0 { r.rps / b.rps } else { 0.0 }
                );
            }
            None => {
                let _ = writeln!(doc, " none: no provider-free equivalent | | | | |");
            }
        }
    }
    if let Some(serial) = &results.uncached_serial {
        let (ours, direct) = (&serial.railgate, &serial.direct);
        let _ = writeln!(
            doc,
            "\nSearch missing the cache one call at a time (c=1): railgate p50 {}, the direct \
             simulator call p50 {}: railgate adds **{}** at p50 ({} vs {} at p99). The \
             baseline's Search at c=1 (the gRPC hop alone, which the direct call does not \
             make) takes {} at p50.\n",
            micros(ours.latency_us.p50),
            micros(direct.latency_us.p50),
            micros(serial.added_p50()),
            micros(ours.latency_us.p99),
            micros(direct.latency_us.p99),
            micros(serial.grpc_hop.latency_us.p50)
        );
    }
    let _ = writeln!(doc, "## Open-loop sweeps\n");
    let _ = writeln!(
        doc,
        "Calls start on a fixed schedule at a fraction of railgate's closed-loop maximum; \
         latency counts from each call's scheduled start, so queueing shows (no coordinated \
         omission). At most 1,000 calls in flight.\n"
    );
    for sweep in &results.sweeps {
        sweep_table(&mut doc, sweep);
    }
    let _ = writeln!(
        doc,
        "![Search latency percentiles against offered rate]({PLOT_FILE})\n"
    );
    if let Some(report) = &results.h2load {
        super::h2load::section(&mut doc, report);
    }
    super::statements::section(&mut doc, &results.store_cost);
    super::growth::section::sections(&mut doc, &results.growth);
    super::growth::providers::section(&mut doc, &results.rows);
    watch_section(&mut doc, results);
    flood_section(&mut doc, results);
    targets::targets_section(&mut doc, results);
    targets::bounds_section(&mut doc, results);
    if !results.skipped.is_empty() {
        let _ = writeln!(doc, "## Not measured in this run\n");
        for skipped in &results.skipped {
            let _ = writeln!(doc, "- {skipped}");
        }
        let _ = writeln!(doc);
    }
    ghz_section(&mut doc);
    doc
}

fn sweep_table(doc: &mut String, sweep: &Sweep) {
    let _ = writeln!(
        doc,
        "### {} (ceiling: {})\n",
        sweep.scenario, sweep.baseline_name
    );
    let _ = writeln!(
        doc,
        "| offered req/s | railgate req/s | p50 | p99 | p99.9 | max | errors | ceiling p50 | ceiling p99 | ceiling p99.9 | p99 ratio |"
    );
    let _ = writeln!(
        doc,
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
    );
    for point in &sweep.points {
        let (r, b) = (&point.railgate.latency_us, &point.baseline.latency_us);
        let _ = writeln!(
            doc,
            "| {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
            point.offered_rps,
            point.railgate.rps,
            micros(r.p50),
            micros(r.p99),
            micros(r.p999),
            micros(r.max),
            errors(&point.railgate),
            micros(b.p50),
            micros(b.p99),
            micros(b.p999),
            if b.p99 > 0.0 { r.p99 / b.p99 } else { 0.0 }
        );
    }
    let _ = writeln!(doc);
}

fn watch_section(doc: &mut String, results: &Results) {
    let Some(watch) = &results.watch else {
        return;
    };
    let l = &watch.delivery.latency_us;
    let _ = writeln!(doc, "## WatchOrder streams\n");
    let _ = writeln!(
        doc,
        "{} streams following one HELD order over {} connections. Resident memory (VmRSS of \
         the whole process: client and server sides of every stream) went from {} MiB to {} MiB: \
         **{:.1} KiB per stream**, {:.0} MiB for all. Then Confirm: the delay from sending it \
         to each watcher receiving the change was p50 {}, p90 {}, p99 **{}**, max {} \
         ({} watchers reached, {} missed).\n",
        watch.streams,
        watch.connections,
        watch.rss_before_kib / 1024,
        watch.rss_after_kib / 1024,
        watch.bytes_per_stream / 1024.0,
        (watch.rss_after_kib.saturating_sub(watch.rss_before_kib)) as f64 / 1024.0,
        micros(l.p50),
        micros(l.p90),
        micros(l.p99),
        micros(l.max),
        watch.delivery.ok,
        watch.missed
    );
}

fn flood_section(doc: &mut String, results: &Results) {
    let Some(flood) = &results.search_flood else {
        return;
    };
    let (quiet, flooded) = (&flood.quiet.latency_us, &flood.flooded.latency_us);
    let _ = writeln!(doc, "## {}\n", super::search_flood::NAME);
    let _ = writeln!(
        doc,
        "Books at {:.0}/s (open loop), on a gateway with the default Panhe quota (100 calls/s, \
         64 in flight; 70% for searches) and no search cache: first alone, then while {} callers \
         search as fast as they can. The searches got {:.0} req/s through (p50 {}; {}), bounded \
         by the search lane's share of the quota.\n",
        flood.quiet.shape.offered_rps.unwrap_or_default(),
        super::search_flood::SEARCHERS,
        flood.searches.rps,
        micros(flood.searches.latency_us.p50),
        errors(&flood.searches),
    );
    let _ = writeln!(
        doc,
        "| Book | calls | p50 | p90 | p99 | max | errors |\n|---|---:|---:|---:|---:|---:|---|"
    );
    for (name, report, latency) in [
        ("alone", &flood.quiet, quiet),
        ("during the flood", &flood.flooded, flooded),
    ] {
        let _ = writeln!(
            doc,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            report.requests,
            micros(latency.p50),
            micros(latency.p90),
            micros(latency.p99),
            micros(latency.max),
            errors(report)
        );
    }
    let _ = writeln!(doc);
}

fn ghz_section(doc: &mut String) {
    let date = scenarios::search_request().travel_date;
    let search = format!(
        "{{\"from_station\":\"{}\",\"to_station\":\"{}\",\"travel_date\":\"{date}\"}}",
        scenarios::FROM,
        scenarios::TO
    );
    let _ = writeln!(doc, "## The same with ghz\n");
    let _ = writeln!(
        doc,
        "ghz finds the API through server reflection (railgate serves it). Start railgate \
         with `make run` (for the uncached Search: `RAILGATE_SEARCH_CACHE_TTL_MS=0 make run`; \
         the sandbox Panhe quota is 100 req/s unless `RAILGATE_PANHE_REQUESTS_PER_SECOND` is \
         raised). ghz's `--rps` paces sends but times each call from its actual send, so under \
         overload its open-loop figures are flattered by coordinated omission; `railgate-bench \
         load --rps` is not.\n\n\
         The baseline must answer with the same bytes as the railgate it is compared with: \
         `railgate-bench baseline` captures its answer from `--capture-from <railgate's gRPC \
         URI>`, and without it from a railgate configured as `make run`'s sandbox (Panhe and \
         Juhe, about twice the bytes of Panhe alone); it prints the answer's size at start. \
         With railgate running: `railgate-bench baseline --capture-from http://127.0.0.1:50051`.\n"
    );
    let common = format!("--insecure -c {CONCURRENCY} --connections {CONNECTIONS} -z 5s");
    let _ = writeln!(doc, "```sh");
    let _ = writeln!(
        doc,
        "# Search from the cache (and the baseline: point it at `railgate-bench baseline`'s port)"
    );
    let _ = writeln!(
        doc,
        "ghz {common} --call railgate.v1.BookingService/Search -d '{search}' 127.0.0.1:50051"
    );
    let _ = writeln!(
        doc,
        "ghz {common} --call railgate.v1.BookingService/Search -d '{search}' 127.0.0.1:50052"
    );
    let _ = writeln!(doc, "# an open-loop point");
    let _ = writeln!(
        doc,
        "ghz {common} --rps 2000 --call railgate.v1.BookingService/Search -d '{search}' 127.0.0.1:50051"
    );
    let _ = writeln!(
        doc,
        "# Search missing the cache (railgate started with RAILGATE_SEARCH_CACHE_TTL_MS=0)"
    );
    let _ = writeln!(
        doc,
        "ghz {common} --call railgate.v1.BookingService/Search -d '{search}' 127.0.0.1:50051"
    );
    let _ = writeln!(doc, "# GetOrder of an order you booked");
    let _ = writeln!(
        doc,
        "ghz {common} --call railgate.v1.BookingService/GetOrder -d '{{\"order_id\":\"ord_…\"}}' 127.0.0.1:50051"
    );
    let _ = writeln!(
        doc,
        "# Book only (ghz cannot chain Book → Confirm → ISSUED; {{{{.RequestNumber}}}} keeps keys unique)"
    );
    let _ = writeln!(
        doc,
        "ghz {common} --call railgate.v1.BookingService/Book -d '{{\"idempotency_key\":\"ghz-{{{{.RequestNumber}}}}\",\"offer_id\":\"…\",\"passengers\":[{{\"name\":\"张三\",\"id_type\":\"ID_TYPE_RESIDENT_ID_CARD\",\"id_number\":\"11010519491231002X\",\"passenger_type\":\"PASSENGER_TYPE_ADULT\",\"phone\":\"13800138000\"}}],\"contact\":{{\"name\":\"张三\",\"phone\":\"13800138000\"}},\"account\":{{\"username\":\"sandbox-user\",\"password\":\"sandbox-password\"}}}}' 127.0.0.1:50051"
    );
    let _ = writeln!(doc, "# WatchOrder streams held open (server streaming)");
    let _ = writeln!(
        doc,
        "ghz --insecure -c 10000 --connections 64 -n 10000 --stream-call-duration 30s --call railgate.v1.BookingService/WatchOrder -d '{{\"order_id\":\"ord_…\",\"follow\":true}}' 127.0.0.1:50051"
    );
    let _ = writeln!(doc, "```");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields_are_read_by_key() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n";
        assert_eq!(
            field(cpuinfo, "model name").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        assert_eq!(field(cpuinfo, "flags"), None);
    }

    #[test]
    fn latencies_print_in_the_unit_that_reads_best() {
        assert_eq!(micros(812.4), "812 µs");
        assert_eq!(micros(25_300.0), "25.3 ms");
    }
}
