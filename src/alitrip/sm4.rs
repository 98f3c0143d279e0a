//! SM4 (GB/T 32907-2016) encryption of the passenger fields seed 003 marks
//! "SM4加密" (name, mobile, document type and number, country, sex,
//! alitrip's passenger id, document dates).
//!
//! The seed names the cipher and nothing else: no mode, IV, padding or text
//! form. Every choice is configurable ([`Sm4Config`]); the defaults are
//! those of the common Java SM4 helpers alitrip's partners use
//! (`SM4/ECB/PKCS5Padding`, ciphertext as Base64):
//! - mode **ECB**: the seed mentions no IV, and ECB is the only mode that
//!   needs none; CBC is available when an IV is agreed;
//! - padding **PKCS7** (what Java calls PKCS5Padding on 16-byte blocks),
//!   fixed: a field is text of any length;
//! - key (and IV) given as **32 hex digits**: an SM4 key is 16 random bytes
//!   and hex carries any of them (`utf8` accepts a 16-character text key,
//!   `base64` a Base64 one);
//! - ciphertext as **Base64** (standard alphabet, padded) inside the JSON
//!   string; `hex` is the alternative.
//!
//! Plaintext is the field's UTF-8 text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cipher::block_padding::Pkcs7;
use cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sm4::Sm4;
use std::fmt;

/// SM4's block and key size in bytes.
const BLOCK: usize = 16;

/// Block-cipher mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sm4Mode {
    /// Electronic codebook: no IV (the default; see the module doc).
    #[default]
    Ecb,
    /// Cipher block chaining with a fixed, agreed IV.
    Cbc,
}

/// How the key and IV are written in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyEncoding {
    /// 32 hex digits (the default).
    #[default]
    Hex,
    /// Base64 of 16 bytes.
    Base64,
    /// A 16-byte UTF-8 text used as is.
    Utf8,
}

/// How ciphertext is written into the JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// Standard Base64 with padding (the default).
    #[default]
    Base64,
    /// Lowercase hex (uppercase accepted when decrypting).
    Hex,
}

/// The SM4 settings agreed with alitrip.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sm4Config {
    /// The shared key, written as [`Sm4Config::key_encoding`] says.
    pub key: SecretString,
    /// How `key` and `iv` are written.
    #[serde(default)]
    pub key_encoding: KeyEncoding,
    /// Block-cipher mode.
    #[serde(default)]
    pub mode: Sm4Mode,
    /// The IV for CBC, written like the key; refused with ECB.
    #[serde(default)]
    pub iv: Option<SecretString>,
    /// How ciphertext is written.
    #[serde(default)]
    pub output: TextEncoding,
}

impl Sm4Config {
    /// ECB, Base64 output, with a hex key: the documented default.
    pub fn with_hex_key(key: &str) -> Self {
        Sm4Config {
            key: SecretString::from(key.to_owned()),
            key_encoding: KeyEncoding::Hex,
            mode: Sm4Mode::Ecb,
            iv: None,
            output: TextEncoding::Base64,
        }
    }
}

impl Sm4Config {
    /// The decoded key, and the IV for CBC (`None` for ECB), after checking
    /// that mode and IV agree.
    pub fn key_and_iv(&self) -> Result<([u8; BLOCK], Option<[u8; BLOCK]>), Sm4Error> {
        let encoding = self.key_encoding;
        let key =
            decode_block(self.key.expose_secret(), encoding).ok_or(Sm4Error::BadKey(encoding))?;
        let iv = match (self.mode, &self.iv) {
            (Sm4Mode::Ecb, None) => None,
            (Sm4Mode::Ecb, Some(_)) => return Err(Sm4Error::UnexpectedIv),
            (Sm4Mode::Cbc, None) => return Err(Sm4Error::MissingIv),
            (Sm4Mode::Cbc, Some(iv)) => {
                Some(decode_block(iv.expose_secret(), encoding).ok_or(Sm4Error::BadIv(encoding))?)
            }
        };
        Ok((key, iv))
    }
}

/// Why a cipher could not be set up or a field not be decrypted. Never
/// carries key material, plaintext or ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Sm4Error {
    /// The key is not 16 bytes in its configured encoding.
    #[error("sm4 key must be 16 bytes written as {0:?}")]
    BadKey(KeyEncoding),
    /// The IV is not 16 bytes in the key's encoding.
    #[error("sm4 iv must be 16 bytes written as {0:?}")]
    BadIv(KeyEncoding),
    /// CBC without an IV.
    #[error("sm4 cbc mode needs an iv")]
    MissingIv,
    /// An IV with ECB, which has none: refused rather than ignored, so a
    /// misconfiguration shows.
    #[error("sm4 ecb mode takes no iv")]
    UnexpectedIv,
    /// Ciphertext that is not valid text in the configured encoding, or
    /// not a whole number of blocks.
    #[error("ciphertext is not {0:?} of whole sm4 blocks")]
    BadCiphertext(TextEncoding),
    /// Decryption produced invalid padding: wrong key, mode or IV.
    #[error("sm4 padding is invalid (wrong key, mode or iv?)")]
    BadPadding,
    /// The plaintext is not UTF-8.
    #[error("decrypted field is not utf-8")]
    NotUtf8,
}

/// Encrypts and decrypts field text with the configured key and mode.
#[derive(Clone)]
pub struct FieldCipher {
    key: [u8; BLOCK],
    /// `None` for ECB.
    iv: Option<[u8; BLOCK]>,
    output: TextEncoding,
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("mode", &self.mode())
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl FieldCipher {
    /// Checks the configuration and decodes the key and IV.
    pub fn new(config: &Sm4Config) -> Result<Self, Sm4Error> {
        let (key, iv) = config.key_and_iv()?;
        Ok(FieldCipher {
            key,
            iv,
            output: config.output,
        })
    }

    /// The mode in use.
    pub fn mode(&self) -> Sm4Mode {
        if self.iv.is_some() {
            Sm4Mode::Cbc
        } else {
            Sm4Mode::Ecb
        }
    }

    /// Encrypts `plaintext` (PKCS7-padded) and writes it as configured.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let sealed = self.seal(plaintext.as_bytes());
        match self.output {
            TextEncoding::Base64 => BASE64.encode(sealed),
            TextEncoding::Hex => hex::encode(sealed),
        }
    }

    /// PKCS7-pads and encrypts raw bytes.
    fn seal(&self, bytes: &[u8]) -> Vec<u8> {
        match self.iv {
            None => {
                ecb::Encryptor::<Sm4>::new(&self.key.into()).encrypt_padded_vec_mut::<Pkcs7>(bytes)
            }
            Some(iv) => cbc::Encryptor::<Sm4>::new(&self.key.into(), &iv.into())
                .encrypt_padded_vec_mut::<Pkcs7>(bytes),
        }
    }

    /// Reads ciphertext written as configured and decrypts it.
    pub fn decrypt(&self, text: &str) -> Result<String, Sm4Error> {
        let sealed = match self.output {
            TextEncoding::Base64 => BASE64.decode(text.trim()).ok(),
            TextEncoding::Hex => hex::decode(text.trim()).ok(),
        }
        .filter(|bytes| !bytes.is_empty() && bytes.len() % BLOCK == 0)
        .ok_or(Sm4Error::BadCiphertext(self.output))?;
        let opened = match self.iv {
            None => ecb::Decryptor::<Sm4>::new(&self.key.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&sealed),
            Some(iv) => cbc::Decryptor::<Sm4>::new(&self.key.into(), &iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(&sealed),
        }
        .map_err(|_| Sm4Error::BadPadding)?;
        String::from_utf8(opened).map_err(|_| Sm4Error::NotUtf8)
    }
}

/// Decodes a 16-byte key or IV.
fn decode_block(text: &str, encoding: KeyEncoding) -> Option<[u8; BLOCK]> {
    let bytes = match encoding {
        KeyEncoding::Hex => hex::decode(text.trim()).ok()?,
        KeyEncoding::Base64 => BASE64.decode(text.trim()).ok()?,
        KeyEncoding::Utf8 => text.as_bytes().to_vec(),
    };
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cipher::BlockEncrypt;

    /// GB/T 32907-2016 appendix A, example 1: key = plaintext.
    const STANDARD_KEY: &str = "0123456789abcdeffedcba9876543210";
    const STANDARD_CIPHERTEXT: &str = "681edf34d206965e86b3e94f536e4246";
    /// Appendix A, example 2: the same block encrypted 1 000 000 times.
    const STANDARD_MILLION: &str = "595298c7c6fd271f0402f804c33d3f66";

    fn block(hex_text: &str) -> [u8; 16] {
        hex::decode(hex_text).unwrap().try_into().unwrap()
    }

    fn cipher(config: Sm4Config) -> FieldCipher {
        FieldCipher::new(&config).unwrap()
    }

    #[test]
    fn standard_single_block_vector() {
        let key = block(STANDARD_KEY);
        let sm4 = Sm4::new(&key.into());
        let mut data = key.into();
        sm4.encrypt_block(&mut data);
        assert_eq!(hex::encode(data), STANDARD_CIPHERTEXT);
    }

    #[test]
    fn standard_million_iterations_vector() {
        let key = block(STANDARD_KEY);
        let sm4 = Sm4::new(&key.into());
        let mut data = key.into();
        for _ in 0..1_000_000 {
            sm4.encrypt_block(&mut data);
        }
        assert_eq!(hex::encode(data), STANDARD_MILLION);
    }

    #[test]
    fn ecb_field_starts_with_the_standard_block() {
        // A 16-byte plaintext is one data block plus one full PKCS7 padding
        // block; the first is the standard's ciphertext. The second (SM4 of
        // sixteen 0x10 bytes) was computed with OpenSSL's SM4.
        let mut config = Sm4Config::with_hex_key(STANDARD_KEY);
        config.output = TextEncoding::Hex;
        let field = cipher(config);
        let padding_block = "002a8a4efa863ccad024ac0300bb40d2";
        assert_eq!(
            hex::encode(field.seal(&block(STANDARD_KEY))),
            format!("{STANDARD_CIPHERTEXT}{padding_block}")
        );
        // The empty field is that padding block alone.
        assert_eq!(field.encrypt(""), padding_block);
    }

    #[test]
    fn default_is_ecb_base64_and_matches_an_independent_implementation() {
        // Expected values computed with OpenSSL's SM4 (Python
        // `cryptography`), PKCS7, under the standard's key.
        let field = cipher(Sm4Config::with_hex_key(STANDARD_KEY));
        assert_eq!(field.mode(), Sm4Mode::Ecb);
        assert_eq!(field.encrypt("张三"), "jm2VpLSymlfYRdvQluQPXQ==");
        assert_eq!(field.decrypt("jm2VpLSymlfYRdvQluQPXQ==").unwrap(), "张三");
    }

    #[test]
    fn cbc_with_hex_output_matches_an_independent_implementation() {
        let mut config = Sm4Config::with_hex_key(STANDARD_KEY);
        config.mode = Sm4Mode::Cbc;
        config.iv = Some(SecretString::from("000102030405060708090a0b0c0d0e0f"));
        config.output = TextEncoding::Hex;
        let field = cipher(config);
        let expected = "52ba8154fc5c3d026cf2598b4b74935a4381896debe91e43d2294d07888c9803";
        assert_eq!(field.encrypt("432524100011191212"), expected);
        assert_eq!(
            field.decrypt(&expected.to_uppercase()).unwrap(),
            "432524100011191212"
        );
    }

    #[test]
    fn round_trips_every_setting() {
        let samples = ["", "0", "张三", "欧阳娜娜", "15712340587", &"长".repeat(40)];
        let hex_key = STANDARD_KEY;
        let keys = [
            (KeyEncoding::Hex, hex_key.to_owned()),
            (KeyEncoding::Base64, BASE64.encode(block(hex_key))),
            (KeyEncoding::Utf8, "sixteen-byte-key".to_owned()),
        ];
        for (key_encoding, key) in keys {
            let iv = match key_encoding {
                KeyEncoding::Hex => "ffeeddccbbaa99887766554433221100".to_owned(),
                KeyEncoding::Base64 => BASE64.encode([7u8; 16]),
                KeyEncoding::Utf8 => "an-iv-of-16-char".to_owned(),
            };
            for mode in [Sm4Mode::Ecb, Sm4Mode::Cbc] {
                for output in [TextEncoding::Base64, TextEncoding::Hex] {
                    let config = Sm4Config {
                        key: SecretString::from(key.clone()),
                        key_encoding,
                        mode,
                        iv: (mode == Sm4Mode::Cbc).then(|| SecretString::from(iv.clone())),
                        output,
                    };
                    let field = cipher(config);
                    for sample in samples {
                        let sealed = field.encrypt(sample);
                        assert_ne!(sealed, sample);
                        assert_eq!(
                            field.decrypt(&sealed).unwrap(),
                            sample,
                            "{key_encoding:?} {mode:?} {output:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_bad_configuration() {
        let bad_key = Sm4Config::with_hex_key("0123");
        assert_eq!(
            FieldCipher::new(&bad_key).unwrap_err(),
            Sm4Error::BadKey(KeyEncoding::Hex)
        );
        let mut cbc_without_iv = Sm4Config::with_hex_key(STANDARD_KEY);
        cbc_without_iv.mode = Sm4Mode::Cbc;
        assert_eq!(
            FieldCipher::new(&cbc_without_iv).unwrap_err(),
            Sm4Error::MissingIv
        );
        let mut ecb_with_iv = Sm4Config::with_hex_key(STANDARD_KEY);
        ecb_with_iv.iv = Some(SecretString::from(STANDARD_KEY));
        assert_eq!(
            FieldCipher::new(&ecb_with_iv).unwrap_err(),
            Sm4Error::UnexpectedIv
        );
        let mut short_iv = Sm4Config::with_hex_key(STANDARD_KEY);
        short_iv.mode = Sm4Mode::Cbc;
        short_iv.iv = Some(SecretString::from("00"));
        assert_eq!(
            FieldCipher::new(&short_iv).unwrap_err(),
            Sm4Error::BadIv(KeyEncoding::Hex)
        );
    }

    #[test]
    fn refuses_bad_ciphertext_without_echoing_it() {
        let field = cipher(Sm4Config::with_hex_key(STANDARD_KEY));
        for bad in ["not base64!", "", "AAAA"] {
            let error = field.decrypt(bad).unwrap_err();
            assert_eq!(
                error,
                Sm4Error::BadCiphertext(TextEncoding::Base64),
                "{bad}"
            );
        }
        let other_key = cipher(Sm4Config::with_hex_key("00112233445566778899aabbccddeeff"));
        let sealed = other_key.encrypt("张三");
        // Under the wrong key the padding check almost always fails; if it
        // happens to pass, the text is not the plaintext.
        match field.decrypt(&sealed) {
            Err(error) => assert!(matches!(error, Sm4Error::BadPadding | Sm4Error::NotUtf8)),
            Ok(text) => assert_ne!(text, "张三"),
        }
        assert!(!format!("{field:?}").contains("0123456789"));
    }
}
