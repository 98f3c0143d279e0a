//! Panhe's payment signature: `md5(secretKey + subject + payAmount +
//! secretKey)` as 32 lowercase hex digits, where the subject is the order
//! number (确认出票) or the change number (确认改签), and a null payAmount
//! takes no part. The amount is written exactly as it is sent in the JSON
//! body (rust_decimal's normalized text: `127`, `81.5`), so both sides hash
//! the same characters. Seed 002 types payAmount decimal/float and its
//! example sends `"payAmount": 127`, so it goes out as a JSON number
//! ([`serialize_pay_amount`]), never a string.

use md5::{Digest, Md5};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

/// Signs a payment request.
pub fn payment_sign(
    secret_key: &SecretString,
    subject: &str,
    pay_amount: Option<Decimal>,
) -> String {
    let amount = pay_amount
        .map(|amount| amount.normalize().to_string())
        .unwrap_or_default();
    let mut hasher = Md5::new();
    for part in [
        secret_key.expose_secret(),
        subject,
        &amount,
        secret_key.expose_secret(),
    ] {
        hasher.update(part.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

/// The amount as it must be sent alongside the sign (normalized yuan).
pub fn pay_amount(yuan: Decimal) -> Decimal {
    yuan.normalize()
}

/// `serialize_with` for payAmount: null, or a JSON number whose text is the
/// normalized amount the sign covers: an integer when whole (`127`, not
/// `127.0`), else the shortest float text, which for amounts in fen is the
/// decimal itself (`81.5`, `31.05`: an f64 keeps 15 significant digits).
pub fn serialize_pay_amount<S: Serializer>(
    amount: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let Some(amount) = amount.map(|amount| amount.normalize()) else {
        return serializer.serialize_none();
    };
    if amount.scale() == 0
        && let Some(whole) = amount.to_i64()
    {
        return serializer.serialize_i64(whole);
    }
    match amount.to_f64() {
        Some(float) => serializer.serialize_f64(float),
        None => Err(serde::ser::Error::custom("payAmount is out of range")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[derive(serde::Serialize)]
    struct Body {
        #[serde(serialize_with = "serialize_pay_amount")]
        pay_amount: Option<Decimal>,
    }

    fn sent(amount: Option<Decimal>) -> String {
        serde_json::to_string(&Body { pay_amount: amount }).unwrap()
    }

    #[test]
    fn the_amount_is_sent_as_the_number_the_sign_covers() {
        assert_eq!(sent(None), r#"{"pay_amount":null}"#);
        assert_eq!(sent(Some(Decimal::from(127))), r#"{"pay_amount":127}"#);
        // Every amount up to ¥20,000.00 in fen: the JSON text is the signed text.
        for fen in 0..2_000_000_i64 {
            let amount = pay_amount(Decimal::new(fen, 2));
            assert_eq!(
                sent(Some(amount)),
                format!(r#"{{"pay_amount":{}}}"#, amount.normalize()),
                "{fen} fen"
            );
        }
    }

    fn secret() -> SecretString {
        SecretString::from("s3cret")
    }

    #[test]
    fn signs_secret_subject_amount_secret() {
        // md5("s3cret" + "1804257654" + "127" + "s3cret"), computed independently.
        let expected = format!("{:x}", Md5::digest(b"s3cret1804257654127s3cret"));
        let sign = payment_sign(&secret(), "1804257654", Some(Decimal::from(127)));
        assert_eq!(sign, expected);
        assert_eq!(sign.len(), 32);
        assert!(
            sign.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn a_null_amount_takes_no_part() {
        let expected = format!("{:x}", Md5::digest(b"s3cretT24012512251820419C3779s3cret"));
        assert_eq!(
            payment_sign(&secret(), "T24012512251820419C3779", None),
            expected
        );
    }

    #[test]
    fn amounts_sign_in_their_normalized_form() {
        let sign =
            |text: &str| payment_sign(&secret(), "T1", Some(Decimal::from_str(text).unwrap()));
        assert_eq!(sign("127.00"), sign("127"));
        assert_eq!(sign("81.50"), sign("81.5"));
        assert_ne!(sign("81.5"), sign("81.05"));
        assert_eq!(
            pay_amount(Decimal::from_str("31.00").unwrap()).to_string(),
            "31"
        );
    }

    #[test]
    fn known_md5_vector() {
        // RFC 1321 test suite: md5("abc").
        assert_eq!(
            format!("{:x}", Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
    }
}
