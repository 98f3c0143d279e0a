//! Decrypting the fields seed 003 marks "SM4加密". The seed names the
//! cipher and nothing else (no mode, IV, padding or text form), so each of
//! those is a setting the sender and this fake must agree on
//! ([`Sm4Settings`]); the defaults are SM4/ECB with PKCS7 padding and
//! Base64 ciphertext, the form of the common Java SM4 helpers. Built on the
//! RustCrypto `sm4` cipher and its `ecb`/`cbc` modes directly.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cipher::block_padding::Pkcs7;
use cipher::{BlockDecryptMut, KeyInit, KeyIvInit};
use sm4::Sm4;
use std::fmt;

/// The block-cipher mode agreed with the sender.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sm4Mode {
    /// Electronic codebook, no IV (the default).
    Ecb,
    /// Cipher block chaining with this IV.
    Cbc {
        /// The agreed IV.
        iv: [u8; 16],
    },
}

/// How ciphertext is written inside the JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CipherText {
    /// Standard Base64 with padding (the default).
    #[default]
    Base64,
    /// Hex, either case.
    Hex,
}

/// The SM4 settings shared with the sender.
#[derive(Clone)]
pub struct Sm4Settings {
    /// The 16-byte key.
    pub key: [u8; 16],
    /// Mode (and IV).
    pub mode: Sm4Mode,
    /// Ciphertext encoding.
    pub text: CipherText,
}

impl fmt::Debug for Sm4Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key and IV never print.
        let mode = match self.mode {
            Sm4Mode::Ecb => "ecb",
            Sm4Mode::Cbc { .. } => "cbc",
        };
        f.debug_struct("Sm4Settings")
            .field("mode", &mode)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Sm4Settings {
    /// ECB and Base64 with a key written as 32 hex digits; `None` if it is
    /// not 16 bytes of hex.
    pub fn ecb_hex_key(key: &str) -> Option<Self> {
        let key = hex::decode(key.trim()).ok()?.try_into().ok()?;
        Some(Sm4Settings {
            key,
            mode: Sm4Mode::Ecb,
            text: CipherText::Base64,
        })
    }

    /// Decrypts one field; `None` when it is not ciphertext under these
    /// settings (bad encoding, not whole blocks, bad padding, not UTF-8).
    pub fn decrypt(&self, text: &str) -> Option<String> {
        let sealed = match self.text {
            CipherText::Base64 => BASE64.decode(text.trim()).ok()?,
            CipherText::Hex => hex::decode(text.trim()).ok()?,
        };
        if sealed.is_empty() || sealed.len() % 16 != 0 {
            return None;
        }
        let opened = match self.mode {
            Sm4Mode::Ecb => ecb::Decryptor::<Sm4>::new(&self.key.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&sealed),
            Sm4Mode::Cbc { iv } => cbc::Decryptor::<Sm4>::new(&self.key.into(), &iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&sealed),
        }
        .ok()?;
        String::from_utf8(opened).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cipher::BlockEncryptMut;

    /// GB/T 32907-2016 appendix A: key = plaintext = this; one block of
    /// ciphertext 681edf34d206965e86b3e94f536e4246.
    const STANDARD_KEY: &str = "0123456789abcdeffedcba9876543210";

    fn seal(settings: &Sm4Settings, plain: &[u8]) -> Vec<u8> {
        match settings.mode {
            Sm4Mode::Ecb => ecb::Encryptor::<Sm4>::new(&settings.key.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plain),
            Sm4Mode::Cbc { iv } => cbc::Encryptor::<Sm4>::new(&settings.key.into(), &iv.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plain),
        }
    }

    #[test]
    fn the_standard_block_decrypts_to_the_standard_plaintext() {
        let mut settings = Sm4Settings::ecb_hex_key(STANDARD_KEY).unwrap();
        settings.text = CipherText::Hex;
        // The standard block, then SM4 of a full PKCS7 padding block (sixteen
        // 0x10 bytes), computed with OpenSSL's SM4.
        let sealed = "681edf34d206965e86b3e94f536e4246002a8a4efa863ccad024ac0300bb40d2";
        let expected = hex::decode(STANDARD_KEY).unwrap();
        let opened = ecb::Decryptor::<Sm4>::new(&settings.key.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&hex::decode(sealed).unwrap())
            .unwrap();
        assert_eq!(opened, expected);
        assert_eq!(seal(&settings, &expected), hex::decode(sealed).unwrap());
    }

    #[test]
    fn decrypts_an_independently_computed_field() {
        // OpenSSL's SM4 (Python `cryptography`), ECB, PKCS7, standard key.
        let settings = Sm4Settings::ecb_hex_key(STANDARD_KEY).unwrap();
        assert_eq!(
            settings.decrypt("jm2VpLSymlfYRdvQluQPXQ==").as_deref(),
            Some("张三")
        );
    }

    #[test]
    fn cbc_and_hex_round_trip() {
        let settings = Sm4Settings {
            key: hex::decode(STANDARD_KEY).unwrap().try_into().unwrap(),
            mode: Sm4Mode::Cbc { iv: [7; 16] },
            text: CipherText::Hex,
        };
        let sealed = hex::encode_upper(seal(&settings, "13800138000".as_bytes()));
        assert_eq!(settings.decrypt(&sealed).as_deref(), Some("13800138000"));
    }

    #[test]
    fn refuses_what_is_not_ciphertext() {
        let settings = Sm4Settings::ecb_hex_key(STANDARD_KEY).unwrap();
        assert_eq!(settings.decrypt("张三"), None);
        assert_eq!(settings.decrypt(""), None);
        assert_eq!(settings.decrypt("AAAA"), None);
        let other = Sm4Settings::ecb_hex_key("00112233445566778899aabbccddeeff").unwrap();
        assert_eq!(other.decrypt("jm2VpLSymlfYRdvQluQPXQ=="), None);
        assert!(Sm4Settings::ecb_hex_key("00").is_none());
        assert!(format!("{settings:?}").contains("ecb"));
    }
}
