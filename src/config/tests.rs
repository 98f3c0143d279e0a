use super::*;
use crate::domain::ProviderId;
use crate::providers::juhe::JuhePaths;
use crate::providers::panhe::PanhePaths;
use crate::providers::panhe::credentials::CredentialAlgorithm;
use secrecy::ExposeSecret;
use std::io::Write;

pub(super) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn keys(error: ConfigError) -> Vec<String> {
    error
        .problems
        .into_iter()
        .map(|problem| problem.key)
        .collect()
}

#[test]
fn defaults_are_sandbox_on_loopback() {
    let config = Config::load(None, &HashMap::new()).unwrap();
    assert_eq!(config.server.grpc_addr.to_string(), "127.0.0.1:50051");
    assert_eq!(config.server.http_addr.to_string(), "127.0.0.1:8080");
    assert_eq!(config.server.data_dir, PathBuf::from("var"));
    assert!(config.panhe_is_simulated());
    assert_eq!(config.panhe.paths, PanhePaths::default());
    assert_eq!(config.juhe.paths, JuhePaths::default());
    assert_eq!(config.store_url(), "sqlite://var/railgate.db?mode=rwc");
    assert_eq!(config.orders.idempotency_lease_ms, 120_000);
}

#[test]
fn environment_overrides_every_documented_key() {
    let tls = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_file = tls.path().join("tls.crt");
    let key_file = tls.path().join("tls.key");
    std::fs::write(&cert_file, certificate.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let (cert_path, key_path) = (
        cert_file.display().to_string(),
        key_file.display().to_string(),
    );
    let config = Config::load(
        None,
        &env(&[
            ("RAILGATE_GRPC_ADDR", "0.0.0.0:6000"),
            ("RAILGATE_HTTP_ADDR", "0.0.0.0:6001"),
            ("RAILGATE_DATA_DIR", "/tmp/rg"),
            ("RAILGATE_LOG", "railgate=debug"),
            ("RAILGATE_LOG_FORMAT", "json"),
            ("RAILGATE_SEARCH_PROVIDER_TIMEOUT_MS", "750"),
            ("RAILGATE_SEARCH_CACHE_TTL_MS", "0"),
            ("RAILGATE_PANHE_BASE_URL", "http://api.panhe.net"),
            ("RAILGATE_AUTH_MODE", "none"),
            ("RAILGATE_PANHE_APP_KEY", "app"),
            ("RAILGATE_PANHE_SECRET_KEY", "secret"),
            (
                "RAILGATE_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            ("RAILGATE_RECONCILE_INTERVAL_MS", "500"),
            ("RAILGATE_IDEMPOTENCY_LEASE_MS", "1500"),
            ("RAILGATE_SANDBOX_CLOCK_SCALE", "60"),
            ("RAILGATE_PANHE_TIMEOUT_MS", "3000"),
            ("RAILGATE_PANHE_MAX_CONCURRENCY", "8"),
            ("RAILGATE_PANHE_REQUESTS_PER_SECOND", "20"),
            ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "sm4-ecb"),
            (
                "RAILGATE_PANHE_CREDENTIAL_KEY",
                "0123456789abcdeffedcba9876543210",
            ),
            ("RAILGATE_JUHE_MAX_CONCURRENCY", "4"),
            ("RAILGATE_JUHE_REQUESTS_PER_SECOND", "10"),
            ("RAILGATE_JUHE_BASE_URL", "http://v.juhe.cn"),
            ("RAILGATE_JUHE_KEY", "jkey"),
            ("RAILGATE_JUHE_TIMEOUT_MS", "4000"),
            ("RAILGATE_JUHE_SUBMIT_ID_NUMBERING", "one_based"),
            (
                "RAILGATE_CALLBACK_PUBLIC_URL",
                "https://railgate.example.com",
            ),
            ("RAILGATE_CALLBACK_SECRET", "0123456789abcdef-_.~"),
            ("RAILGATE_HTTP_HEADER_READ_TIMEOUT_MS", "2500"),
            ("RAILGATE_HTTP_REQUEST_TIMEOUT_MS", "7000"),
            ("RAILGATE_GRPC_REQUEST_TIMEOUT_MS", "8000"),
            ("RAILGATE_GRPC_HANDSHAKE_TIMEOUT_MS", "4500"),
            (
                "RAILGATE_CALLBACK_PREVIOUS_SECRET",
                "previous-secret-0123456789",
            ),
            ("RAILGATE_ROUTING_PREFERENCE", "juhe,panhe"),
            ("RAILGATE_ROUTING_DIRECT_BOOKING", "panhe"),
            ("RAILGATE_ROUTING_GRAB_ORDERS", "juhe"),
            (
                "RAILGATE_OFFER_SIGNING_KEY",
                "offer-key-0123456789abcdef-0123456",
            ),
            (
                "RAILGATE_OFFER_PREVIOUS_SIGNING_KEY",
                "old-offer-key-0123456789abcdef-01",
            ),
            ("RAILGATE_OFFER_TTL_SECS", "900"),
            ("RAILGATE_PANHE_SEARCH_SHARE_PERCENT", "60"),
            ("RAILGATE_STORE_IDENTITY_KEY", &"ab".repeat(32)),
            ("RAILGATE_STORE_PREVIOUS_IDENTITY_KEY", &"cd".repeat(32)),
            ("RAILGATE_STORE_SQLITE_DURABILITY", "full"),
            ("RAILGATE_JUHE_SEARCH_SHARE_PERCENT", "50"),
            ("RAILGATE_RESILIENCE_CONSECUTIVE_FAILURES", "7"),
            ("RAILGATE_RESILIENCE_EJECTION_MS", "1500"),
            ("RAILGATE_RESILIENCE_MAX_EJECTION_MS", "9000"),
            ("RAILGATE_RESILIENCE_RETRY_BUDGET_PERCENT", "15"),
            ("RAILGATE_RESILIENCE_RETRY_MIN_PER_SECOND", "3"),
            ("RAILGATE_RESILIENCE_MAX_RETRIES", "1"),
            ("RAILGATE_SEARCH_CITY_MERGING_PROVIDERS", "panhe"),
            ("RAILGATE_SEARCH_PAIR_CONCURRENCY", "4"),
            ("RAILGATE_SEARCH_THROUGH_STOPS_MAX_CALLS", "3"),
            ("RAILGATE_AUTH_JWT_ISSUER", "https://idp.example.com"),
            ("RAILGATE_AUTH_JWT_AUDIENCE", "railgate"),
            (
                "RAILGATE_AUTH_JWT_JWKS_URL",
                "https://idp.example.com/jwks.json",
            ),
            ("RAILGATE_AUTH_JWT_JWKS_FILE", "/etc/railgate/jwks.json"),
            ("RAILGATE_TLS_CERT_FILE", &cert_path),
            ("RAILGATE_TLS_KEY_FILE", &key_path),
            ("RAILGATE_TLS_CLIENT_CA_FILE", &cert_path),
            ("RAILGATE_LIMITS_MAX_IN_FLIGHT", "77"),
            ("RAILGATE_LIMITS_CALLER_REQUESTS_PER_SECOND", "12"),
            ("PATH", "/usr/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(config.server.grpc_addr.to_string(), "0.0.0.0:6000");
    assert_eq!(config.server.http_addr.to_string(), "0.0.0.0:6001");
    assert_eq!(config.server.data_dir, PathBuf::from("/tmp/rg"));
    assert_eq!(config.log.filter, "railgate=debug");
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.search.provider_timeout_ms, 750);
    assert_eq!(config.search.cache_ttl_ms, 0);
    assert_eq!(
        config.panhe.base_url.as_deref(),
        Some("http://api.panhe.net")
    );
    assert_eq!(
        config.panhe.app_key.as_ref().unwrap().expose_secret(),
        "app"
    );
    assert_eq!(
        config.panhe.secret_key.as_ref().unwrap().expose_secret(),
        "secret"
    );
    assert_eq!(config.panhe.timeout_ms, 3000);
    assert_eq!(config.panhe.max_concurrency, 8);
    assert_eq!(config.panhe.requests_per_second, 20);
    assert_eq!(config.juhe.max_concurrency, 4);
    assert_eq!(config.juhe.requests_per_second, 10);
    assert_eq!(config.juhe.base_url.as_deref(), Some("http://v.juhe.cn"));
    assert_eq!(config.juhe.key.as_ref().unwrap().expose_secret(), "jkey");
    assert_eq!(config.juhe.timeout_ms, 4000);
    assert_eq!(
        config.juhe.submit_id_numbering,
        crate::providers::juhe::mapping::SubmitIdNumbering::OneBased
    );
    assert_eq!(
        config.store.sqlite_durability,
        crate::store::SqliteDurability::Full
    );
    assert_eq!(
        config.store_url(),
        "postgres://postgres@127.0.0.1:5432/test"
    );
    assert_eq!(config.orders.reconcile_interval_ms, 500);
    assert_eq!(config.orders.idempotency_lease_ms, 1500);
    assert_eq!(config.sandbox.clock_scale, 60.0);
    assert_eq!(
        config.callbacks.public_url.as_deref(),
        Some("https://railgate.example.com")
    );
    assert_eq!(
        config.callbacks.secret.as_ref().unwrap().expose_secret(),
        "0123456789abcdef-_.~"
    );
    assert!(!config.panhe_is_simulated());
    assert_eq!(
        config.routing.preference,
        [ProviderId::Juhe, ProviderId::Panhe]
    );
    assert_eq!(config.routing.direct_booking, Some(ProviderId::Panhe));
    assert_eq!(config.routing.grab_orders, Some(ProviderId::Juhe));
    let cipher = config.panhe.credential_cipher.as_ref().unwrap();
    assert_eq!(cipher.algorithm, CredentialAlgorithm::Sm4Ecb);
    assert_eq!(
        cipher.key.as_ref().unwrap().expose_secret(),
        "0123456789abcdeffedcba9876543210"
    );
    assert_eq!(
        config
            .callbacks
            .previous_secret
            .as_ref()
            .unwrap()
            .expose_secret(),
        "previous-secret-0123456789"
    );
    assert_eq!(config.server.http_header_read_timeout_ms, 2500);
    assert_eq!(config.server.http_request_timeout_ms, 7000);
    assert_eq!(config.server.grpc_request_timeout_ms, 8000);
    let offers = &config.offers;
    assert_eq!(
        offers.signing_key.as_ref().unwrap().expose_secret(),
        "offer-key-0123456789abcdef-0123456"
    );
    assert_eq!(
        offers
            .previous_signing_key
            .as_ref()
            .unwrap()
            .expose_secret(),
        "old-offer-key-0123456789abcdef-01"
    );
    assert_eq!(offers.ttl_secs, 900);
    assert_eq!(config.panhe.search_share_percent, 60);
    assert_eq!(config.juhe.search_share_percent, 50);
    assert_eq!(
        config.resilience,
        crate::config::ResilienceConfig {
            consecutive_failures: 7,
            ejection_ms: 1500,
            max_ejection_ms: 9000,
            retry_budget_percent: 15,
            retry_min_per_second: 3,
            max_retries: 1,
        }
    );
    assert_eq!(config.server.grpc_handshake_timeout_ms, 4500);
    assert_eq!(
        config.store.identity_key.as_ref().unwrap().expose_secret(),
        "ab".repeat(32)
    );
    assert!(config.store.previous_identity_key.is_some());
    assert_eq!(config.auth.mode, Some(AuthMode::None));
    let jwt = &config.auth.jwt;
    assert_eq!(jwt.issuer.as_deref(), Some("https://idp.example.com"));
    assert_eq!(jwt.audience.as_deref(), Some("railgate"));
    assert_eq!(
        jwt.jwks_url.as_deref(),
        Some("https://idp.example.com/jwks.json")
    );
    assert_eq!(
        jwt.jwks_file.as_deref(),
        Some(std::path::Path::new("/etc/railgate/jwks.json"))
    );
    assert_eq!(config.tls.cert_file.as_deref(), Some(cert_file.as_path()));
    assert_eq!(config.tls.key_file.as_deref(), Some(key_file.as_path()));
    assert!(config.tls.requires_client_certificates());
    assert_eq!(config.limits.max_in_flight, 77);
    assert_eq!(config.limits.caller_requests_per_second, 12);
    assert_eq!(
        config.search.city_merging_providers,
        [crate::domain::ProviderId::Panhe]
    );
    assert_eq!(config.search.pair_concurrency, 4);
    assert_eq!(config.search.through_stops_max_calls, 3);
    assert_eq!(ENV_KEYS.len(), 65);
}

#[test]
fn file_then_environment() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[server]\ngrpc_addr = \"127.0.0.1:7000\"\n[panhe]\nbase_url = \"http://panhe.test\"\napp_key = \"from-file\"\nsecret_key = \"s\"\n[panhe.paths]\nquery_tickets = \"/v2/train/query\""
    )
    .unwrap();
    let config = Config::load(
        Some(file.path()),
        &env(&[
            ("RAILGATE_PANHE_APP_KEY", "from-env"),
            ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "plaintext"),
            ("RAILGATE_AUTH_MODE", "none"),
        ]),
    )
    .unwrap();
    assert_eq!(config.server.grpc_addr.to_string(), "127.0.0.1:7000");
    assert_eq!(config.panhe.app_key.unwrap().expose_secret(), "from-env");
    assert_eq!(config.panhe.paths.query_tickets, "/v2/train/query");
    assert_eq!(
        config.panhe.paths.order_detail,
        PanhePaths::default().order_detail
    );
}

#[test]
fn reports_every_problem_with_its_key() {
    let error = Config::load(
        None,
        &env(&[
            ("RAILGATE_GRPC_ADDR", "localhost"),
            ("RAILGATE_PANHE_BASE_URL", "ftp://x"),
            ("RAILGATE_AUTH_MODE", "none"),
            ("RAILGATE_JUHE_BASE_URL", "not a url"),
            ("RAILGATE_PANHE_TIMEOUT_MS", "soon"),
            ("RAILGATE_LOG_FORMAT", "xml"),
            ("RAILGATE_PANEH_APP_KEY", "typo"),
        ]),
    )
    .unwrap_err();
    let message = error.to_string();
    assert_eq!(
        keys(error),
        [
            "RAILGATE_GRPC_ADDR",
            "RAILGATE_LOG_FORMAT",
            "RAILGATE_PANEH_APP_KEY",
            "RAILGATE_PANHE_TIMEOUT_MS",
            "panhe.base_url",
            "panhe.app_key",
            "panhe.secret_key",
            "panhe.credential_cipher",
            "juhe.base_url",
            "juhe.key",
        ]
    );
    assert!(
        message.contains("RAILGATE_GRPC_ADDR: \"localhost\" is not a socket address"),
        "{message}"
    );
}

#[test]
fn unknown_file_keys_are_refused_with_their_name() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[panhe]\nappkey = \"x\"").unwrap();
    let error = Config::load(Some(file.path()), &HashMap::new()).unwrap_err();
    assert!(
        error.to_string().contains("unknown field `appkey`"),
        "{error}"
    );
    let missing = Config::load(
        Some(Path::new("/nonexistent/railgate.toml")),
        &HashMap::new(),
    )
    .unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

#[test]
fn zero_timeouts_and_relative_paths_are_refused() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[search]\nprovider_timeout_ms = 0\n[orders]\nreconcile_interval_ms = 0\nidempotency_lease_ms = 0\n[sandbox]\nclock_scale = -1.0\n[store]\nurl = \"mysql://x\"\n[panhe.paths]\nstation_list = \"train/stations\"\n[juhe.paths]\nsearch = \"search.php\""
    )
    .unwrap();
    let error = Config::load(Some(file.path()), &HashMap::new()).unwrap_err();
    assert_eq!(
        keys(error),
        [
            "search.provider_timeout_ms",
            "orders.reconcile_interval_ms",
            "orders.idempotency_lease_ms",
            "panhe.paths.station_list",
            "juhe.paths.search",
            "sandbox.clock_scale",
            "store.url",
        ]
    );
}

#[test]
fn secrets_do_not_print() {
    let config = Config::load(
        None,
        &env(&[
            ("RAILGATE_PANHE_BASE_URL", "http://p.test"),
            ("RAILGATE_AUTH_MODE", "none"),
            ("RAILGATE_PANHE_APP_KEY", "hunter2"),
            ("RAILGATE_PANHE_SECRET_KEY", "hunter3"),
            ("RAILGATE_CALLBACK_SECRET", "hunter4-hunter4-hunter4"),
            (
                "RAILGATE_PANHE_CREDENTIAL_KEY",
                "4855b7e54855b7e54855b7e54855b7e5",
            ),
        ]),
    )
    .unwrap();
    assert!(!format!("{config:?}").contains("4855b7e5"));
    assert!(!format!("{config:?}").contains("hunter2"));
    assert!(!format!("{config:?}").contains("hunter3"));
    assert!(!format!("{config:?}").contains("hunter4"));
}

#[test]
fn callbacks_default_to_unset_and_come_from_the_file() {
    let config = Config::load(None, &HashMap::new()).unwrap();
    assert!(config.callbacks.public_url.is_none());
    assert!(config.callbacks.secret.is_none());

    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[callbacks]\npublic_url = \"https://gw.example.com/railgate\"\nsecret = \"file-secret-0123456789\""
    )
    .unwrap();
    let config = Config::load(Some(file.path()), &HashMap::new()).unwrap();
    assert_eq!(
        config.callbacks.public_url.as_deref(),
        Some("https://gw.example.com/railgate")
    );
    assert_eq!(
        config.callbacks.secret.unwrap().expose_secret(),
        "file-secret-0123456789"
    );
}

#[test]
fn bad_callback_settings_are_refused() {
    for (secret, expected) in [
        ("short", "at least 16 characters"),
        ("has/a/slash-0123456789", "only letters, digits"),
        ("has space 0123456789", "only letters, digits"),
    ] {
        let error = Config::load(
            None,
            &env(&[
                ("RAILGATE_CALLBACK_PUBLIC_URL", "ftp://gw.example.com"),
                ("RAILGATE_CALLBACK_SECRET", secret),
            ]),
        )
        .unwrap_err();
        let message = error.to_string();
        assert_eq!(keys(error), ["callbacks.public_url", "callbacks.secret"]);
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains(secret),
            "the secret is not echoed: {message}"
        );
    }
}

#[test]
fn default_panhe_paths_are_unconfirmed_against_a_real_panhe() {
    let mut config = Config::default();
    // The sandbox simulator serves the defaults: nothing to confirm.
    assert!(config.panhe.unconfirmed_default_paths().is_empty());
    config.panhe.base_url = Some("http://api.panhe.net".into());
    assert_eq!(config.panhe.unconfirmed_default_paths().len(), 24);
    // An overridden path is the operator's word; the rest stay guesses.
    config.panhe.paths.query_tickets = "/v2/train/query".into();
    let unconfirmed = config.panhe.unconfirmed_default_paths();
    assert_eq!(unconfirmed.len(), 23);
    assert!(!unconfirmed.contains(&"query_tickets"));
    assert!(unconfirmed.contains(&"create_order"));
    config.panhe.paths_confirmed = true;
    assert!(config.panhe.unconfirmed_default_paths().is_empty());
    // The file key.
    let text = "[panhe]\nbase_url = \"http://x\"\npaths_confirmed = true\n";
    let parsed: Config = toml::from_str(text).unwrap();
    assert!(parsed.panhe.unconfirmed_default_paths().is_empty());
}

#[test]
fn juhe_id_numbering_is_read_from_the_file_and_checked_in_the_environment() {
    use crate::providers::juhe::mapping::SubmitIdNumbering;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[juhe]\nsubmit_id_numbering = \"one_based\"").unwrap();
    let config = Config::load(Some(file.path()), &HashMap::new()).unwrap();
    assert_eq!(config.juhe.submit_id_numbering, SubmitIdNumbering::OneBased);
    let error =
        Config::load(None, &env(&[("RAILGATE_JUHE_SUBMIT_ID_NUMBERING", "1")])).unwrap_err();
    assert_eq!(keys(error), ["RAILGATE_JUHE_SUBMIT_ID_NUMBERING"]);
}

#[test]
fn sqlite_durability_is_normal_unless_set_and_checked() {
    use crate::store::SqliteDurability;
    let config = Config::load(None, &HashMap::new()).unwrap();
    assert_eq!(config.store.sqlite_durability, SqliteDurability::Normal);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "[store]\nsqlite_durability = \"full\"").unwrap();
    let config = Config::load(Some(file.path()), &HashMap::new()).unwrap();
    assert_eq!(config.store.sqlite_durability, SqliteDurability::Full);
    let config = Config::load(None, &env(&[("RAILGATE_STORE_SQLITE_DURABILITY", "full")])).unwrap();
    assert_eq!(config.store.sqlite_durability, SqliteDurability::Full);
    let error =
        Config::load(None, &env(&[("RAILGATE_STORE_SQLITE_DURABILITY", "off")])).unwrap_err();
    assert_eq!(keys(error), ["RAILGATE_STORE_SQLITE_DURABILITY"]);
}

#[test]
fn a_real_panhe_needs_a_usable_credential_cipher() {
    let real = [
        ("RAILGATE_PANHE_BASE_URL", "http://api.panhe.test"),
        ("RAILGATE_AUTH_MODE", "none"),
        ("RAILGATE_PANHE_APP_KEY", "app"),
        ("RAILGATE_PANHE_SECRET_KEY", "secret"),
    ];
    let error = Config::load(None, &env(&real)).unwrap_err();
    assert_eq!(keys(error), ["panhe.credential_cipher"]);
    // A key alone takes the documented default, AES-128-ECB; a bad key is
    // named without being quoted.
    let mut with_key = real.to_vec();
    with_key.push(("RAILGATE_PANHE_CREDENTIAL_KEY", "not-hex-secret"));
    let error = Config::load(None, &env(&with_key)).unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.contains("panhe.credential_cipher: the key must be 32 hex digits"),
        "{shown}"
    );
    assert!(!shown.contains("not-hex-secret"), "{shown}");
    with_key.pop();
    with_key.push((
        "RAILGATE_PANHE_CREDENTIAL_KEY",
        "0123456789abcdeffedcba9876543210",
    ));
    let config = Config::load(None, &env(&with_key)).unwrap();
    assert_eq!(
        config.panhe.credential_cipher.unwrap().algorithm,
        CredentialAlgorithm::Aes128Ecb
    );
    // Clear text only when asked for, in the file as in the environment.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[panhe]\nbase_url = \"http://api.panhe.test\"\napp_key = \"a\"\nsecret_key = \"s\"\n[panhe.credential_cipher]\nalgorithm = \"plaintext\"\n[auth]\nmode = \"none\""
    )
    .unwrap();
    let config = Config::load(Some(file.path()), &HashMap::new()).unwrap();
    assert_eq!(
        config.panhe.credential_cipher.unwrap().algorithm,
        CredentialAlgorithm::Plaintext
    );
    // The sandbox simulator needs none.
    assert!(
        Config::load(None, &HashMap::new())
            .unwrap()
            .panhe
            .credential_cipher
            .is_none()
    );
}

#[test]
fn offer_keys_are_long_enough_and_rotate_only_beside_a_current_key() {
    let problems = Config::load(
        None,
        &env(&[
            ("RAILGATE_OFFER_PREVIOUS_SIGNING_KEY", "short"),
            ("RAILGATE_OFFER_TTL_SECS", "0"),
        ]),
    )
    .unwrap_err()
    .problems;
    let keys: Vec<&str> = problems
        .iter()
        .map(|problem| problem.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "offers.previous_signing_key",
            "offers.previous_signing_key",
            "offers.ttl_secs"
        ],
        "{problems:?}"
    );
    assert!(problems[0].message.contains("at least 32"), "{problems:?}");
}

#[test]
fn search_shares_are_percentages_that_leave_room_for_orders() {
    let problems = Config::load(
        None,
        &env(&[
            ("RAILGATE_PANHE_SEARCH_SHARE_PERCENT", "100"),
            ("RAILGATE_JUHE_SEARCH_SHARE_PERCENT", "0"),
        ]),
    )
    .unwrap_err()
    .problems;
    let keys: Vec<&str> = problems
        .iter()
        .map(|problem| problem.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["panhe.search_share_percent", "juhe.search_share_percent"],
        "{problems:?}"
    );
}

#[test]
fn identity_keys_are_32_bytes_of_hex() {
    let problems = Config::load(
        None,
        &env(&[
            ("RAILGATE_STORE_IDENTITY_KEY", "not hex"),
            ("RAILGATE_STORE_PREVIOUS_IDENTITY_KEY", &"ab".repeat(16)),
        ]),
    )
    .unwrap_err()
    .problems;
    let keys: Vec<&str> = problems
        .iter()
        .map(|problem| problem.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["store.identity_key", "store.previous_identity_key"],
        "{problems:?}"
    );
    assert!(
        !format!("{problems:?}").contains("not hex"),
        "keys are not echoed"
    );
    // A config built in code is not validated by load: its cipher still
    // refuses a bad key rather than storing identities in clear.
    let mut built = Config::default();
    built.store.identity_key = Some(SecretString::from("not-hex"));
    let refused = built.store.identity_cipher().unwrap_err();
    assert!(
        refused.contains("store.identity_key") && !refused.contains("not-hex"),
        "{refused}"
    );
    built.store.identity_key = Some(SecretString::from("ab".repeat(32)));
    assert!(built.store.identity_cipher().is_ok());
}

#[test]
fn outside_sandbox_mode_auth_must_be_chosen_and_tokens_need_a_usable_file() {
    let real = [
        ("RAILGATE_PANHE_BASE_URL", "http://api.panhe.test"),
        ("RAILGATE_PANHE_APP_KEY", "app"),
        ("RAILGATE_PANHE_SECRET_KEY", "secret"),
        ("RAILGATE_PANHE_CREDENTIAL_CIPHER", "plaintext"),
    ];
    let error = Config::load(None, &env(&real)).unwrap_err();
    assert_eq!(keys(error), ["auth.mode"]);
    // The sandbox defaults to none.
    assert_eq!(
        Config::load(None, &HashMap::new()).unwrap().auth.mode(),
        AuthMode::None
    );
    let error = Config::load(None, &env(&[("RAILGATE_AUTH_MODE", "tokens")])).unwrap_err();
    assert_eq!(keys(error), ["auth.clients_file"]);
    let error = Config::load(
        None,
        &env(&[
            ("RAILGATE_AUTH_MODE", "tokens"),
            ("RAILGATE_AUTH_CLIENTS_FILE", "/nonexistent/clients.toml"),
        ]),
    )
    .unwrap_err();
    assert_eq!(keys(error), ["auth.clients_file"]);
    let error = Config::load(None, &env(&[("RAILGATE_AUTH_MODE", "maybe")])).unwrap_err();
    assert_eq!(keys(error), ["RAILGATE_AUTH_MODE"]);
}

#[test]
fn the_readme_documents_every_variable_railgate_reads() {
    let readme = include_str!("../../README.md");
    for (name, _) in ENV_KEYS
        .iter()
        .chain(super::ALITRIP_ENV_KEYS)
        .chain(super::OTEL_ENV_KEYS)
    {
        assert!(readme.contains(name), "README lacks {name}");
    }
}
