//! The clients file: each client's id, scopes, optional rate and, for
//! bearer tokens, the SHA-256 of its token (the token itself is never
//! stored).
//!
//! ```toml
//! [[client]]
//! id = "checkout"
//! token_sha256 = "834e953eab5f082a9d4a1de22cbf7ae1afbcd8c6c942425446e2d8095dc0c4cd"
//! scopes = ["search", "book", "pay"]
//! requests_per_second = 200   # optional; else [limits] caller_requests_per_second
//! burst = 400                 # optional; else requests_per_second
//!
//! [[client]]
//! id = "spiffe://cluster.local/ns/shop/sa/reports"   # mTLS: the certificate's identity
//! scopes = ["search"]
//! ```
//!
//! With `auth.mode = tokens` every client needs `token_sha256`; with
//! `mtls` the id is what the client certificate names
//! ([`crate::tls::peer`]) and a token is not used.
//!
//! A presented token is hashed and compared with every client's hash in
//! constant time (`subtle`), so neither a match nor its position shows in
//! the time taken.

use super::admission::Rate;
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
    token_sha256: Option<String>,
    scopes: Vec<String>,
    #[serde(default)]
    requests_per_second: u32,
    #[serde(default)]
    burst: u32,
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
pub struct ClientTable {
    clients: Vec<Client>,
}

#[derive(Debug, Clone)]
struct Client {
    caller: Caller,
    token_hash: Option<[u8; 32]>,
    rate: Option<Rate>,
}

impl ClientTable {
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
                .any(|client: &Client| client.caller.id() == id)
            {
                return Err(problem(format!("id {id:?} is listed twice")));
            }
            let token_hash = match &entry.token_sha256 {
                None => None,
                Some(hash) => Some(
                    hex::decode(hash.trim())
                        .ok()
                        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                        .ok_or_else(|| {
                            problem(
                                "token_sha256 must be 64 hex digits: the SHA-256 of the token"
                                    .into(),
                            )
                        })?,
                ),
            };
            if entry.burst > 0 && entry.requests_per_second == 0 {
                return Err(problem("burst needs requests_per_second".into()));
            }
            let mut scopes = Vec::with_capacity(entry.scopes.len());
            for name in &entry.scopes {
                scopes.push(Scope::parse(name.trim()).ok_or_else(|| {
                    problem(format!(
                        "{name:?} is not a scope (search, book, pay, refund, accounts, admin)"
                    ))
                })?);
            }
            clients.push(Client {
                caller: Caller::new(id, scopes),
                token_hash,
                rate: Rate::new(entry.requests_per_second, entry.burst),
            });
        }
        Ok(Self { clients })
    }

    /// Refuses a table with a client that has no token (tokens mode).
    pub fn require_tokens(self, path: &str) -> Result<Self, ClientsFileError> {
        match self
            .clients
            .iter()
            .position(|client| client.token_hash.is_none())
        {
            Some(index) => Err(ClientsFileError::Entry {
                path: path.to_owned(),
                index,
                message: "token_sha256 is required with auth.mode = tokens".into(),
            }),
            None => Ok(self),
        }
    }

    /// The rates of clients that have their own.
    pub fn rates(&self) -> impl Iterator<Item = (std::sync::Arc<str>, Rate)> + '_ {
        self.clients
            .iter()
            .filter_map(|client| Some((client.caller.shared_id(), client.rate?)))
    }

    /// The client whose id is `identity` (an mTLS certificate's identity).
    pub fn by_identity(&self, identity: &str) -> Option<&Caller> {
        self.clients
            .iter()
            .map(|client| &client.caller)
            .find(|caller| caller.id() == identity)
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
        for client in &self.clients {
            if let Some(hash) = &client.token_hash
                && bool::from(presented.ct_eq(hash))
            {
                found = Some(&client.caller);
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

    fn file(entries: &str) -> Result<ClientTable, ClientsFileError> {
        ClientTable::parse(entries, "clients.toml")
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
        let burst_alone = file("[[client]]\nid = \"a\"\nscopes = []\nburst = 5\n")
            .unwrap_err()
            .to_string();
        assert!(burst_alone.contains("burst needs"), "{burst_alone}");
    }

    #[test]
    fn certificate_clients_have_no_token_and_tokens_mode_refuses_them() {
        let text = format!(
            "[[client]]\nid = \"spiffe://cluster.local/ns/shop/sa/reports\"\nscopes = [\"search\"]\n\
             requests_per_second = 5\n\
             [[client]]\nid = \"checkout\"\ntoken_sha256 = \"{}\"\nscopes = [\"book\"]\n",
            token_hash("t")
        );
        let table = file(&text).unwrap();
        let reports = table
            .by_identity("spiffe://cluster.local/ns/shop/sa/reports")
            .unwrap();
        assert!(reports.may(Scope::Search) && !reports.may(Scope::Book));
        assert!(
            table
                .by_identity("spiffe://cluster.local/ns/shop/sa/other")
                .is_none()
        );
        let rates: Vec<_> = table.rates().collect();
        assert_eq!(rates.len(), 1);
        assert_eq!(rates[0].1, Rate::new(5, 5).unwrap());
        assert_eq!(table.caller("t").unwrap().id(), "checkout");
        let refused = table
            .require_tokens("clients.toml")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("client 0") && refused.contains("required"),
            "{refused}"
        );
    }
}
