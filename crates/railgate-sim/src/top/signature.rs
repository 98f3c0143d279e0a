//! The TOP platform's request signature, as the gateway checks it. Seed 003
//! only says "公共参数"; the signature rule is TOP's published protocol
//! (API调用方法详解 → 签名算法), read here on its own rather than borrowed from
//! railgate's client, so a mistake on the sending side shows up here:
//!
//! 1. every parameter but `sign`, with a non-empty name and value;
//! 2. sorted by name, written as `name` + `value` one after another;
//! 3. `md5`: MD5(secret + text + secret); `hmac`: HMAC-MD5 keyed with the
//!    secret; `hmac-sha256`: HMAC-SHA256 keyed with the secret;
//! 4. uppercase hex. The fake compares in constant time and accepts either
//!    case, as TOP's gateway does.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use std::collections::BTreeMap;

/// The `sign_method` values TOP accepts.
pub const SIGN_METHODS: [&str; 3] = ["md5", "hmac", "hmac-sha256"];

/// Whether `given` is the signature of `params` under `secret` and
/// `sign_method`. An unknown method is never valid.
pub fn is_valid(
    params: &BTreeMap<String, String>,
    secret: &[u8],
    sign_method: &str,
    given: &str,
) -> bool {
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let text = signed_text(params);
    match sign_method {
        "md5" => {
            let digest = Md5::new()
                .chain_update(secret)
                .chain_update(text.as_bytes())
                .chain_update(secret)
                .finalize();
            constant_time_eq(&digest, &given)
        }
        "hmac" => verify::<Hmac<Md5>>(secret, &text, &given),
        "hmac-sha256" => verify::<Hmac<Sha256>>(secret, &text, &given),
        _ => false,
    }
}

/// Step 1 and 2: the text that is digested. `BTreeMap` iterates in byte
/// order of the names, which is TOP's sort.
pub fn signed_text(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(name, value)| name.as_str() != "sign" && !name.is_empty() && !value.is_empty())
        .fold(String::new(), |mut text, (name, value)| {
            text.push_str(name);
            text.push_str(value);
            text
        })
}

fn verify<M: Mac + hmac::digest::KeyInit>(key: &[u8], text: &str, given: &[u8]) -> bool {
    // HMAC takes keys of any length; a failure here means "not valid".
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(text.as_bytes());
    mac.verify_slice(given).is_ok()
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TOP's own worked example (签名举例): app_key 12345678, secret
    /// helloworld, method taobao.item.seller.get, ... signed with md5 is
    /// 66987CB115214E59E6EC978214934FB8.
    fn published_example(sign_method: &str) -> BTreeMap<String, String> {
        [
            ("method", "taobao.item.seller.get"),
            ("app_key", "12345678"),
            ("session", "test"),
            ("timestamp", "2016-01-01 12:00:00"),
            ("format", "json"),
            ("v", "2.0"),
            ("sign_method", sign_method),
            ("fields", "num_iid,title,nick,price,num"),
            ("num_iid", "11223344"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    #[test]
    fn accepts_the_published_md5_example_in_either_case() {
        let params = published_example("md5");
        let expected = "66987CB115214E59E6EC978214934FB8";
        assert!(is_valid(&params, b"helloworld", "md5", expected));
        assert!(is_valid(
            &params,
            b"helloworld",
            "md5",
            &expected.to_lowercase()
        ));
        assert!(!is_valid(&params, b"hello", "md5", expected));
        assert!(!is_valid(&params, b"helloworld", "hmac", expected));
    }

    #[test]
    fn the_signed_text_leaves_out_sign_and_empty_values() {
        let mut params = published_example("md5");
        let plain = signed_text(&params);
        params.insert("sign".to_owned(), "ABC".to_owned());
        params.insert("empty".to_owned(), String::new());
        assert_eq!(signed_text(&params), plain);
        assert!(plain.starts_with("app_key12345678fieldsnum_iid"));
    }

    #[test]
    fn hmac_methods_check_rfc_vectors() {
        // RFC 2202 case 2 and RFC 4231 case 2: key "Jefe", data
        // "what do ya want for nothing?" (a single parameter whose name
        // and value concatenate to that text).
        let params: BTreeMap<String, String> =
            [("what do ya want ".to_owned(), "for nothing?".to_owned())].into();
        assert!(is_valid(
            &params,
            b"Jefe",
            "hmac",
            "750c783e6ab0b503eaa86e310a5db738"
        ));
        assert!(is_valid(
            &params,
            b"Jefe",
            "hmac-sha256",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ));
        assert!(!is_valid(&params, b"Jefe", "sha1", "00"));
        assert!(!is_valid(&params, b"Jefe", "hmac", "not hex"));
    }
}
