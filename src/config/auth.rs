//! The `[auth]` section: how gRPC callers authenticate (see `crate::auth`).

use super::ConfigProblem;
use crate::auth::clients::{ClientTable, ClientsFileError};
use crate::auth::jwt::{JwksError, JwksSource, JwtSettings, JwtVerifier};
use crate::auth::layer::Authenticator;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How callers authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Nobody is asked: every call has every scope.
    None,
    /// Bearer tokens from `clients_file`.
    Tokens,
    /// Bearer JWTs verified against `[auth.jwt]`'s key set.
    Jwt,
    /// Client certificates (needs `tls.client_ca_file`); the certificate's
    /// identity is the caller's id in `clients_file`.
    Mtls,
}

impl AuthMode {
    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "none" => Some(AuthMode::None),
            "tokens" => Some(AuthMode::Tokens),
            "jwt" => Some(AuthMode::Jwt),
            "mtls" => Some(AuthMode::Mtls),
            _ => None,
        }
    }
}

/// Caller authentication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `none`, `tokens`, `jwt` or `mtls`. Unset: `none` in sandbox mode
    /// (with a warning at start); outside it railgate refuses to start
    /// until it is set.
    pub mode: Option<AuthMode>,
    /// The clients file of `tokens` and `mtls` modes (ids, scopes, rates,
    /// token hashes).
    pub clients_file: Option<PathBuf>,
    /// The `jwt` mode's issuer, audience and key set.
    pub jwt: JwtConfig,
}

/// `[auth.jwt]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// The `iss` tokens must carry.
    pub issuer: Option<String>,
    /// The `aud` tokens must carry.
    pub audience: Option<String>,
    /// The identity provider's JWKS URL (https; http only to loopback).
    pub jwks_url: Option<String>,
    /// A JWKS file instead of a URL.
    pub jwks_file: Option<PathBuf>,
    /// The claim naming the caller.
    pub caller_claim: String,
    /// The claim listing scopes (space-separated string or array).
    pub scopes_claim: String,
    /// Clock skew allowed on `exp`/`nbf`, in seconds.
    pub leeway_secs: u64,
    /// How often the key set is fetched again, in seconds.
    pub jwks_refresh_secs: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            jwks_url: None,
            jwks_file: None,
            caller_claim: "sub".into(),
            scopes_claim: "scope".into(),
            leeway_secs: 30,
            jwks_refresh_secs: 300,
        }
    }
}

impl JwtConfig {
    fn settings(&self) -> Option<JwtSettings> {
        let jwks = match (&self.jwks_url, &self.jwks_file) {
            (Some(url), None) => JwksSource::Url(url.clone()),
            (None, Some(path)) => JwksSource::File(path.clone()),
            _ => return None,
        };
        Some(JwtSettings {
            jwks,
            issuer: self.issuer.clone()?,
            audience: self.audience.clone()?,
            caller_claim: self.caller_claim.clone(),
            scopes_claim: self.scopes_claim.clone(),
            leeway: Duration::from_secs(self.leeway_secs),
            refresh: Duration::from_secs(self.jwks_refresh_secs.max(1)),
        })
    }
}

/// Why the authenticator cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// The clients file cannot be used.
    #[error(transparent)]
    Clients(#[from] ClientsFileError),
    /// The JWT key set cannot be had.
    #[error(transparent)]
    Jwks(#[from] JwksError),
    /// `[auth.jwt]` is incomplete (Config::load reports which key).
    #[error("[auth.jwt] needs issuer, audience and one of jwks_url or jwks_file")]
    JwtSettings,
}

impl AuthConfig {
    /// The mode in force: the configured one, else `none` (only valid in
    /// sandbox mode, which `validate` checks).
    pub fn mode(&self) -> AuthMode {
        self.mode.unwrap_or(AuthMode::None)
    }

    /// The authenticator of these settings: reads the clients file, or
    /// fetches the JWT key set.
    pub async fn authenticator(&self) -> Result<Authenticator, AuthSetupError> {
        Ok(match self.mode() {
            AuthMode::None => Authenticator::None,
            AuthMode::Tokens => Authenticator::Tokens(Arc::new(self.clients(true)?)),
            AuthMode::Mtls => Authenticator::Certificates(Arc::new(self.clients(false)?)),
            AuthMode::Jwt => {
                let settings = self.jwt.settings().ok_or(AuthSetupError::JwtSettings)?;
                Authenticator::Jwt(Arc::new(JwtVerifier::load(settings).await?))
            }
        })
    }

    fn clients(&self, tokens: bool) -> Result<ClientTable, ClientsFileError> {
        let path = self.clients_file.clone().unwrap_or_default();
        let table = ClientTable::load(&path)?;
        if tokens {
            table.require_tokens(&path.display().to_string())
        } else {
            Ok(table)
        }
    }

    pub(super) fn validate(
        &self,
        sandbox: bool,
        client_ca: bool,
        problems: &mut Vec<ConfigProblem>,
    ) {
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        let needs_clients = matches!(self.mode, Some(AuthMode::Tokens | AuthMode::Mtls));
        match (self.mode, &self.clients_file) {
            (None, _) if !sandbox => problem(
                "auth.mode",
                "must be set outside sandbox mode: tokens (with auth.clients_file), jwt, mtls, \
                 or none to let any process that reaches the gRPC port book and pay \
                 (RAILGATE_AUTH_MODE)"
                    .into(),
            ),
            (_, None) if needs_clients => problem(
                "auth.clients_file",
                "is required with auth.mode = tokens or mtls (RAILGATE_AUTH_CLIENTS_FILE)".into(),
            ),
            (Some(mode), Some(_)) if needs_clients => {
                if let Err(error) = self.clients(mode == AuthMode::Tokens) {
                    problem("auth.clients_file", error.to_string());
                }
            }
            _ => {}
        }
        if self.mode == Some(AuthMode::Mtls) && !client_ca {
            problem(
                "auth.mode",
                "mtls needs tls.cert_file, tls.key_file and tls.client_ca_file".into(),
            );
        }
        if self.mode == Some(AuthMode::Jwt) {
            let jwt = &self.jwt;
            for (key, value) in [
                ("auth.jwt.issuer", &jwt.issuer),
                ("auth.jwt.audience", &jwt.audience),
            ] {
                if value.as_deref().is_none_or(|value| value.trim().is_empty()) {
                    problem(key, "is required with auth.mode = jwt".into());
                }
            }
            match (&jwt.jwks_url, &jwt.jwks_file) {
                (None, None) | (Some(_), Some(_)) => problem(
                    "auth.jwt.jwks_url",
                    "set exactly one of auth.jwt.jwks_url and auth.jwt.jwks_file".into(),
                ),
                (Some(url), None) if !secure_or_loopback(url) => problem(
                    "auth.jwt.jwks_url",
                    "must be https (http only to a loopback address): the keys decide who may \
                     pay"
                    .into(),
                ),
                _ => {}
            }
        }
    }
}

fn secure_or_loopback(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_must_be_https_unless_loopback() {
        assert!(secure_or_loopback(
            "https://idp.example.com/.well-known/jwks.json"
        ));
        assert!(secure_or_loopback("http://127.0.0.1:8080/jwks"));
        assert!(secure_or_loopback("http://localhost/jwks"));
        assert!(!secure_or_loopback("http://idp.example.com/jwks"));
        assert!(!secure_or_loopback("http://127.0.0.1.evil.com/jwks"));
        assert!(!secure_or_loopback("ftp://idp.example.com/jwks"));
    }

    #[test]
    fn modes_parse_by_name() {
        for (name, mode) in [
            ("none", AuthMode::None),
            ("tokens", AuthMode::Tokens),
            ("jwt", AuthMode::Jwt),
            ("mtls", AuthMode::Mtls),
        ] {
            assert_eq!(AuthMode::parse(name), Some(mode));
        }
        assert_eq!(AuthMode::parse("TOKENS"), None);
    }
}
