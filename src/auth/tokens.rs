//! Static bearer tokens: a file of clients, each with an id, the SHA-256 of
//! its token (the token itself is never stored) and its scopes.
//!
//! ```toml
//! [[client]]
//! id = "checkout"
//! token_sha256 = "834e953eab5f082a9d4a1de22cbf7ae1afbcd8c6c942425446e2d8095dc0c4cd"
//! scopes = ["search", "book", "pay"]
//! ```
//!
//! A presented token is hashed and compared with every client's hash in
//! constant time (`subtle`), so neither a match nor its position shows in
//! the time taken.

use super::{Caller, Scope};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use subtle::ConstantTimeEq;

/// The clients file, as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    #[serde(default)]
    client: Vec<ClientEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEntry {
    id: String,
    token_sha256: String,
    scopes: Vec<String>,
}

/// A clients file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientsFileError {
    /// Not readable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML of the expected shape.
    #[error("{path} is not a clients file: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's words (no token appears in the file).
        message: String,
    },
    /// An entry is wrong.
    #[error("{path}: client {index}: {message}")]
    Entry {
        /// The file.
        path: String,
        /// The entry's position, from 0.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// The callers a clients file names.
#[derive(Debug, Clone)]
pub struct TokenTable {
    clients: Vec<(Caller, [u8; 32])>,
}

impl TokenTable {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self, ClientsFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ClientsFileError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    /// Reads the clients file `text` (named `path` in errors).
    pub fn parse(text: &str, path: &str) -> Result<Self, ClientsFileError> {
        let file: ClientsFile = toml::from_str(text).map_err(|error| ClientsFileError::Parse {
            path: path.to_owned(),
            message: error.message().to_owned(),
        })?;
        let mut clients = Vec::with_capacity(file.client.len());
        for (index, entry) in file.client.into_iter().enumerate() {
            let problem = |message: String| ClientsFileError::Entry {
                path: path.to_owned(),
                index,
                message,
            };
            let id = entry.id.trim();
            if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control()) {
                return Err(problem("id must be 1 to 64 printable characters".into()));
            }
            if clients
                .iter()
                .any(|(caller, _): &(Caller, _)| caller.id() == id)
            {
                return Err(problem(format!("id {id:?} is listed twice")));
            }
            let hash = hex::decode(entry.token_sha256.trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    problem("token_sha256 must be 64 hex digits: the SHA-256 of the token".into())
                })?;
            let mut scopes = Vec::with_capacity(entry.scopes.len());
            for name in &entry.scopes {
                scopes.push(Scope::parse(name.trim()).ok_or_else(|| {
                    problem(format!(
                        "{name:?} is not a scope (search, book, pay, refund, accounts, admin)"
                    ))
                })?);
            }
            clients.push((Caller::new(id, scopes), hash));
        }
        Ok(Self { clients })
    }

    /// Clients in the file.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether the file names no client (then every call is refused).
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The caller whose token is `token`.
    pub fn caller(&self, token: &str) -> Option<&Caller> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        // Every entry is compared, whatever matched before.
        for (caller, hash) in &self.clients {
            if bool::from(presented.ct_eq(hash)) {
                found = Some(caller);
            }
        }
        found
    }
}

/// The SHA-256 of `token` as the clients file wants it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(entries: &str) -> Result<TokenTable, ClientsFileError> {
        TokenTable::parse(entries, "clients.toml")
    }

    #[test]
    fn a_token_names_its_client_and_scopes() {
        let text = format!(
            "[[client]]\nid = \"checkout\"\ntoken_sha256 = \"{}\"\nscopes = [\"search\", \"book\"]\n\
             [[client]]\nid = \"ops\"\ntoken_sha256 = \"{}\"\nscopes = [\"admin\"]\n",
            token_hash("checkout-token"),
            token_hash("ops-token")
        );
        let table = file(&text).unwrap();
        assert_eq!(table.len(), 2);
        let checkout = table.caller("checkout-token").unwrap();
        assert_eq!(checkout.id(), "checkout");
        assert!(checkout.may(Scope::Book) && !checkout.may(Scope::Admin));
        assert!(table.caller("ops-token").unwrap().may(Scope::Admin));
        assert!(table.caller("checkout-token ").is_none());
        assert!(table.caller("").is_none());
    }

    #[test]
    fn a_bad_entry_is_named_without_quoting_a_token() {
        let bad_hash =
            file("[[client]]\nid = \"a\"\ntoken_sha256 = \"plain-token\"\nscopes = []\n")
                .unwrap_err()
                .to_string();
        assert!(
            bad_hash.contains("client 0") && !bad_hash.contains("plain-token"),
            "{bad_hash}"
        );
        let hash = token_hash("x");
        let bad_scope = file(&format!(
            "[[client]]\nid = \"a\"\ntoken_sha256 = \"{hash}\"\nscopes = [\"everything\"]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            bad_scope.contains("\"everything\" is not a scope"),
            "{bad_scope}"
        );
        let twice = file(&format!(
            "[[client]]\nid = \"a\"\ntoken_sha256 = \"{hash}\"\nscopes = []\n\
             [[client]]\nid = \"a\"\ntoken_sha256 = \"{hash}\"\nscopes = []\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(twice.contains("listed twice"), "{twice}");
        assert!(file("client = 3").is_err());
        assert!(file("").unwrap().is_empty());
    }
}
