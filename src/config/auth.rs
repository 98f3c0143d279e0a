//! The `[auth]` section: how gRPC callers authenticate (see `crate::auth`).

use super::ConfigProblem;
use crate::auth::layer::Authenticator;
use crate::auth::tokens::{ClientsFileError, TokenTable};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

/// How callers authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Nobody is asked: every call has every scope.
    None,
    /// Bearer tokens from `clients_file`.
    Tokens,
}

impl AuthMode {
    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "none" => Some(AuthMode::None),
            "tokens" => Some(AuthMode::Tokens),
            _ => None,
        }
    }
}

/// Caller authentication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `none` or `tokens`. Unset: `none` in sandbox mode (with a warning
    /// at start); outside it railgate refuses to start until it is set.
    pub mode: Option<AuthMode>,
    /// The clients file of `tokens` mode (ids, token hashes, scopes).
    pub clients_file: Option<PathBuf>,
}

impl AuthConfig {
    /// The mode in force: the configured one, else `none` (only valid in
    /// sandbox mode, which `validate` checks).
    pub fn mode(&self) -> AuthMode {
        self.mode.unwrap_or(AuthMode::None)
    }

    /// The authenticator of these settings, reading the clients file.
    pub fn authenticator(&self) -> Result<Authenticator, ClientsFileError> {
        match (self.mode(), &self.clients_file) {
            (AuthMode::Tokens, Some(path)) => {
                Ok(Authenticator::Tokens(Arc::new(TokenTable::load(path)?)))
            }
            _ => Ok(Authenticator::None),
        }
    }

    pub(super) fn validate(&self, sandbox: bool, problems: &mut Vec<ConfigProblem>) {
        let mut problem = |key: &str, message: String| {
            problems.push(ConfigProblem {
                key: key.to_owned(),
                message,
            })
        };
        match (self.mode, &self.clients_file) {
            (None, _) if !sandbox => problem(
                "auth.mode",
                "must be set outside sandbox mode: tokens (with auth.clients_file), or none to \
                 let any process that reaches the gRPC port book and pay (RAILGATE_AUTH_MODE)"
                    .into(),
            ),
            (Some(AuthMode::Tokens), None) => problem(
                "auth.clients_file",
                "is required with auth.mode = tokens (RAILGATE_AUTH_CLIENTS_FILE)".into(),
            ),
            (Some(AuthMode::Tokens), Some(path)) => {
                if let Err(error) = TokenTable::load(path) {
                    problem("auth.clients_file", error.to_string());
                }
            }
            _ => {}
        }
    }
}
