//! How Search's latency grows with the providers configured: the suite's
//! Search rows for Panhe alone and for the default configuration (Panhe
//! and Juhe), from the cache and missing it, side by side as a table and
//! a plot. Nothing is measured again here: the rows are the scenarios the
//! suite runs anyway, at the same concurrency.
//!
//! A third provider is not measured: railgate's providers are a closed
//! set (`ProviderId` is part of the API, of every stored order and of
//! each offer id), so a fake one would be a provider variant in the
//! product made for the benchmark. The section says so rather than
//! drawing a point nobody can configure.

use crate::BenchError;
use crate::document::micros;
use crate::plot::{self, Series};
use crate::suite::{Row, SEARCH_DEFAULT_CACHED, SEARCH_DEFAULT_UNCACHED};
use std::fmt::Write as _;
use std::path::Path;

/// The plot's file name, beside the document.
pub const PLOT_FILE: &str = "performance-growth-providers.svg";

/// The suite's Search rows by providers configured: (providers, label,
/// cached row, uncached row).
const CONFIGURATIONS: [(usize, &str, &str, &str); 2] = [
    (1, "Panhe", "Search (cache)", "Search (no cache)"),
    (
        2,
        "Panhe + Juhe",
        SEARCH_DEFAULT_CACHED,
        SEARCH_DEFAULT_UNCACHED,
    ),
];

/// One configuration's Search latencies.
struct Point<'r> {
    providers: usize,
    label: &'static str,
    cached: &'r Row,
    uncached: &'r Row,
}

fn points(rows: &[Row]) -> Vec<Point<'_>> {
    let row = |name: &str| rows.iter().find(|row| row.scenario == name);
    CONFIGURATIONS
        .iter()
        .filter_map(|(providers, label, cached, uncached)| {
            Some(Point {
                providers: *providers,
                label,
                cached: row(cached)?,
                uncached: row(uncached)?,
            })
        })
        .collect()
}

/// Writes the plot into `dir` when both configurations were measured.
pub fn write_plot(dir: &Path, rows: &[Row]) -> Result<(), BenchError> {
    let points = points(rows);
    if points.len() < 2 {
        return Ok(());
    }
    let curve = |name: &str, colour: usize, thin: bool, pick: fn(&Point) -> f64| Series {
        name: name.to_owned(),
        points: points
            .iter()
            .map(|point| (point.providers as f64, pick(point)))
            .collect(),
        colour,
        thin,
    };
    let series = [
        curve("no cache p99", 1, true, |point| {
            point.uncached.railgate.latency_us.p99
        }),
        curve("no cache p50", 1, false, |point| {
            point.uncached.railgate.latency_us.p50
        }),
        curve("cache p99", 0, true, |point| {
            point.cached.railgate.latency_us.p99
        }),
        curve("cache p50", 0, false, |point| {
            point.cached.railgate.latency_us.p50
        }),
    ];
    let svg = plot::latency_against(
        "Search latency against the providers configured",
        "providers configured",
        &series,
    )
    .map_err(BenchError::Report)?;
    std::fs::write(dir.join(PLOT_FILE), svg).map_err(BenchError::Io)
}

/// The section: a table of both configurations and the plot.
pub fn section(doc: &mut String, rows: &[Row]) {
    let points = points(rows);
    if points.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## How cost grows: Search against the providers configured\n\n\
         The Search rows above, by how many providers railgate asks (the same route and date, \
         closed loop at the same concurrency; nothing measured again). A Search waits for the \
         slowest provider it asks and merges every answer, so a second provider adds its own \
         latency and the merge of its trains: with the cache, the lookups and a larger reply; \
         without it, the slower of two provider calls and two answers to read. A third \
         provider is not measured: providers are a closed set in railgate (the provider is \
         part of the API, of every stored order and of each offer id), so a fake third would be \
         a provider variant in the product built for the benchmark.\n"
    );
    let _ = writeln!(
        doc,
        "| providers | configuration | cache p50 | cache p99 | cache req/s | no cache p50 | no cache p99 | no cache req/s |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|"
    );
    for point in &points {
        let (cached, uncached) = (&point.cached.railgate, &point.uncached.railgate);
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {:.0} | {} | {} | {:.0} |",
            point.providers,
            point.label,
            micros(cached.latency_us.p50),
            micros(cached.latency_us.p99),
            cached.rps,
            micros(uncached.latency_us.p50),
            micros(uncached.latency_us.p99),
            uncached.rps,
        );
    }
    if points.len() >= 2 {
        let _ = writeln!(
            doc,
            "\n![Search latency against the providers configured]({PLOT_FILE})\n"
        );
    } else {
        doc.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LoadShape, Recorder, Report};
    use std::time::Duration;

    fn report(micros: u64) -> Report {
        let recorder = Recorder::new();
        for _ in 0..10 {
            recorder.record(Duration::from_micros(micros), Ok(()));
        }
        let shape = LoadShape {
            concurrency: 1,
            connections: 1,
            offered_rps: None,
        };
        recorder.report("railgate", shape, Duration::from_secs(1))
    }

    fn row(scenario: &str, micros: u64) -> Row {
        Row {
            scenario: scenario.to_owned(),
            railgate: report(micros),
            baseline: None,
            baseline_name: String::new(),
        }
    }

    #[test]
    fn both_configurations_make_a_table_and_a_plot() {
        let rows = [
            row("Search (cache)", 20_000),
            row("Search (no cache)", 300_000),
            row(SEARCH_DEFAULT_CACHED, 40_000),
            row(SEARCH_DEFAULT_UNCACHED, 600_000),
        ];
        let mut doc = String::new();
        section(&mut doc, &rows);
        assert!(doc.contains("| 1 | Panhe | 20.0 ms | 20.0 ms |"), "{doc}");
        assert!(
            doc.contains("| 2 | Panhe + Juhe | 40.0 ms | 40.0 ms |"),
            "{doc}"
        );
        assert!(doc.contains("| 600.3 ms | 600.3 ms |"), "{doc}");
        assert!(doc.contains(PLOT_FILE), "{doc}");
        let dir = tempfile::tempdir().unwrap();
        write_plot(dir.path(), &rows).unwrap();
        let svg = std::fs::read_to_string(dir.path().join(PLOT_FILE)).unwrap();
        assert!(svg.contains("providers configured"));
    }

    #[test]
    fn without_the_default_configuration_there_is_no_plot() {
        let rows = [
            row("Search (cache)", 2_000),
            row("Search (no cache)", 30_000),
        ];
        let mut doc = String::new();
        section(&mut doc, &rows);
        assert!(doc.contains("| 1 | Panhe |"), "{doc}");
        assert!(!doc.contains(PLOT_FILE), "{doc}");
        let dir = tempfile::tempdir().unwrap();
        write_plot(dir.path(), &rows).unwrap();
        assert!(!dir.path().join(PLOT_FILE).exists());
        let mut empty = String::new();
        section(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
