//! `RAILGATE_*` environment overrides: one table from variable to setting.

use super::{Config, ConfigProblem, LogFormat};
use crate::providers::juhe::mapping::SubmitIdNumbering;
use crate::providers::panhe::credentials::{CredentialAlgorithm, CredentialCipherConfig};
use secrecy::SecretString;
use std::collections::HashMap;

/// Every environment variable railgate reads, with the setting it sets.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("RAILGATE_GRPC_ADDR", "server.grpc_addr"),
    ("RAILGATE_HTTP_ADDR", "server.http_addr"),
    ("RAILGATE_DATA_DIR", "server.data_dir"),
    (
        "RAILGATE_HTTP_HEADER_READ_TIMEOUT_MS",
        "server.http_header_read_timeout_ms",
    ),
    (
        "RAILGATE_HTTP_REQUEST_TIMEOUT_MS",
        "server.http_request_timeout_ms",
    ),
    (
        "RAILGATE_GRPC_REQUEST_TIMEOUT_MS",
        "server.grpc_request_timeout_ms",
    ),
    (
        "RAILGATE_GRPC_HANDSHAKE_TIMEOUT_MS",
        "server.grpc_handshake_timeout_ms",
    ),
    ("RAILGATE_SHUTDOWN_GRACE_MS", "server.shutdown_grace_ms"),
    (
        "RAILGATE_WATCH_POLL_INTERVAL_MS",
        "server.watch_poll_interval_ms",
    ),
    ("RAILGATE_LOG", "log.filter"),
    ("RAILGATE_LOG_FORMAT", "log.format"),
    (
        "RAILGATE_SEARCH_PROVIDER_TIMEOUT_MS",
        "search.provider_timeout_ms",
    ),
    ("RAILGATE_SEARCH_CACHE_TTL_MS", "search.cache_ttl_ms"),
    (
        "RAILGATE_SEARCH_CITY_MERGING_PROVIDERS",
        "search.city_merging_providers",
    ),
    (
        "RAILGATE_SEARCH_PAIR_CONCURRENCY",
        "search.pair_concurrency",
    ),
    (
        "RAILGATE_SEARCH_THROUGH_STOPS_MAX_CALLS",
        "search.through_stops_max_calls",
    ),
    ("RAILGATE_AUTH_MODE", "auth.mode"),
    ("RAILGATE_AUTH_CLIENTS_FILE", "auth.clients_file"),
    ("RAILGATE_AUTH_JWT_ISSUER", "auth.jwt.issuer"),
    ("RAILGATE_AUTH_JWT_AUDIENCE", "auth.jwt.audience"),
    ("RAILGATE_AUTH_JWT_JWKS_URL", "auth.jwt.jwks_url"),
    ("RAILGATE_AUTH_JWT_JWKS_FILE", "auth.jwt.jwks_file"),
    ("RAILGATE_TLS_CERT_FILE", "tls.cert_file"),
    ("RAILGATE_TLS_KEY_FILE", "tls.key_file"),
    ("RAILGATE_TLS_CLIENT_CA_FILE", "tls.client_ca_file"),
    ("RAILGATE_LIMITS_MAX_IN_FLIGHT", "limits.max_in_flight"),
    (
        "RAILGATE_LIMITS_CALLER_REQUESTS_PER_SECOND",
        "limits.caller_requests_per_second",
    ),
    ("RAILGATE_OFFER_SIGNING_KEY", "offers.signing_key"),
    (
        "RAILGATE_OFFER_PREVIOUS_SIGNING_KEY",
        "offers.previous_signing_key",
    ),
    ("RAILGATE_OFFER_TTL_SECS", "offers.ttl_secs"),
    ("RAILGATE_PANHE_BASE_URL", "panhe.base_url"),
    ("RAILGATE_PANHE_APP_KEY", "panhe.app_key"),
    ("RAILGATE_PANHE_SECRET_KEY", "panhe.secret_key"),
    ("RAILGATE_PANHE_TIMEOUT_MS", "panhe.timeout_ms"),
    ("RAILGATE_PANHE_MAX_CONCURRENCY", "panhe.max_concurrency"),
    (
        "RAILGATE_PANHE_REQUESTS_PER_SECOND",
        "panhe.requests_per_second",
    ),
    (
        "RAILGATE_PANHE_SEARCH_SHARE_PERCENT",
        "panhe.search_share_percent",
    ),
    (
        "RAILGATE_PANHE_CREDENTIAL_CIPHER",
        "panhe.credential_cipher.algorithm",
    ),
    (
        "RAILGATE_PANHE_CREDENTIAL_KEY",
        "panhe.credential_cipher.key",
    ),
    ("RAILGATE_JUHE_BASE_URL", "juhe.base_url"),
    ("RAILGATE_JUHE_KEY", "juhe.key"),
    ("RAILGATE_JUHE_TIMEOUT_MS", "juhe.timeout_ms"),
    ("RAILGATE_JUHE_MAX_CONCURRENCY", "juhe.max_concurrency"),
    (
        "RAILGATE_JUHE_REQUESTS_PER_SECOND",
        "juhe.requests_per_second",
    ),
    (
        "RAILGATE_JUHE_SEARCH_SHARE_PERCENT",
        "juhe.search_share_percent",
    ),
    (
        "RAILGATE_JUHE_SUBMIT_ID_NUMBERING",
        "juhe.submit_id_numbering",
    ),
    (
        "RAILGATE_RESILIENCE_CONSECUTIVE_FAILURES",
        "resilience.consecutive_failures",
    ),
    ("RAILGATE_RESILIENCE_EJECTION_MS", "resilience.ejection_ms"),
    (
        "RAILGATE_RESILIENCE_MAX_EJECTION_MS",
        "resilience.max_ejection_ms",
    ),
    (
        "RAILGATE_RESILIENCE_RETRY_BUDGET_PERCENT",
        "resilience.retry_budget_percent",
    ),
    (
        "RAILGATE_RESILIENCE_RETRY_MIN_PER_SECOND",
        "resilience.retry_min_per_second",
    ),
    ("RAILGATE_RESILIENCE_MAX_RETRIES", "resilience.max_retries"),
    ("RAILGATE_DATABASE_URL", "store.url"),
    ("RAILGATE_STORE_IDENTITY_KEY", "store.identity_key"),
    (
        "RAILGATE_STORE_PREVIOUS_IDENTITY_KEY",
        "store.previous_identity_key",
    ),
    (
        "RAILGATE_STORE_SQLITE_DURABILITY",
        "store.sqlite_durability",
    ),
    (
        "RAILGATE_RECONCILE_INTERVAL_MS",
        "orders.reconcile_interval_ms",
    ),
    (
        "RAILGATE_IDEMPOTENCY_LEASE_MS",
        "orders.idempotency_lease_ms",
    ),
    ("RAILGATE_SANDBOX_CLOCK_SCALE", "sandbox.clock_scale"),
    ("RAILGATE_CALLBACK_PUBLIC_URL", "callbacks.public_url"),
    ("RAILGATE_CALLBACK_SECRET", "callbacks.secret"),
    (
        "RAILGATE_CALLBACK_PREVIOUS_SECRET",
        "callbacks.previous_secret",
    ),
    ("RAILGATE_ROUTING_PREFERENCE", "routing.preference"),
    ("RAILGATE_ROUTING_DIRECT_BOOKING", "routing.direct_booking"),
    ("RAILGATE_ROUTING_GRAB_ORDERS", "routing.grab_orders"),
];

/// Variables with the prefix that are not settings but are still ours.
const OTHER_KNOWN: &[&str] = &["RAILGATE_CONFIG"];

/// Applies every `RAILGATE_*` entry of `env`; returns the problems found,
/// including unknown `RAILGATE_*` names (a typo must not pass silently).
pub fn apply(config: &mut Config, env: &HashMap<String, String>) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let mut names: Vec<&String> = env
        .keys()
        .filter(|name| name.starts_with("RAILGATE_"))
        .collect();
    names.sort();
    for name in names {
        let value = env[name].trim();
        if let Err(message) = set(config, name, value) {
            problems.push(ConfigProblem {
                key: name.clone(),
                message,
            });
        }
    }
    problems
}

fn set(config: &mut Config, name: &str, value: &str) -> Result<(), String> {
    let optional = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    let secret = |value: &str| optional(value).map(SecretString::from);
    match name {
        "RAILGATE_GRPC_ADDR" => config.server.grpc_addr = parse_addr(value)?,
        "RAILGATE_HTTP_ADDR" => config.server.http_addr = parse_addr(value)?,
        "RAILGATE_DATA_DIR" => config.server.data_dir = value.into(),
        "RAILGATE_LOG" => config.log.filter = value.to_owned(),
        "RAILGATE_LOG_FORMAT" => {
            config.log.format = match value {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => return Err(format!("\"{other}\" is not one of: text, json")),
            }
        }
        "RAILGATE_SEARCH_PROVIDER_TIMEOUT_MS" => {
            config.search.provider_timeout_ms = parse_millis(value)?
        }
        "RAILGATE_SEARCH_CACHE_TTL_MS" => config.search.cache_ttl_ms = parse_millis(value)?,
        "RAILGATE_SEARCH_CITY_MERGING_PROVIDERS" => {
            config.search.city_merging_providers = super::routing::parse_preference(value)?
        }
        "RAILGATE_SEARCH_PAIR_CONCURRENCY" => config.search.pair_concurrency = parse_count(value)?,
        "RAILGATE_SEARCH_THROUGH_STOPS_MAX_CALLS" => {
            config.search.through_stops_max_calls = parse_count(value)?
        }
        "RAILGATE_HTTP_HEADER_READ_TIMEOUT_MS" => {
            config.server.http_header_read_timeout_ms = parse_millis(value)?
        }
        "RAILGATE_HTTP_REQUEST_TIMEOUT_MS" => {
            config.server.http_request_timeout_ms = parse_millis(value)?
        }
        "RAILGATE_GRPC_HANDSHAKE_TIMEOUT_MS" => {
            config.server.grpc_handshake_timeout_ms = parse_millis(value)?
        }
        "RAILGATE_SHUTDOWN_GRACE_MS" => config.server.shutdown_grace_ms = parse_millis(value)?,
        "RAILGATE_WATCH_POLL_INTERVAL_MS" => {
            config.server.watch_poll_interval_ms = parse_millis(value)?
        }
        "RAILGATE_GRPC_REQUEST_TIMEOUT_MS" => {
            config.server.grpc_request_timeout_ms = parse_millis(value)?
        }
        "RAILGATE_ROUTING_PREFERENCE" => {
            config.routing.preference = super::routing::parse_preference(value)?
        }
        "RAILGATE_ROUTING_DIRECT_BOOKING" => {
            config.routing.direct_booking = optional(value)
                .map(|name| super::routing::parse_provider(&name))
                .transpose()?
        }
        "RAILGATE_ROUTING_GRAB_ORDERS" => {
            config.routing.grab_orders = optional(value)
                .map(|name| super::routing::parse_provider(&name))
                .transpose()?
        }
        "RAILGATE_AUTH_MODE" => {
            config.auth.mode = Some(
                super::AuthMode::parse(value)
                    .ok_or_else(|| format!("\"{value}\" is not none, tokens, jwt or mtls"))?,
            )
        }
        "RAILGATE_AUTH_CLIENTS_FILE" => config.auth.clients_file = optional(value).map(Into::into),
        "RAILGATE_AUTH_JWT_ISSUER" => config.auth.jwt.issuer = optional(value),
        "RAILGATE_AUTH_JWT_AUDIENCE" => config.auth.jwt.audience = optional(value),
        "RAILGATE_AUTH_JWT_JWKS_URL" => config.auth.jwt.jwks_url = optional(value),
        "RAILGATE_AUTH_JWT_JWKS_FILE" => {
            config.auth.jwt.jwks_file = optional(value).map(Into::into)
        }
        "RAILGATE_TLS_CERT_FILE" => config.tls.cert_file = optional(value).map(Into::into),
        "RAILGATE_TLS_KEY_FILE" => config.tls.key_file = optional(value).map(Into::into),
        "RAILGATE_TLS_CLIENT_CA_FILE" => {
            config.tls.client_ca_file = optional(value).map(Into::into)
        }
        "RAILGATE_LIMITS_MAX_IN_FLIGHT" => config.limits.max_in_flight = parse_count(value)?,
        "RAILGATE_LIMITS_CALLER_REQUESTS_PER_SECOND" => {
            config.limits.caller_requests_per_second = parse_count(value)?
        }
        "RAILGATE_OFFER_SIGNING_KEY" => config.offers.signing_key = secret(value),
        "RAILGATE_OFFER_PREVIOUS_SIGNING_KEY" => config.offers.previous_signing_key = secret(value),
        "RAILGATE_OFFER_TTL_SECS" => config.offers.ttl_secs = parse_count(value)?,
        "RAILGATE_PANHE_BASE_URL" => config.panhe.base_url = optional(value),
        "RAILGATE_PANHE_APP_KEY" => config.panhe.app_key = secret(value),
        "RAILGATE_PANHE_SECRET_KEY" => config.panhe.secret_key = secret(value),
        "RAILGATE_PANHE_TIMEOUT_MS" => config.panhe.timeout_ms = parse_millis(value)?,
        "RAILGATE_PANHE_MAX_CONCURRENCY" => config.panhe.max_concurrency = parse_count(value)?,
        "RAILGATE_PANHE_REQUESTS_PER_SECOND" => {
            config.panhe.requests_per_second = parse_count(value)?
        }
        "RAILGATE_PANHE_SEARCH_SHARE_PERCENT" => {
            config.panhe.search_share_percent = parse_count(value)?
        }
        "RAILGATE_JUHE_SEARCH_SHARE_PERCENT" => {
            config.juhe.search_share_percent = parse_count(value)?
        }
        "RAILGATE_PANHE_CREDENTIAL_CIPHER" => {
            let algorithm = CredentialAlgorithm::parse(value)
                .ok_or_else(|| format!("\"{value}\" is not aes-128-ecb, sm4-ecb or plaintext"))?;
            credential_cipher(config).algorithm = algorithm;
        }
        "RAILGATE_PANHE_CREDENTIAL_KEY" => credential_cipher(config).key = secret(value),
        "RAILGATE_JUHE_BASE_URL" => config.juhe.base_url = optional(value),
        "RAILGATE_JUHE_KEY" => config.juhe.key = secret(value),
        "RAILGATE_JUHE_TIMEOUT_MS" => config.juhe.timeout_ms = parse_millis(value)?,
        "RAILGATE_JUHE_MAX_CONCURRENCY" => config.juhe.max_concurrency = parse_count(value)?,
        "RAILGATE_JUHE_REQUESTS_PER_SECOND" => {
            config.juhe.requests_per_second = parse_count(value)?
        }
        "RAILGATE_JUHE_SUBMIT_ID_NUMBERING" => {
            config.juhe.submit_id_numbering = SubmitIdNumbering::parse(value)
                .ok_or_else(|| format!("\"{value}\" is neither zero_based nor one_based"))?
        }
        "RAILGATE_RESILIENCE_CONSECUTIVE_FAILURES" => {
            config.resilience.consecutive_failures = parse_count(value)?
        }
        "RAILGATE_RESILIENCE_EJECTION_MS" => config.resilience.ejection_ms = parse_millis(value)?,
        "RAILGATE_RESILIENCE_MAX_EJECTION_MS" => {
            config.resilience.max_ejection_ms = parse_millis(value)?
        }
        "RAILGATE_RESILIENCE_RETRY_BUDGET_PERCENT" => {
            config.resilience.retry_budget_percent = parse_count(value)?
        }
        "RAILGATE_RESILIENCE_RETRY_MIN_PER_SECOND" => {
            config.resilience.retry_min_per_second = parse_count(value)?
        }
        "RAILGATE_RESILIENCE_MAX_RETRIES" => config.resilience.max_retries = parse_count(value)?,
        "RAILGATE_DATABASE_URL" => config.store.url = optional(value),
        "RAILGATE_STORE_IDENTITY_KEY" => config.store.identity_key = secret(value),
        "RAILGATE_STORE_PREVIOUS_IDENTITY_KEY" => {
            config.store.previous_identity_key = secret(value)
        }
        "RAILGATE_STORE_SQLITE_DURABILITY" => {
            config.store.sqlite_durability = crate::store::SqliteDurability::parse(value)
                .ok_or_else(|| format!("\"{value}\" is neither normal nor full"))?
        }
        "RAILGATE_RECONCILE_INTERVAL_MS" => {
            config.orders.reconcile_interval_ms = parse_millis(value)?
        }
        "RAILGATE_IDEMPOTENCY_LEASE_MS" => {
            config.orders.idempotency_lease_ms = parse_millis(value)?
        }
        "RAILGATE_SANDBOX_CLOCK_SCALE" => {
            config.sandbox.clock_scale = value
                .parse()
                .map_err(|_| format!("\"{value}\" is not a number such as 1.0 or 60"))?
        }
        "RAILGATE_CALLBACK_PUBLIC_URL" => config.callbacks.public_url = optional(value),
        "RAILGATE_CALLBACK_SECRET" => config.callbacks.secret = secret(value),
        "RAILGATE_CALLBACK_PREVIOUS_SECRET" => config.callbacks.previous_secret = secret(value),
        other if OTHER_KNOWN.contains(&other) => {}
        other if super::alitrip::set_env(&mut config.alitrip, other, value)? => {}
        _ => {
            let known: Vec<&str> = ENV_KEYS
                .iter()
                .chain(super::alitrip::ENV_KEYS)
                .map(|(name, _)| *name)
                .collect();
            return Err(format!(
                "unknown variable; railgate reads {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// The credential cipher section, created with the documented default
/// algorithm (AES-128-ECB) when only the key is given.
fn credential_cipher(config: &mut Config) -> &mut CredentialCipherConfig {
    config
        .panhe
        .credential_cipher
        .get_or_insert_with(|| CredentialCipherConfig {
            algorithm: CredentialAlgorithm::Aes128Ecb,
            key: None,
        })
}

fn parse_addr(value: &str) -> Result<std::net::SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("\"{value}\" is not a socket address such as 127.0.0.1:50051"))
}

fn parse_count<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("\"{value}\" is not a whole number"))
}

fn parse_millis(value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("\"{value}\" is not a whole number of milliseconds"))
}
