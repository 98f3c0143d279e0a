//! JWT callers: a bearer token signed by the organisation's identity
//! provider, verified against its JWKS (a file or an HTTPS URL, cached and
//! refreshed). The issuer, audience and expiry are checked (with a small
//! leeway for clock skew); the caller's id is a claim (`sub` by default)
//! and its scopes another (`scope`: a space-separated string, as OAuth 2
//! issues it, or an array). Scopes railgate does not know are ignored, as
//! identity providers add their own (`openid`, `email`).
//!
//! Only RS256 and ES256 are accepted, and only with a key of that type
//! from the JWKS: a token naming `none`, an HMAC algorithm (which would
//! let the public key act as a shared secret) or any other is refused
//! before its signature is looked at.
//!
//! Keys are refreshed every `jwks_refresh_secs`, and sooner when a token
//! names a key id the set does not have (the identity provider rotated),
//! at most once per [`MIN_REFRESH_GAP`]. A refresh that fails keeps the
//! keys in hand.

use super::{Caller, Scope};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The shortest time between two refreshes of the key set.
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(10);

/// Longest caller id taken from a token.
const MAX_CALLER_ID_LEN: usize = 256;

/// Where the key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS document on disk (re-read on refresh).
    File(PathBuf),
    /// A JWKS URL (the identity provider's `jwks_uri`).
    Url(String),
}

/// What a token must say.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// The key set.
    pub jwks: JwksSource,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// An `aud` every token must carry.
    pub audience: String,
    /// The claim naming the caller.
    pub caller_claim: String,
    /// The claim listing the scopes.
    pub scopes_claim: String,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// How often the key set is fetched again.
    pub refresh: Duration,
}

/// A key set that cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The file cannot be read.
    #[error("cannot read the JWKS file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The URL cannot be fetched.
    #[error("cannot fetch the JWKS from {url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// Not a JWKS, or no RS256/ES256 key in it.
    #[error("{0}")]
    Invalid(String),
}

/// Why a token was refused (said to the caller as UNAUTHENTICATED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtRefusal {
    /// Not a JWT, or its header does not parse.
    Malformed,
    /// An algorithm other than RS256 or ES256.
    Algorithm,
    /// Its key id is not in the key set (a refresh is asked for).
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// Expired or not yet valid.
    Expired,
    /// Wrong issuer or audience, or a required claim missing.
    WrongAudience,
    /// No usable caller claim.
    NoCaller,
}

impl JwtRefusal {
    /// What the caller is told.
    pub fn message(self) -> &'static str {
        match self {
            JwtRefusal::Malformed => "the token is not a JWT",
            JwtRefusal::Algorithm => "the token's algorithm is not RS256 or ES256",
            JwtRefusal::UnknownKey => "the token is signed with a key railgate does not know",
            JwtRefusal::Signature => "the token's signature does not verify",
            JwtRefusal::Expired => "the token has expired or is not yet valid",
            JwtRefusal::WrongAudience => {
                "the token is for another issuer or audience, or lacks exp, iss or aud"
            }
            JwtRefusal::NoCaller => "the token names no caller",
        }
    }
}

struct KeySet {
    /// Keys by `kid`, with the one algorithm each may verify.
    by_id: HashMap<String, (Algorithm, DecodingKey)>,
    /// Keys without a `kid`, tried in turn for tokens without one.
    unnamed: Vec<(Algorithm, DecodingKey)>,
}

/// Verifies JWTs against a refreshed key set.
pub struct JwtVerifier {
    settings: JwtSettings,
    keys: RwLock<KeySet>,
    http: reqwest::Client,
    refresh_wanted: tokio::sync::Notify,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("JwtVerifier")
            .field("jwks", &self.settings.jwks)
            .field("issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Fetches the key set once; railgate does not start without it.
    pub async fn load(settings: JwtSettings) -> Result<Self, JwksError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| JwksError::Invalid(error.to_string()))?;
        let keys = fetch(&settings.jwks, &http).await?;
        Ok(Self {
            settings,
            keys: RwLock::new(keys),
            http,
            refresh_wanted: tokio::sync::Notify::new(),
        })
    }

    /// Keys in the set.
    pub fn key_count(&self) -> usize {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.by_id.len() + keys.unnamed.len()
    }

    /// The caller `token` proves, or why not.
    pub fn caller(&self, token: &str) -> Result<Caller, JwtRefusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtRefusal::Malformed)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(JwtRefusal::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = self.settings.leeway.as_secs();
        validation.validate_nbf = true;
        let claims = {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            let candidates: Vec<&(Algorithm, DecodingKey)> = match &header.kid {
                Some(kid) => match keys.by_id.get(kid) {
                    Some(key) => vec![key],
                    None => {
                        self.refresh_wanted.notify_one();
                        return Err(JwtRefusal::UnknownKey);
                    }
                },
                None => keys.unnamed.iter().collect(),
            };
            let mut outcome = Err(JwtRefusal::UnknownKey);
            for (algorithm, key) in candidates {
                if *algorithm != header.alg {
                    continue;
                }
                outcome = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
                    token,
                    key,
                    &validation,
                )
                .map(|data| data.claims)
                .map_err(|error| refusal(&error));
                if !matches!(outcome, Err(JwtRefusal::Signature)) {
                    break;
                }
            }
            outcome?
        };
        let id = claims
            .get(&self.settings.caller_claim)
            .and_then(serde_json::Value::as_str)
            .filter(|id| {
                !id.is_empty() && id.len() <= MAX_CALLER_ID_LEN && !id.chars().any(char::is_control)
            })
            .ok_or(JwtRefusal::NoCaller)?;
        Ok(Caller::new(
            id,
            scopes(claims.get(&self.settings.scopes_claim)),
        ))
    }

    /// Refreshes the key set every `refresh`, and when a token names an
    /// unknown key, until `stopped`.
    pub async fn refresh_forever(self: Arc<Self>, stopped: impl std::future::Future<Output = ()>) {
        tokio::pin!(stopped);
        let mut last = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.settings.refresh) => {}
                () = self.refresh_wanted.notified() => {
                    let since = last.elapsed();
                    if since < MIN_REFRESH_GAP {
                        tokio::select! {
                            () = tokio::time::sleep(MIN_REFRESH_GAP - since) => {}
                            () = &mut stopped => return,
                        }
                    }
                }
                () = &mut stopped => return,
            }
            last = Instant::now();
            match fetch(&self.settings.jwks, &self.http).await {
                Ok(keys) => *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys,
                Err(error) => {
                    tracing::warn!(error = %error, "JWKS refresh failed; keeping the keys in hand")
                }
            }
        }
    }
}

fn refusal(error: &jsonwebtoken::errors::Error) -> JwtRefusal {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => JwtRefusal::Expired,
        ErrorKind::InvalidIssuer
        | ErrorKind::InvalidAudience
        | ErrorKind::MissingRequiredClaim(_) => JwtRefusal::WrongAudience,
        ErrorKind::InvalidSignature | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) => {
            JwtRefusal::Signature
        }
        _ => JwtRefusal::Malformed,
    }
}

/// The scopes a claim lists: "search book" or ["search", "book"].
fn scopes(claim: Option<&serde_json::Value>) -> Vec<Scope> {
    let names: Vec<&str> = match claim {
        Some(serde_json::Value::String(text)) => text.split_whitespace().collect(),
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(serde_json::Value::as_str).collect()
        }
        _ => Vec::new(),
    };
    names.into_iter().filter_map(Scope::parse).collect()
}

async fn fetch(source: &JwksSource, http: &reqwest::Client) -> Result<KeySet, JwksError> {
    let text = match source {
        JwksSource::File(path) => {
            std::fs::read_to_string(path).map_err(|source| JwksError::Read {
                path: path.display().to_string(),
                source,
            })?
        }
        JwksSource::Url(url) => {
            let failed = |message: String| JwksError::Fetch {
                url: url.clone(),
                message,
            };
            let response = http
                .get(url)
                .send()
                .await
                .map_err(|error| failed(error.to_string()))?;
            if !response.status().is_success() {
                return Err(failed(format!("HTTP {}", response.status())));
            }
            response
                .text()
                .await
                .map_err(|error| failed(error.to_string()))?
        }
    };
    parse_key_set(&text)
}

/// The RS256 and ES256 keys of a JWKS document; others are skipped (a set
/// may hold encryption keys or curves railgate does not verify).
fn parse_key_set(text: &str) -> Result<KeySet, JwksError> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_str(text)
        .map_err(|error| JwksError::Invalid(format!("not a JWKS document: {error}")))?;
    let mut set = KeySet {
        by_id: HashMap::new(),
        unnamed: Vec::new(),
    };
    for value in document.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        let algorithm = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            _ => continue,
        };
        // A key that says what it is for must say RS256 or ES256.
        if let Some(declared) = jwk.common.key_algorithm
            && format!("{declared:?}") != format!("{algorithm:?}")
        {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        match jwk.common.key_id {
            Some(kid) => {
                set.by_id.insert(kid, (algorithm, key));
            }
            None => set.unnamed.push((algorithm, key)),
        }
    }
    if set.by_id.is_empty() && set.unnamed.is_empty() {
        return Err(JwksError::Invalid(
            "the JWKS holds no RS256 or ES256 key".into(),
        ));
    }
    Ok(set)
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
