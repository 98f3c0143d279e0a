//! Request fingerprints for idempotency keys: a digest of the request's
//! canonical content, so "same key, same request" can be told from "same
//! key, different request". md5 is enough: this detects accidents, it is
//! not a security boundary.

use md5::{Digest, Md5};

/// Digest of `parts`, each length-prefixed so ("ab","c") ≠ ("a","bc").
pub fn of(parts: &[&str]) -> Vec<u8> {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_vec()
}

/// The order number railgate sends the provider for an idempotency key:
/// the same key always gives the same number, so the provider's duplicate
/// check backs up railgate's own.
pub fn customer_order_no(idempotency_key: &str) -> String {
    let digest = Md5::digest(idempotency_key.as_bytes());
    format!("RG{:x}", digest)[..26].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_delimited() {
        assert_ne!(of(&["ab", "c"]), of(&["a", "bc"]));
        assert_eq!(of(&["a", "b"]), of(&["a", "b"]));
    }

    #[test]
    fn customer_order_numbers_are_stable_and_distinct() {
        let first = customer_order_no("key-1");
        assert_eq!(first, customer_order_no("key-1"));
        assert_ne!(first, customer_order_no("key-2"));
        assert_eq!(first.len(), 26);
        assert!(first.starts_with("RG") && first[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
