use super::*;
use crate::config::Config;
use secrecy::ExposeSecret;
use std::collections::HashMap;

fn load(pairs: &[(&str, &str)]) -> Result<Config, crate::config::ConfigError> {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::load(None, &env)
}

fn problem_keys(pairs: &[(&str, &str)]) -> Vec<String> {
    load(pairs)
        .unwrap_err()
        .problems
        .into_iter()
        .map(|problem| problem.key)
        .collect()
}

const KEY: &str = "0123456789abcdeffedcba9876543210";

#[test]
fn defaults_deliver_to_the_sandbox_fake_for_72_hours() {
    let config = load(&[]).unwrap().alitrip;
    assert!(matches!(config.target(true), AlitripTarget::Sandbox));
    assert!(matches!(config.target(false), AlitripTarget::Disabled));
    assert_eq!(config.sign_method, SignMethod::HmacSha256);
    assert_eq!(config.max_delivery_age_s, 259_200);
    assert_eq!(
        config.retry_policy().max_age,
        Duration::from_secs(72 * 3600)
    );
    assert_eq!(config.lease(), Duration::from_secs(20));
    assert_eq!(config.sm4.mode, Sm4Mode::Ecb);
    assert_eq!(config.sm4.output, TextEncoding::Base64);
}

#[test]
fn environment_sets_every_key() {
    let pairs: Vec<(&str, &str)> = vec![
        (
            "RAILGATE_ALITRIP_GATEWAY_URL",
            "https://eco.taobao.com/router/rest",
        ),
        ("RAILGATE_ALITRIP_APP_KEY", "12345678"),
        ("RAILGATE_ALITRIP_APP_SECRET", "app-secret"),
        ("RAILGATE_ALITRIP_SIGN_METHOD", "md5"),
        ("RAILGATE_ALITRIP_PARTNER_ID", "railgate"),
        ("RAILGATE_ALITRIP_SESSION", "session-token"),
        ("RAILGATE_ALITRIP_TIMEOUT_MS", "3000"),
        ("RAILGATE_ALITRIP_SM4_KEY", "MDEyMzQ1Njc4OWFiY2RlZg=="),
        ("RAILGATE_ALITRIP_SM4_KEY_ENCODING", "base64"),
        ("RAILGATE_ALITRIP_SM4_MODE", "cbc"),
        ("RAILGATE_ALITRIP_SM4_IV", "ZmVkY2JhOTg3NjU0MzIxMA=="),
        ("RAILGATE_ALITRIP_SM4_OUTPUT", "hex"),
        ("RAILGATE_ALITRIP_MAX_DELIVERY_AGE_S", "3600"),
        ("RAILGATE_ALITRIP_BACKOFF_BASE_MS", "500"),
        ("RAILGATE_ALITRIP_BACKOFF_CAP_MS", "60000"),
        ("RAILGATE_ALITRIP_POLL_INTERVAL_MS", "250"),
    ];
    assert_eq!(pairs.len(), ENV_KEYS.len(), "the test covers every key");
    let config = load(&pairs).unwrap().alitrip;
    let AlitripTarget::Gateway { top, sm4 } = config.target(false) else {
        panic!("a gateway");
    };
    assert_eq!(top.gateway_url, "https://eco.taobao.com/router/rest");
    assert_eq!(top.app_key, "12345678");
    assert_eq!(top.app_secret.expose_secret(), "app-secret");
    assert_eq!(top.sign_method, SignMethod::Md5);
    assert_eq!(top.partner_id.as_deref(), Some("railgate"));
    assert_eq!(top.session.unwrap().expose_secret(), "session-token");
    assert_eq!(top.timeout, Duration::from_secs(3));
    assert_eq!(sm4.key_encoding, KeyEncoding::Base64);
    assert_eq!(sm4.mode, Sm4Mode::Cbc);
    assert_eq!(sm4.output, TextEncoding::Hex);
    assert!(FieldCipher::new(&sm4).is_ok());
    let retry = config.retry_policy();
    assert_eq!(retry.max_age, Duration::from_secs(3600));
    assert_eq!(retry.base, Duration::from_millis(500));
    assert_eq!(retry.cap, Duration::from_secs(60));
    assert_eq!(config.poll_interval_ms, 250);
    assert_eq!(config.lease(), Duration::from_secs(6));
}

#[test]
fn a_gateway_needs_credentials_and_a_working_key() {
    let keys = problem_keys(&[("RAILGATE_ALITRIP_GATEWAY_URL", "ftp://top")]);
    assert_eq!(
        keys,
        [
            "alitrip.gateway_url",
            "alitrip.app_key",
            "alitrip.app_secret",
            "alitrip.sm4.key"
        ]
    );
    let keys = problem_keys(&[
        ("RAILGATE_ALITRIP_SM4_KEY", "too-short"),
        ("RAILGATE_ALITRIP_SM4_MODE", "ofb"),
    ]);
    assert_eq!(keys, ["RAILGATE_ALITRIP_SM4_MODE", "alitrip.sm4"]);
    let keys = problem_keys(&[
        ("RAILGATE_ALITRIP_SM4_KEY", KEY),
        ("RAILGATE_ALITRIP_SM4_MODE", "cbc"),
    ]);
    assert_eq!(keys, ["alitrip.sm4"], "cbc without an iv");
}

#[test]
fn refuses_zero_and_inverted_schedules_and_unknown_values() {
    let keys = problem_keys(&[
        ("RAILGATE_ALITRIP_TIMEOUT_MS", "0"),
        ("RAILGATE_ALITRIP_BACKOFF_BASE_MS", "5000"),
        ("RAILGATE_ALITRIP_BACKOFF_CAP_MS", "1000"),
        ("RAILGATE_ALITRIP_SIGN_METHOD", "sha1"),
        ("RAILGATE_ALITRIP_POLL_INTERVAL_MS", "soon"),
        ("RAILGATE_ALITRIP_NOPE", "1"),
    ]);
    assert_eq!(
        keys,
        [
            "RAILGATE_ALITRIP_NOPE",
            "RAILGATE_ALITRIP_POLL_INTERVAL_MS",
            "RAILGATE_ALITRIP_SIGN_METHOD",
            "alitrip.timeout_ms",
            "alitrip.backoff_cap_ms",
        ]
    );
}

#[test]
fn the_file_form_reads_the_same_settings() {
    let text = format!(
        "[alitrip]\ngateway_url = \"http://127.0.0.1:9100/router/rest\"\napp_key = \"k\"\n\
         app_secret = \"s\"\nsign_method = \"hmac\"\n[alitrip.sm4]\nkey = \"{KEY}\"\n"
    );
    let config: Config = toml::from_str(&text).unwrap();
    let AlitripTarget::Gateway { top, sm4 } = config.alitrip.target(true) else {
        panic!("a configured gateway wins over the sandbox");
    };
    assert_eq!(top.sign_method, SignMethod::Hmac);
    assert_eq!(sm4.key.expose_secret(), KEY);
    assert!(toml::from_str::<Config>("[alitrip]\nsm4_key = \"x\"").is_err());
}

#[test]
fn the_readme_documents_every_key() {
    let readme = include_str!("../../README.md");
    for (env, key) in ENV_KEYS {
        let row = format!("| `{key}` | `{env}` |");
        assert!(readme.contains(&row), "README lacks the row of {key}");
    }
}
