//! Optional at-rest encryption of identity fields (`store.identity_key`):
//! the passenger's name, ID number and phone on each ticket row and the
//! contact's name and phone on the order row are written as
//! `enc1:<base64(nonce ‖ AES-256-GCM ciphertext)>`. The associated data is
//! the column and the row's id, so a value copied into another row or
//! column does not open. Event snapshots keep none of these fields (see
//! `super::snapshot`), and the callback inbox's raw bodies are pruned by
//! retention, so with a key set no identity is stored in clear.
//!
//! Values written before a key was set read as they are (no prefix), and
//! are encrypted the next time their order is written. A previous key is
//! still tried when opening, for rotation.

use super::StoreError;
use super::rows::OrderRows;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use std::sync::Arc;

const PREFIX: &str = "enc1:";
const NONCE_BYTES: usize = 12;

/// Seals identity values before they are written and opens them after
/// they are read. Without a key both are the identity function.
#[derive(Clone, Default)]
pub struct IdentityCipher {
    keys: Option<Arc<Keys>>,
}

struct Keys {
    current: Aes256Gcm,
    previous: Option<Aes256Gcm>,
}

impl std::fmt::Debug for IdentityCipher {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdentityCipher")
            .field("enabled", &self.keys.is_some())
            .finish()
    }
}

impl IdentityCipher {
    /// No encryption: values are stored as given.
    pub fn none() -> Self {
        Self::default()
    }

    /// Encrypts with `current`; opens with `current` or `previous`.
    pub fn new(current: &[u8; 32], previous: Option<&[u8; 32]>) -> Self {
        Self {
            keys: Some(Arc::new(Keys {
                current: Aes256Gcm::new(current.into()),
                previous: previous.map(|key| Aes256Gcm::new(key.into())),
            })),
        }
    }

    /// Seals the identity fields of `rows` in place.
    pub(crate) fn seal(&self, rows: &mut OrderRows) -> Result<(), StoreError> {
        let Some(keys) = &self.keys else {
            return Ok(());
        };
        each_field(rows, |aad, value| {
            *value = seal_value(&keys.current, aad, value)?;
            Ok(())
        })
    }

    /// Opens the identity fields of `rows` in place; clear values (written
    /// before a key was set) are left as they are.
    pub(crate) fn open(&self, rows: &mut OrderRows) -> Result<(), StoreError> {
        each_field(rows, |aad, value| {
            *value = self.open_value(aad, value)?;
            Ok(())
        })
    }

    fn open_value(&self, aad: &[u8], stored: &str) -> Result<String, StoreError> {
        let Some(sealed) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let Some(keys) = &self.keys else {
            return Err(StoreError::Corrupt(
                "an identity value is encrypted and store.identity_key is not set".into(),
            ));
        };
        let bytes = BASE64
            .decode(sealed)
            .ok()
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or_else(|| {
                StoreError::Corrupt("an encrypted identity value is malformed".into())
            })?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = || Payload {
            msg: ciphertext,
            aad,
        };
        let plain = keys
            .current
            .decrypt(Nonce::from_slice(nonce), payload())
            .or_else(|error| match &keys.previous {
                Some(previous) => previous.decrypt(Nonce::from_slice(nonce), payload()),
                None => Err(error),
            })
            .map_err(|_| {
                StoreError::Corrupt(
                    "an encrypted identity value does not open with store.identity_key (nor the previous key)"
                        .into(),
                )
            })?;
        String::from_utf8(plain)
            .map_err(|_| StoreError::Corrupt("an encrypted identity value is not text".into()))
    }
}

/// Calls `apply` with each identity field of `rows` that has a value, and
/// the associated data that binds it to its column and row.
fn each_field(
    rows: &mut OrderRows,
    mut apply: impl FnMut(&[u8], &mut String) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let order = &mut rows.order;
    for (column, value) in [
        ("orders.contact_name", &mut order.contact_name),
        ("orders.contact_phone", &mut order.contact_phone),
    ] {
        if let Some(value) = value {
            apply(&aad(column, &order.id), value)?;
        }
    }
    for ticket in &mut rows.tickets {
        let id = &ticket.id;
        apply(
            &aad("tickets.passenger_name", id),
            &mut ticket.passenger_name,
        )?;
        apply(&aad("tickets.id_number", id), &mut ticket.id_number)?;
        if let Some(phone) = &mut ticket.phone {
            apply(&aad("tickets.phone", id), phone)?;
        }
    }
    Ok(())
}

fn aad(column: &str, row_id: &str) -> Vec<u8> {
    format!("{column}:{row_id}").into_bytes()
}

fn seal_value(key: &Aes256Gcm, aad: &[u8], value: &str) -> Result<String, StoreError> {
    // A value sealed already (a row read without being opened) is kept.
    if value.starts_with(PREFIX) {
        return Ok(value.to_owned());
    }
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let ciphertext = key
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: value.as_bytes(),
                aad,
            },
        )
        .map_err(|_| StoreError::Corrupt("an identity value could not be encrypted".into()))?;
    let mut bytes = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&ciphertext);
    Ok(format!("{PREFIX}{}", BASE64.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const OLD: [u8; 32] = [9; 32];

    #[test]
    fn a_sealed_value_opens_only_in_its_own_column_and_row() {
        let cipher = IdentityCipher::new(&KEY, None);
        let keys = cipher.keys.as_ref().unwrap();
        let sealed = seal_value(
            &keys.current,
            &aad("tickets.id_number", "t1"),
            "11010519491231002X",
        )
        .unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("1101"));
        assert_eq!(
            cipher
                .open_value(&aad("tickets.id_number", "t1"), &sealed)
                .unwrap(),
            "11010519491231002X"
        );
        // Moved to another ticket or column, it does not open.
        assert!(
            cipher
                .open_value(&aad("tickets.id_number", "t2"), &sealed)
                .is_err()
        );
        assert!(
            cipher
                .open_value(&aad("tickets.passenger_name", "t1"), &sealed)
                .is_err()
        );
        // Two seals of one value differ (random nonces).
        let again = seal_value(
            &keys.current,
            &aad("tickets.id_number", "t1"),
            "11010519491231002X",
        )
        .unwrap();
        assert_ne!(sealed, again);
    }

    #[test]
    fn clear_values_read_as_they_are_and_the_previous_key_still_opens() {
        let old = IdentityCipher::new(&OLD, None);
        let sealed = seal_value(
            &old.keys.as_ref().unwrap().current,
            &aad("orders.contact_phone", "o1"),
            "13800138000",
        )
        .unwrap();
        let rotated = IdentityCipher::new(&KEY, Some(&OLD));
        assert_eq!(
            rotated
                .open_value(&aad("orders.contact_phone", "o1"), &sealed)
                .unwrap(),
            "13800138000"
        );
        assert!(
            IdentityCipher::new(&KEY, None)
                .open_value(&aad("orders.contact_phone", "o1"), &sealed)
                .is_err()
        );
        // Without a key: clear values pass, sealed ones are an error, not garbage.
        let none = IdentityCipher::none();
        assert_eq!(none.open_value(b"x", "张三").unwrap(), "张三");
        assert!(
            none.open_value(&aad("orders.contact_phone", "o1"), &sealed)
                .is_err()
        );
        assert!(rotated.open_value(b"x", "enc1:!!").is_err());
    }
}
