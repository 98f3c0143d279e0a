//! The "How cost grows" part of docs/PERFORMANCE.md: the order reads'
//! table and plot.

use super::cache::{CacheGrowth, CachePoint};
use super::reconciler::ReconcileGrowth;
use super::{Growth, OrderReads, ReadPoint};
use crate::BenchError;
use crate::document::micros;
use crate::plot::{self, Series};
use std::fmt::Write as _;
use std::path::Path;

/// The plots' file names, beside the document.
pub const PLOT_FILE: &str = "performance-growth-orders.svg";
pub const CACHE_PLOT_FILE: &str = "performance-growth-cache.svg";
pub const RECONCILER_PLOT_FILE: &str = "performance-growth-reconciler.svg";

/// How far the memory per route may move between the two largest sizes
/// for the growth to count as linear.
pub const LINEAR_TOLERANCE: f64 = 0.25;

/// What GetOrder's p99 may grow to between the smallest and the largest
/// store measured.
pub const GET_ORDER_GROWTH_LIMIT: f64 = 2.0;

/// Writes the plots of what was measured into `dir`.
pub fn write_plots(dir: &Path, growth: &Growth) -> Result<(), BenchError> {
    let mut plots = Vec::new();
    if !growth.order_reads.is_empty() {
        plots.push((PLOT_FILE, plot(&growth.order_reads)));
    }
    if let Some(reconciler) = &growth.reconciler {
        plots.push((RECONCILER_PLOT_FILE, reconciler_plot(reconciler)));
    }
    if let Some(cache) = &growth.search_cache {
        plots.push((CACHE_PLOT_FILE, cache_plot(cache)));
    }
    for (file, svg) in plots {
        let svg = svg.map_err(BenchError::Report)?;
        std::fs::write(dir.join(file), svg).map_err(BenchError::Io)?;
    }
    Ok(())
}

/// Every "how cost grows" section of what was measured.
pub fn sections(doc: &mut String, growth: &Growth) {
    section(doc, &growth.order_reads);
    if let Some(reconciler) = &growth.reconciler {
        reconciler_section(doc, reconciler);
    }
    if let Some(cache) = &growth.search_cache {
        cache_section(doc, cache);
    }
}

/// The growth targets' rows of the targets table.
pub fn target_rows(doc: &mut String, growth: &Growth, verdict: fn(bool) -> &'static str) {
    for reads in &growth.order_reads {
        if let Some((first, last, ratio)) = get_order_growth(reads) {
            let _ = writeln!(
                doc,
                "| GetOrder ({}): p99 at {} stored orders ≤ {:.0}× its p99 at {} \
                 | {} vs {}: {ratio:.2}× | {} |",
                reads.backend,
                last.stored,
                GET_ORDER_GROWTH_LIMIT,
                first.stored,
                micros(last.get.p99_us),
                micros(first.get.p99_us),
                verdict(ratio <= GET_ORDER_GROWTH_LIMIT)
            );
        }
    }
    if let Some(cache) = &growth.search_cache
        && let Some((smaller, larger, spread)) = cache_linearity(cache)
    {
        let _ = writeln!(
            doc,
            "| Search cache: memory per cached route stated and linear (within {:.0}% from \
             {} to {} routes) | {:.1} KiB per route at {}, {:.1} at {}: {:.0}% apart | {} |",
            LINEAR_TOLERANCE * 100.0,
            smaller.routes,
            larger.routes,
            smaller.kib_per_route,
            smaller.routes,
            larger.kib_per_route,
            larger.routes,
            spread * 100.0,
            verdict(spread <= LINEAR_TOLERANCE)
        );
    }
}

/// The table of every backend's figures, with a link to the plot.
fn section(doc: &mut String, reads: &[OrderReads]) {
    if reads.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## How cost grows: order reads against orders stored\n"
    );
    let _ = writeln!(
        doc,
        "One order booked and issued through railgate, then copied with SQL to each size \
         (`ANALYZE` after each); the calls go one at a time through the gRPC API. \
         \"Rare status\" lists the 20 newest EXPIRED orders when none is stored: without \
         an index on status the store read every order to say so (2 s at 1M on SQLite before \
         the `orders_status_created` index); with it, one index probe.\n"
    );
    let _ = writeln!(doc, "![order reads against orders stored]({PLOT_FILE})\n");
    let _ = writeln!(
        doc,
        "| store | orders | writing them (s) | GetOrder p50 / p99 | ListOrders newest p50 / p99 \
         | ListOrders rare status p50 / p99 |"
    );
    let _ = writeln!(doc, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for backend in reads {
        for point in &backend.points {
            let _ = writeln!(
                doc,
                "| {} | {} | {:.1} | {} / {} ({} calls) | {} / {} ({}) | {} / {} ({}) |",
                backend.backend,
                point.stored,
                point.seed_seconds,
                micros(point.get.p50_us),
                micros(point.get.p99_us),
                point.get.calls,
                micros(point.list_newest.p50_us),
                micros(point.list_newest.p99_us),
                point.list_newest.calls,
                micros(point.list_rare.p50_us),
                micros(point.list_rare.p99_us),
                point.list_rare.calls,
            );
        }
    }
    let _ = writeln!(doc);
}

/// GetOrder's p99 at the largest size over the smallest, per backend.
fn get_order_growth(reads: &OrderReads) -> Option<(&ReadPoint, &ReadPoint, f64)> {
    let first = reads.points.first()?;
    let last = reads.points.last()?;
    (last.stored > first.stored).then(|| (first, last, last.get.p99_us / first.get.p99_us.max(1.0)))
}

/// The plot: p99 of each call against orders stored, per backend.
fn plot(reads: &[OrderReads]) -> Result<String, String> {
    let mut series = Vec::new();
    // A colour per call; PostgreSQL's curves (the second backend) thin.
    for (index, backend) in reads.iter().enumerate() {
        let thin = index > 0;
        for (colour, (name, pick)) in [
            (
                "GetOrder",
                (|p: &ReadPoint| p.get.p99_us) as fn(&ReadPoint) -> f64,
            ),
            ("ListOrders newest", |p: &ReadPoint| p.list_newest.p99_us),
            ("ListOrders rare status", |p: &ReadPoint| p.list_rare.p99_us),
        ]
        .into_iter()
        .enumerate()
        {
            series.push(Series {
                name: format!("{} {name} p99", backend.backend),
                points: backend
                    .points
                    .iter()
                    .map(|point| (point.stored as f64, pick(point)))
                    .collect(),
                colour,
                thin,
            });
        }
    }
    plot::log_log(
        "Order reads: p99 against orders stored",
        "orders stored",
        "latency, µs",
        &series,
    )
}

/// The search cache's table, with a link to its plot.
fn cache_section(doc: &mut String, growth: &CacheGrowth) {
    let _ = writeln!(
        doc,
        "## How cost grows: the search cache against routes cached
"
    );
    let _ = writeln!(
        doc,
        "railgate's own search cache filled in the bench process, one answer per route, each \
         a deep copy of the Panhe answer for the bench route ({}). Memory is the process's \
         resident memory above its level before the first answer; lookups are hits spread \
         over every cached route. railgate keeps at most {} answers (`CAPACITY` in \
         src/routing/cache.rs); past that the figures say what a larger cache would cost.\n",
        growth.answer, growth.capacity
    );
    let _ = writeln!(
        doc,
        "![the search cache against routes cached]({CACHE_PLOT_FILE})\n"
    );
    let _ = writeln!(
        doc,
        "| routes cached | answers kept | resident memory | per route | lookup p50 / p99 |"
    );
    let _ = writeln!(doc, "| ---: | ---: | ---: | ---: | ---: |");
    for point in &growth.points {
        let _ = writeln!(
            doc,
            "| {} | {} | {:.1} MiB | {:.1} KiB | {} / {} ({} lookups) |",
            point.routes,
            point.kept,
            point.resident_mib,
            point.kib_per_route,
            micros(point.lookup.p50_us),
            micros(point.lookup.p99_us),
            point.lookup.calls
        );
    }
    let _ = writeln!(doc);
}

/// The memory per route at the two largest sizes and how far apart they
/// are (relative to the larger size's).
fn cache_linearity(growth: &CacheGrowth) -> Option<(&CachePoint, &CachePoint, f64)> {
    let [.., smaller, larger] = growth.points.as_slice() else {
        return None;
    };
    let spread = (larger.kib_per_route - smaller.kib_per_route).abs()
        / larger.kib_per_route.max(f64::EPSILON);
    Some((smaller, larger, spread))
}

/// The plot: memory and lookup p99 against routes cached.
fn cache_plot(growth: &CacheGrowth) -> Result<String, String> {
    let series = [
        Series {
            name: "resident memory, MiB".into(),
            points: growth
                .points
                .iter()
                .map(|point| (point.routes as f64, point.resident_mib))
                .collect(),
            colour: 1,
            thin: false,
        },
        Series {
            name: "lookup p99, µs".into(),
            points: growth
                .points
                .iter()
                .map(|point| (point.routes as f64, point.lookup.p99_us))
                .collect(),
            colour: 0,
            thin: true,
        },
    ];
    plot::log_log(
        "The search cache against routes cached",
        "routes cached",
        "MiB or µs",
        &series,
    )
}

/// The reconciler's table, with a link to its plot.
fn reconciler_section(doc: &mut String, growth: &ReconcileGrowth) {
    let _ = writeln!(
        doc,
        "## How cost grows: the reconciler against unsettled orders\n"
    );
    let _ = writeln!(
        doc,
        "One order booked and issued through railgate, then copied with SQL as ISSUING and \
         unsettled orders whose Panhe numbers the simulator does not know: each poll is one \
         order-detail call (answered \"not found\") and a read. The reconciler runs every {} ms \
         and claims at most {} orders a round (`BATCH` in src/orders/reconciler.rs); each \
         size is watched for {:.0} s. Calls are railgate's own count on `/metrics`; CPU is the \
         whole bench process's (railgate, the simulator, an idle load generator), % of one core. \
         A full round is how long until every unsettled order has been polled once.\n",
        growth.interval_ms, growth.batch, growth.window_seconds
    );
    let _ = writeln!(
        doc,
        "![the reconciler against unsettled orders]({RECONCILER_PLOT_FILE})\n"
    );
    let _ = writeln!(
        doc,
        "| unsettled orders | Panhe calls/s | CPU | a full round |"
    );
    let _ = writeln!(doc, "| ---: | ---: | ---: | ---: |");
    for point in &growth.points {
        let _ = writeln!(
            doc,
            "| {} | {:.1} | {:.1}% | {:.0} s |",
            point.unsettled, point.calls_per_second, point.cpu_percent, point.full_round_seconds
        );
    }
    let _ = writeln!(doc);
}

/// The plot: calls per second, CPU and the full round against unsettled
/// orders.
fn reconciler_plot(growth: &ReconcileGrowth) -> Result<String, String> {
    let curve =
        |name: &str, colour: usize, pick: fn(&super::reconciler::ReconcilePoint) -> f64| Series {
            name: name.to_owned(),
            points: growth
                .points
                .iter()
                .map(|point| (point.unsettled as f64, pick(point)))
                .collect(),
            colour,
            thin: false,
        };
    let series = [
        curve("Panhe calls/s", 1, |point| point.calls_per_second),
        curve("CPU, % of one core", 0, |point| point.cpu_percent),
        curve("a full round, s", 2, |point| point.full_round_seconds),
    ];
    plot::log_log(
        "The reconciler against unsettled orders",
        "unsettled orders",
        "calls/s, % or s",
        &series,
    )
}
