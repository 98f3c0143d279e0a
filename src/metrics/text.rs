//! The exposition in both formats scrapers take. prometheus-client writes
//! OpenMetrics 1.0, which Prometheus asks for first; tools and scrapers
//! that ask for (or default to) the classic text format 0.0.4 get that,
//! which differs for railgate's families in three ways only: no `# UNIT`
//! and no `# EOF` line, and a counter's HELP and TYPE name its `_total`
//! sample (OpenMetrics names the family without the suffix).

/// The content type of OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of the classic Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header asks for OpenMetrics.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| accept.contains("application/openmetrics-text"))
}

/// `openmetrics` rewritten in the classic text format.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let metadata = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|prefix| Some((prefix, line.strip_prefix(prefix)?)));
        match metadata {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) {
                    "_total"
                } else {
                    ""
                };
                text.push_str(&format!("{prefix}{name}{suffix} {tail}"));
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_take_their_total_name_and_openmetrics_only_lines_go() {
        let openmetrics = "# HELP calls Calls.\n# TYPE calls counter\ncalls_total{a=\"b\"} 3\n\
                           # HELP wait Wait.\n# TYPE wait histogram\n# UNIT wait seconds\n\
                           wait_sum 1.5\nwait_count 2\nwait_bucket{le=\"+Inf\"} 2\n\
                           # HELP open Open.\n# TYPE open gauge\nopen 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(openmetrics),
            "# HELP calls_total Calls.\n# TYPE calls_total counter\ncalls_total{a=\"b\"} 3\n\
             # HELP wait Wait.\n# TYPE wait histogram\n\
             wait_sum 1.5\nwait_count 2\nwait_bucket{le=\"+Inf\"} 2\n\
             # HELP open Open.\n# TYPE open gauge\nopen 1\n"
        );
    }

    #[test]
    fn openmetrics_is_served_only_to_who_asks() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(!wants_openmetrics(Some("text/plain")));
        assert!(!wants_openmetrics(None));
    }
}
