//! Validation of `[tls]`, `[limits]`, `[auth.jwt]`, mTLS and callback
//! allowlists.

use super::tests::{env, keys};
use super::*;

fn from_toml(text: &str) -> Result<Config, ConfigError> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    Config::load(Some(file.path()), &HashMap::new())
}

#[test]
fn tls_needs_both_files_and_names_the_one_it_cannot_read() {
    let error = Config::load(None, &env(&[("RAILGATE_TLS_KEY_FILE", "/x/tls.key")])).unwrap_err();
    assert_eq!(keys(error), ["tls.cert_file"]);
    let error =
        Config::load(None, &env(&[("RAILGATE_TLS_CLIENT_CA_FILE", "/x/ca.crt")])).unwrap_err();
    assert_eq!(keys(error), ["tls.client_ca_file"]);
    let error = Config::load(
        None,
        &env(&[
            ("RAILGATE_TLS_CERT_FILE", "/nonexistent/tls.crt"),
            ("RAILGATE_TLS_KEY_FILE", "/nonexistent/tls.key"),
        ]),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/tls.crt"),
        "{error}"
    );
    assert_eq!(keys(error), ["tls"]);
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.path().join("tls.crt"), certificate.pem()).unwrap();
    std::fs::write(dir.path().join("tls.key"), other.serialize_pem()).unwrap();
    std::fs::write(dir.path().join("empty.key"), "no pem here").unwrap();
    let load = |key: &str| {
        Config::load(
            None,
            &env(&[
                (
                    "RAILGATE_TLS_CERT_FILE",
                    &dir.path().join("tls.crt").display().to_string(),
                ),
                (
                    "RAILGATE_TLS_KEY_FILE",
                    &dir.path().join(key).display().to_string(),
                ),
            ]),
        )
    };
    let mismatched = load("tls.key").unwrap_err().to_string();
    assert!(mismatched.contains("tls.key"), "{mismatched}");
    let empty = load("empty.key").unwrap_err().to_string();
    assert!(empty.contains("no PEM private key"), "{empty}");
}

#[test]
fn mtls_needs_a_client_ca_and_jwt_needs_its_settings() {
    let clients = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        clients.path(),
        "[[client]]\nid = \"spiffe://x/checkout\"\nscopes = [\"book\"]\n",
    )
    .unwrap();
    let error = Config::load(
        None,
        &env(&[
            ("RAILGATE_AUTH_MODE", "mtls"),
            (
                "RAILGATE_AUTH_CLIENTS_FILE",
                &clients.path().display().to_string(),
            ),
        ]),
    )
    .unwrap_err();
    assert_eq!(keys(error), ["auth.mode"]);
    // The same clients file is refused in tokens mode: no token.
    let error = Config::load(
        None,
        &env(&[
            ("RAILGATE_AUTH_MODE", "tokens"),
            (
                "RAILGATE_AUTH_CLIENTS_FILE",
                &clients.path().display().to_string(),
            ),
        ]),
    )
    .unwrap_err();
    assert_eq!(keys(error), ["auth.clients_file"]);
    let error = Config::load(None, &env(&[("RAILGATE_AUTH_MODE", "jwt")])).unwrap_err();
    assert_eq!(
        keys(error),
        ["auth.jwt.issuer", "auth.jwt.audience", "auth.jwt.jwks_url"]
    );
    let error = from_toml(
        "[auth]\nmode = \"jwt\"\n[auth.jwt]\nissuer = \"https://idp\"\naudience = \"railgate\"\n\
         jwks_url = \"http://idp.example.com/jwks\"\n",
    )
    .unwrap_err();
    assert_eq!(keys(error), ["auth.jwt.jwks_url"]);
    let config = from_toml(
        "[auth]\nmode = \"jwt\"\n[auth.jwt]\nissuer = \"https://idp\"\naudience = \"railgate\"\n\
         jwks_url = \"https://idp.example.com/jwks\"\nscopes_claim = \"scp\"\n",
    )
    .unwrap();
    assert_eq!(config.auth.jwt.scopes_claim, "scp");
    assert_eq!(config.auth.jwt.caller_claim, "sub");
}

#[test]
fn limits_default_to_production_values_and_refuse_nonsense() {
    let limits = Config::load(None, &HashMap::new()).unwrap().limits;
    assert_eq!(limits.max_in_flight, 1024);
    assert_eq!(limits.caller_rate(), None);
    assert_eq!(limits.max_message_bytes, 4 * 1024 * 1024);
    assert_eq!(limits.max_connection_age_secs, 1800);
    let error = from_toml(
        "[limits]\ncaller_burst = 5\nmax_message_bytes = 100\nmax_concurrent_streams = 0\n\
         watch_streams_per_caller = 0\n",
    )
    .unwrap_err();
    assert_eq!(
        keys(error),
        [
            "limits.caller_burst",
            "limits.max_message_bytes",
            "limits.max_concurrent_streams",
            "limits.watch_streams_per_caller"
        ]
    );
}

#[test]
fn callback_allowlists_take_addresses_and_blocks_and_refuse_the_rest() {
    let config = from_toml(
        "[callbacks]\npanhe_allow_from = [\"203.0.113.0/24\", \"198.51.100.7\"]\n\
         juhe_allow_from = [\"2001:db8::/32\"]\n",
    )
    .unwrap();
    let lists = config.callbacks.allowlists();
    assert_eq!(lists.panhe.len(), 2);
    assert_eq!(lists.juhe.len(), 1);
    let error = from_toml("[callbacks]\npanhe_allow_from = [\"panhe.example.com\"]\n").unwrap_err();
    assert_eq!(keys(error), ["callbacks.panhe_allow_from"]);
}
