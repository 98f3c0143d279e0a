//! Panhe's payment signature: `md5(secretKey + subject + payAmount +
//! secretKey)` as 32 lowercase hex digits, where the subject is the order
//! number (确认出票) or the change number (确认改签), and a null payAmount
//! takes no part. The amount is written exactly as it is sent in the JSON
//! body (rust_decimal's normalized text: `127`, `81.5`), so both sides hash
//! the same characters.

use md5::{Digest, Md5};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

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
