//! What the soak reads from railgate's `/metrics` (Prometheus text, over
//! HTTP as a scraper reads it): the runtime's alive tasks each minute, and
//! at the end the calls it served by RPC and gRPC code.

use crate::BenchError;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The gauge of tasks alive on railgate's runtime (src/metrics).
pub const ALIVE_TASKS: &str = "railgate_runtime_alive_tasks";
const CALLS: &str = "rpc_server_call_duration_seconds_count";

/// Fetches the exposition.
pub async fn fetch(http: &reqwest::Client, addr: SocketAddr) -> Result<String, BenchError> {
    let response = http
        .get(format!("http://{addr}/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|error| BenchError::Setup(format!("GET /metrics: {error}")))?;
    if !response.status().is_success() {
        return Err(BenchError::Setup(format!(
            "GET /metrics: HTTP {}",
            response.status()
        )));
    }
    response
        .text()
        .await
        .map_err(|error| BenchError::Setup(format!("GET /metrics: {error}")))
}

/// The value of an unlabelled sample.
pub fn value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(series, _)| *series == name)
        .and_then(|(_, value)| value.parse().ok())
}

/// gRPC calls served, by method and then by code name (`OK`,
/// `INVALID_ARGUMENT`, ...).
pub type Served = BTreeMap<String, BTreeMap<String, u64>>;

/// The calls railgate counted, from `rpc_server_call_duration_seconds`.
pub fn served(text: &str) -> Served {
    let mut served = Served::new();
    for line in text.lines().filter(|line| line.starts_with(CALLS)) {
        let Some((series, count)) = line.rsplit_once(' ') else {
            continue;
        };
        let (Some(method), Some(code), Ok(count)) = (
            label(series, "rpc_method"),
            label(series, "rpc_grpc_status_code"),
            count.parse::<f64>(),
        ) else {
            continue;
        };
        let code = code
            .parse::<i32>()
            .map(|code| code_name(tonic::Code::from_i32(code)))
            .unwrap_or_else(|_| code.to_owned());
        *served
            .entry(method.to_owned())
            .or_default()
            .entry(code)
            .or_default() += count as u64;
    }
    served
}

/// The sum of `name`'s samples by the values of `labels`, in that order
/// (e.g. provider calls by provider, operation and outcome). A sample
/// without one of them is left out.
pub fn by_labels(text: &str, name: &str, labels: &[&str]) -> BTreeMap<Vec<String>, u64> {
    let mut sums = BTreeMap::new();
    let prefix = format!("{name}{{");
    for line in text.lines().filter(|line| line.starts_with(&prefix)) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let values: Option<Vec<String>> = labels
            .iter()
            .map(|wanted| label(series, wanted).map(str::to_owned))
            .collect();
        if let (Some(values), Ok(value)) = (values, value.parse::<f64>()) {
            *sums.entry(values).or_default() += value as u64;
        }
    }
    sums
}

/// A gRPC code as the status code table spells it.
pub fn code_name(code: tonic::Code) -> String {
    // tonic's Debug is CamelCase (`InvalidArgument`, `Ok`): upper snake
    // case reads as the gRPC spec and grpcurl print it.
    let mut name = String::new();
    for (index, letter) in format!("{code:?}").chars().enumerate() {
        if letter.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(letter.to_ascii_uppercase());
    }
    name
}

/// The value of `name="value"` in a series' labels.
fn label<'a>(series: &'a str, name: &str) -> Option<&'a str> {
    let start = series.find(&format!("{name}=\""))? + name.len() + 2;
    let length = series[start..].find('"')?;
    Some(&series[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# TYPE railgate_runtime_alive_tasks gauge
railgate_runtime_alive_tasks 42
rpc_server_call_duration_seconds_count{rpc_service=\"railgate.v1.BookingService\",rpc_method=\"Search\",rpc_grpc_status_code=\"0\"} 120
rpc_server_call_duration_seconds_count{rpc_service=\"railgate.v1.BookingService\",rpc_method=\"Search\",rpc_grpc_status_code=\"3\"} 4
rpc_server_call_duration_seconds_count{rpc_service=\"railgate.v1.BookingService\",rpc_method=\"Book\",rpc_grpc_status_code=\"14\"} 2
rpc_server_call_duration_seconds_sum{rpc_service=\"railgate.v1.BookingService\",rpc_method=\"Book\",rpc_grpc_status_code=\"14\"} 0.5
";

    #[test]
    fn the_gauge_and_the_calls_are_read_from_the_exposition() {
        assert_eq!(value(TEXT, ALIVE_TASKS), Some(42.0));
        assert_eq!(value(TEXT, "railgate_missing"), None);
        let served = served(TEXT);
        assert_eq!(served["Search"]["OK"], 120);
        assert_eq!(served["Search"]["INVALID_ARGUMENT"], 4);
        assert_eq!(served["Book"]["UNAVAILABLE"], 2);
        assert_eq!(served.len(), 2);
        let text = "\
railgate_provider_call_duration_seconds_count{provider=\"panhe\",operation=\"/a\",outcome=\"ok\"} 3
railgate_provider_call_duration_seconds_count{provider=\"panhe\",operation=\"/b\",outcome=\"ok\"} 4
railgate_provider_call_duration_seconds_count{provider=\"juhe\",operation=\"/a\",outcome=\"timeout\"} 1
";
        let name = "railgate_provider_call_duration_seconds_count";
        let calls = by_labels(text, name, &["provider", "outcome"]);
        assert_eq!(calls[&vec!["panhe".to_owned(), "ok".to_owned()]], 7);
        assert_eq!(calls[&vec!["juhe".to_owned(), "timeout".to_owned()]], 1);
        let by_operation = by_labels(text, name, &["operation", "outcome"]);
        assert_eq!(by_operation[&vec!["/a".to_owned(), "ok".to_owned()]], 3);
        assert!(by_labels(text, name, &["missing"]).is_empty());
    }

    #[test]
    fn codes_read_as_the_grpc_spec_spells_them() {
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(
            code_name(tonic::Code::DeadlineExceeded),
            "DEADLINE_EXCEEDED"
        );
        assert_eq!(code_name(tonic::Code::NotFound), "NOT_FOUND");
    }
}
