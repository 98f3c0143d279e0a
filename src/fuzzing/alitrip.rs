//! The alitrip channel: TOP's answers and SM4 field decryption.

use super::utf8;
use crate::alitrip::client::{read_answer, read_book_answer};
use crate::alitrip::model::METHOD;
use crate::alitrip::sm4::{KeyEncoding, Sm4Mode, TextEncoding};
use crate::alitrip::{FieldCipher, Sm4Config, fixtures};
use secrecy::SecretString;
use std::sync::LazyLock;

/// TOP's answer to the book callback: the body under the method's
/// response key, then the book answer in it, or TOP's error, classified
/// (retry or give up).
pub fn top_answer(data: &[u8]) {
    match read_answer(METHOD, data) {
        Ok(body) => {
            if let Err(error) = read_book_answer(body) {
                let _ = (error.disposition(), error.to_string());
            }
        }
        Err(error) => {
            let _ = (error.disposition(), error.to_string());
        }
    }
}

/// The ciphers a railgate may be configured with: the default (ECB,
/// Base64, hex key) and CBC with hex output and a Base64 key and IV.
static CIPHERS: LazyLock<[FieldCipher; 2]> = LazyLock::new(|| {
    let cbc = Sm4Config {
        key: SecretString::from("ASNFZ4mrze/+3LqYdlQyEA=="),
        key_encoding: KeyEncoding::Base64,
        mode: Sm4Mode::Cbc,
        iv: Some(SecretString::from("AAECAwQFBgcICQoLDA0ODw==")),
        output: TextEncoding::Hex,
    };
    [
        fixtures::cipher(),
        FieldCipher::new(&cbc).expect("a valid CBC configuration"),
    ]
});

/// Arbitrary text decrypted as an SM4 field under each cipher. Whatever
/// decrypts must encrypt and decrypt to the same text, and so must the
/// input itself as plaintext.
pub fn sm4_decrypt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for cipher in CIPHERS.iter() {
        if let Ok(plain) = cipher.decrypt(&text) {
            assert_eq!(
                cipher.decrypt(&cipher.encrypt(&plain)).as_deref(),
                Ok(plain.as_str()),
                "a decrypted field round-trips"
            );
        }
        if utf8(data).is_some() {
            assert_eq!(
                cipher.decrypt(&cipher.encrypt(&text)).as_deref(),
                Ok(&*text),
                "any text round-trips"
            );
        }
    }
}
