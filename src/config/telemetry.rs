//! The `[telemetry]` section: OpenTelemetry traces over OTLP, set in the
//! file or by the standard `OTEL_*` variables (which win, as `RAILGATE_*`
//! ones do), so a collector sidecar or an operator's usual environment
//! configures railgate like any other instrumented service.
//!
//! Off unless an endpoint is set: no exporter, no OpenTelemetry layer, and
//! so no cost. Metrics need no setting: they are always at `/metrics`.

use super::ConfigProblem;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The standard variables railgate reads, with the setting each sets.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "telemetry.otlp_endpoint"),
    (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "telemetry.otlp_endpoint (wins over OTEL_EXPORTER_OTLP_ENDPOINT)",
    ),
    ("OTEL_SERVICE_NAME", "telemetry.service_name"),
    ("OTEL_TRACES_SAMPLER", "telemetry.sampler"),
    ("OTEL_TRACES_SAMPLER_ARG", "telemetry.sampler_ratio"),
    ("OTEL_RESOURCE_ATTRIBUTES", "telemetry.resource_attributes"),
    ("OTEL_SDK_DISABLED", "telemetry.disabled"),
];

/// Which traces are kept: the OpenTelemetry specification's samplers, by
/// the names `OTEL_TRACES_SAMPLER` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// Every trace.
    AlwaysOn,
    /// None.
    AlwaysOff,
    /// `sampler_ratio` of the traces, by trace id.
    #[serde(rename = "traceidratio")]
    TraceIdRatio,
    /// As the caller's `traceparent` says; every root trace.
    ParentbasedAlwaysOn,
    /// As the caller's `traceparent` says; no root trace.
    ParentbasedAlwaysOff,
    /// As the caller's `traceparent` says; `sampler_ratio` of root traces.
    #[serde(rename = "parentbased_traceidratio")]
    ParentbasedTraceIdRatio,
}

impl SamplerKind {
    /// The names `OTEL_TRACES_SAMPLER` takes.
    pub const NAMES: &'static str = "always_on, always_off, traceidratio, parentbased_always_on, \
                                     parentbased_always_off, parentbased_traceidratio";

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "always_on" => Self::AlwaysOn,
            "always_off" => Self::AlwaysOff,
            "traceidratio" => Self::TraceIdRatio,
            "parentbased_always_on" => Self::ParentbasedAlwaysOn,
            "parentbased_always_off" => Self::ParentbasedAlwaysOff,
            "parentbased_traceidratio" => Self::ParentbasedTraceIdRatio,
            _ => return None,
        })
    }
}

/// Traces exported over OTLP/gRPC.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// The collector's OTLP/gRPC endpoint, e.g. `http://otel-collector:4317`.
    /// Unset: traces are off.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of every span.
    pub service_name: String,
    /// Which traces are kept (the specification's default:
    /// `parentbased_always_on`).
    pub sampler: SamplerKind,
    /// The ratio of the `*traceidratio` samplers, 0.0 to 1.0.
    pub sampler_ratio: f64,
    /// More resource attributes, e.g. `deployment.environment`.
    pub resource_attributes: BTreeMap<String, String>,
    /// The longest one export to the collector may take, in milliseconds.
    pub export_timeout_ms: u64,
    /// Off whatever else is set (`OTEL_SDK_DISABLED=true`).
    pub disabled: bool,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "railgate".to_owned(),
            sampler: SamplerKind::ParentbasedAlwaysOn,
            sampler_ratio: 1.0,
            resource_attributes: BTreeMap::new(),
            export_timeout_ms: 10_000,
            disabled: false,
        }
    }
}

impl TelemetryConfig {
    /// The endpoint when traces are on.
    pub fn traces_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint
            .as_deref()
            .filter(|endpoint| !self.disabled && !endpoint.is_empty())
    }

    /// Applies the `OTEL_*` entries of `env` over the file's settings.
    pub(super) fn apply_env(
        &mut self,
        env: &HashMap<String, String>,
        problems: &mut Vec<ConfigProblem>,
    ) {
        let get = |name: &str| {
            env.get(name)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
        };
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        if let Some(endpoint) =
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| get("OTEL_EXPORTER_OTLP_ENDPOINT"))
        {
            self.otlp_endpoint = Some(endpoint.to_owned());
        }
        if let Some(name) = get("OTEL_SERVICE_NAME") {
            self.service_name = name.to_owned();
        }
        if let Some(name) = get("OTEL_TRACES_SAMPLER") {
            match SamplerKind::from_name(name) {
                Some(kind) => self.sampler = kind,
                None => problem(
                    "OTEL_TRACES_SAMPLER",
                    format!("\"{name}\" is not one of: {}", SamplerKind::NAMES),
                ),
            }
        }
        if let Some(ratio) = get("OTEL_TRACES_SAMPLER_ARG") {
            match ratio.parse() {
                Ok(ratio) => self.sampler_ratio = ratio,
                Err(_) => problem(
                    "OTEL_TRACES_SAMPLER_ARG",
                    format!("\"{ratio}\" is not a number such as 0.1"),
                ),
            }
        }
        if let Some(attributes) = get("OTEL_RESOURCE_ATTRIBUTES") {
            match parse_resource_attributes(attributes) {
                Ok(parsed) => self.resource_attributes.extend(parsed),
                Err(message) => problem("OTEL_RESOURCE_ATTRIBUTES", message),
            }
        }
        if let Some(disabled) = get("OTEL_SDK_DISABLED") {
            match disabled.to_ascii_lowercase().as_str() {
                "true" => self.disabled = true,
                "false" => self.disabled = false,
                other => problem(
                    "OTEL_SDK_DISABLED",
                    format!("\"{other}\" is not true or false"),
                ),
            }
        }
    }

    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        if let Some(endpoint) = self.traces_endpoint()
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            problem(
                "telemetry.otlp_endpoint",
                "must be an http:// or https:// URL such as http://127.0.0.1:4317 \
                 (OTEL_EXPORTER_OTLP_ENDPOINT)"
                    .to_owned(),
            );
        }
        if !(0.0..=1.0).contains(&self.sampler_ratio) {
            problem(
                "telemetry.sampler_ratio",
                "must be between 0.0 and 1.0 (OTEL_TRACES_SAMPLER_ARG)".to_owned(),
            );
        }
        if self.service_name.trim().is_empty() {
            problem("telemetry.service_name", "must not be empty".to_owned());
        }
        if self.export_timeout_ms == 0 {
            problem(
                "telemetry.export_timeout_ms",
                "must be at least 1".to_owned(),
            );
        }
    }
}

/// `key1=value1,key2=value2` as the specification writes it, values
/// percent-decoded.
fn parse_resource_attributes(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut attributes = BTreeMap::new();
    for pair in text.split(',').filter(|pair| !pair.trim().is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("\"{pair}\" is not key=value"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("\"{pair}\" has no key"));
        }
        attributes.insert(key.to_owned(), percent_decode(value.trim())?);
    }
    Ok(attributes)
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("\"{text}\" has a bad %-escape"))?;
            decoded.push(hex);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("\"{text}\" is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn applied(pairs: &[(&str, &str)]) -> (TelemetryConfig, Vec<ConfigProblem>) {
        let mut config = TelemetryConfig::default();
        let mut problems = Vec::new();
        config.apply_env(&env(pairs), &mut problems);
        config.validate(&mut problems);
        (config, problems)
    }

    #[test]
    fn off_without_an_endpoint_and_the_specifications_defaults() {
        let (config, problems) = applied(&[]);
        assert!(problems.is_empty());
        assert_eq!(config.traces_endpoint(), None);
        assert_eq!(config.service_name, "railgate");
        assert_eq!(config.sampler, SamplerKind::ParentbasedAlwaysOn);
    }

    #[test]
    fn the_standard_variables_set_every_field() {
        let (config, problems) = applied(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_SERVICE_NAME", "railgate-eu"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=prod, k8s.pod.name=railgate-0,note=a%2Cb",
            ),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.traces_endpoint(), Some("http://collector:4317"));
        assert_eq!(config.service_name, "railgate-eu");
        assert_eq!(config.sampler, SamplerKind::ParentbasedTraceIdRatio);
        assert_eq!(config.sampler_ratio, 0.1);
        assert_eq!(config.resource_attributes["deployment.environment"], "prod");
        assert_eq!(config.resource_attributes["k8s.pod.name"], "railgate-0");
        assert_eq!(config.resource_attributes["note"], "a,b");
    }

    #[test]
    fn the_traces_endpoint_wins_and_the_sdk_can_be_disabled() {
        let (config, _) = applied(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://all:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
        ]);
        assert_eq!(config.traces_endpoint(), Some("http://traces:4317"));
        let (config, problems) = applied(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://all:4317"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ]);
        assert!(problems.is_empty());
        assert_eq!(config.traces_endpoint(), None);
    }

    #[test]
    fn bad_values_are_named() {
        let (_, problems) = applied(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
            ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
            ("OTEL_SDK_DISABLED", "maybe"),
        ]);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "OTEL_TRACES_SAMPLER",
                "OTEL_TRACES_SAMPLER_ARG",
                "OTEL_RESOURCE_ATTRIBUTES",
                "OTEL_SDK_DISABLED",
                "telemetry.otlp_endpoint",
            ]
        );
        let (_, problems) = applied(&[("OTEL_TRACES_SAMPLER_ARG", "1.5")]);
        assert_eq!(problems[0].key, "telemetry.sampler_ratio");
        let (_, problems) = applied(&[("OTEL_RESOURCE_ATTRIBUTES", "a=%zz")]);
        assert_eq!(problems[0].key, "OTEL_RESOURCE_ATTRIBUTES");
    }
}
