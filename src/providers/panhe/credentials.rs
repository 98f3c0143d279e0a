//! The cipher for the 12306 credentials Panhe takes as ciphertext.
//!
//! Seed 002 marks `trainAccount` and `trainPassword` `密文` and names no
//! algorithm, key or text form; its examples are placeholders. railgate
//! therefore takes the cipher from configuration
//! (`[panhe.credential_cipher]`) and refuses to start against a real Panhe
//! without one. The assumed default, to confirm with Panhe, is what Chinese
//! partner APIs most often mean by 密文: AES-128 in ECB mode with PKCS7
//! padding (Java's `AES/ECB/PKCS5Padding`), Base64 text, a 16-byte key
//! given as 32 hex digits. SM4 in the same form is the alternative, and
//! `plaintext` is an explicit choice for a Panhe (or simulator) that takes
//! the credentials in clear.

use aes::Aes128;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cipher::block_padding::Pkcs7;
use cipher::{BlockEncryptMut, KeyInit};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sm4::Sm4;
use std::fmt;

/// Encrypts 12306 credentials for Panhe.
pub trait CredentialCipher: Send + Sync + 'static {
    /// Ciphertext for `plain`.
    fn encrypt(&self, plain: &str) -> String;
}

/// The sandbox cipher: the simulator accepts the plain value. Used only
/// when Panhe is the built-in simulator and no cipher is configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct SandboxCipher;

impl CredentialCipher for SandboxCipher {
    fn encrypt(&self, plain: &str) -> String {
        plain.to_owned()
    }
}

/// Which cipher turns credentials into Panhe's 密文.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CredentialAlgorithm {
    /// AES-128/ECB/PKCS7, Base64 (the assumed default).
    #[serde(rename = "aes-128-ecb")]
    Aes128Ecb,
    /// SM4/ECB/PKCS7, Base64.
    #[serde(rename = "sm4-ecb")]
    Sm4Ecb,
    /// No encryption: only for a Panhe confirmed to take clear text.
    #[serde(rename = "plaintext")]
    Plaintext,
}

impl CredentialAlgorithm {
    /// Parses the setting's value (`aes-128-ecb`, `sm4-ecb`, `plaintext`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "aes-128-ecb" => Some(Self::Aes128Ecb),
            "sm4-ecb" => Some(Self::Sm4Ecb),
            "plaintext" => Some(Self::Plaintext),
            _ => None,
        }
    }
}

/// `[panhe.credential_cipher]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialCipherConfig {
    /// The algorithm.
    pub algorithm: CredentialAlgorithm,
    /// The 16-byte key as 32 hex digits (not used by `plaintext`).
    #[serde(default)]
    pub key: Option<SecretString>,
}

impl CredentialCipherConfig {
    /// `plaintext`: for a Panhe (or simulator) that takes clear text.
    pub fn plaintext() -> Self {
        CredentialCipherConfig {
            algorithm: CredentialAlgorithm::Plaintext,
            key: None,
        }
    }
}

impl fmt::Debug for CredentialCipherConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCipherConfig")
            .field("algorithm", &self.algorithm)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a credential cipher cannot be built. Never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialCipherError {
    /// A block cipher without a key.
    #[error("{0:?} needs a key (32 hex digits)")]
    MissingKey(CredentialAlgorithm),
    /// A key that is not 32 hex digits.
    #[error("the key must be 32 hex digits (16 bytes)")]
    BadKey,
}

/// The configured cipher.
pub struct ConfiguredCipher {
    algorithm: CredentialAlgorithm,
    key: [u8; 16],
}

impl fmt::Debug for ConfiguredCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredCipher")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl ConfiguredCipher {
    /// Checks `config` and decodes its key.
    pub fn new(config: &CredentialCipherConfig) -> Result<Self, CredentialCipherError> {
        let key = match (config.algorithm, &config.key) {
            (CredentialAlgorithm::Plaintext, _) => [0; 16],
            (algorithm, None) => return Err(CredentialCipherError::MissingKey(algorithm)),
            (_, Some(key)) => hex::decode(key.expose_secret().trim())
                .ok()
                .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
                .ok_or(CredentialCipherError::BadKey)?,
        };
        Ok(ConfiguredCipher {
            algorithm: config.algorithm,
            key,
        })
    }
}

impl CredentialCipher for ConfiguredCipher {
    fn encrypt(&self, plain: &str) -> String {
        let bytes = plain.as_bytes();
        let sealed = match self.algorithm {
            CredentialAlgorithm::Plaintext => return plain.to_owned(),
            CredentialAlgorithm::Aes128Ecb => ecb::Encryptor::<Aes128>::new(&self.key.into())
                .encrypt_padded_vec_mut::<Pkcs7>(bytes),
            CredentialAlgorithm::Sm4Ecb => {
                ecb::Encryptor::<Sm4>::new(&self.key.into()).encrypt_padded_vec_mut::<Pkcs7>(bytes)
            }
        };
        BASE64.encode(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(algorithm: CredentialAlgorithm, key: Option<&str>) -> CredentialCipherConfig {
        CredentialCipherConfig {
            algorithm,
            key: key.map(SecretString::from),
        }
    }

    #[test]
    fn aes_matches_the_fips_197_vector() {
        // FIPS-197 appendix C.1: key 000102…0f, plaintext 00112233…ff. A
        // 16-byte text gains a full padding block; the first block is the
        // standard's ciphertext.
        let cipher = ConfiguredCipher {
            algorithm: CredentialAlgorithm::Aes128Ecb,
            key: hex::decode("000102030405060708090a0b0c0d0e0f")
                .unwrap()
                .try_into()
                .unwrap(),
        };
        let plain = hex::decode("00112233445566778899aabbccddeeff").unwrap();
        let sealed = ecb::Encryptor::<Aes128>::new(&cipher.key.into())
            .encrypt_padded_vec_mut::<Pkcs7>(&plain);
        assert_eq!(
            hex::encode(&sealed[..16]),
            "69c4e0d86a7b0430d8cdb78070b4c55a"
        );
        assert_eq!(sealed.len(), 32);
    }

    #[test]
    fn credentials_become_base64_blocks() {
        let key = "0123456789abcdeffedcba9876543210";
        for algorithm in [CredentialAlgorithm::Aes128Ecb, CredentialAlgorithm::Sm4Ecb] {
            let cipher = ConfiguredCipher::new(&config(algorithm, Some(key))).unwrap();
            let sealed = cipher.encrypt("sandbox-password");
            let bytes = BASE64.decode(&sealed).unwrap();
            assert_eq!(bytes.len(), 32, "16 bytes of text and a padding block");
            assert!(!sealed.contains("sandbox"));
            assert_eq!(cipher.encrypt("sandbox-password"), sealed, "ECB is stable");
        }
        let aes = ConfiguredCipher::new(&config(CredentialAlgorithm::Aes128Ecb, Some(key)))
            .unwrap()
            .encrypt("user");
        let sm4 = ConfiguredCipher::new(&config(CredentialAlgorithm::Sm4Ecb, Some(key)))
            .unwrap()
            .encrypt("user");
        assert_ne!(aes, sm4);
        // GB/T 32907's example key and plaintext 0123…3210: the first block
        // is the standard's ciphertext 681edf34…4246.
        let block: [u8; 16] = hex::decode(key).unwrap().try_into().unwrap();
        let cipher = ecb::Encryptor::<Sm4>::new(&block.into());
        let sealed = cipher.encrypt_padded_vec_mut::<Pkcs7>(&hex::decode(key).unwrap());
        assert_eq!(
            hex::encode(&sealed[..16]),
            "681edf34d206965e86b3e94f536e4246"
        );
    }

    #[test]
    fn plaintext_is_explicit_and_keys_are_checked() {
        let plain = ConfiguredCipher::new(&config(CredentialAlgorithm::Plaintext, None)).unwrap();
        assert_eq!(plain.encrypt("user"), "user");
        assert_eq!(SandboxCipher.encrypt("user"), "user");
        assert_eq!(
            ConfiguredCipher::new(&config(CredentialAlgorithm::Aes128Ecb, None)).unwrap_err(),
            CredentialCipherError::MissingKey(CredentialAlgorithm::Aes128Ecb)
        );
        for bad in [
            "abc",
            "0123456789abcdef",
            "zz23456789abcdeffedcba9876543210",
        ] {
            assert_eq!(
                ConfiguredCipher::new(&config(CredentialAlgorithm::Sm4Ecb, Some(bad))).unwrap_err(),
                CredentialCipherError::BadKey,
                "{bad}"
            );
        }
        assert_eq!(
            CredentialAlgorithm::parse("aes-128-ecb"),
            Some(CredentialAlgorithm::Aes128Ecb)
        );
        assert_eq!(CredentialAlgorithm::parse("aes"), None);
        let shown = format!(
            "{:?}",
            config(
                CredentialAlgorithm::Aes128Ecb,
                Some("0123456789abcdeffedcba9876543210")
            )
        );
        assert!(!shown.contains("0123"), "{shown}");
    }
}
