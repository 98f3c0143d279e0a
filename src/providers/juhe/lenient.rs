//! Lenient number fields. Juhe's examples write the same field as a JSON
//! number in one place and a string in another (`"passengerType": 1` and
//! `"passengerType": "1"`, `"price": 29.5` and `"orderPrice": "9.00"`), and
//! leave unset amounts as `""` or `null`. These readers take any of those
//! forms, and still refuse text that is not a number.
//!
//! Numbers are read from their JSON text, never through a float, so yuan
//! amounts reach `Decimal` exactly.

use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;
use std::fmt::Display;
use std::str::FromStr;

/// The text of a number-or-string value; `None` for null or blank.
fn text(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => Ok(Some(number.to_string())),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => Ok(Some(text.trim().to_owned())),
        Value::Bool(_) => Err(NOT_A_NUMBER.to_owned()),
        Value::Array(_) | Value::Object(_) => Err(NOT_A_NUMBER.to_owned()),
    }
}

/// The one parse complaint: never the value, which may be personal data
/// sitting in the wrong field.
const NOT_A_NUMBER: &str = "expected a number or a numeric string";

fn parse<T, E>(text: &str) -> Result<T, E>
where
    T: FromStr,
    T::Err: Display,
    E: serde::de::Error,
{
    text.parse().map_err(|error: T::Err| {
        // The error's own words ("invalid digit") describe, never quote.
        E::custom(format!("{NOT_A_NUMBER}: {error}"))
    })
}

/// A required number, written as a JSON number or a numeric string.
pub fn number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match text(Value::deserialize(deserializer)?).map_err(D::Error::custom)? {
        Some(text) => parse(&text),
        None => Err(D::Error::custom("a required number is null or blank")),
    }
}

/// An optional number: null, `""` and an absent field (with
/// `#[serde(default)]`) are `None`.
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match text(Value::deserialize(deserializer)?).map_err(D::Error::custom)? {
        Some(text) => parse(&text).map(Some),
        None => Ok(None),
    }
}

/// A code Juhe writes as a number or a string (`"msgCode": "100"`,
/// `"idType": "1"`, `"seatClass": "hardseat"`), kept as its text.
pub fn code<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    text(Value::deserialize(deserializer)?)
        .map_err(D::Error::custom)
        .map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "number")]
        count: u32,
        #[serde(default, deserialize_with = "optional")]
        price: Option<Decimal>,
        #[serde(default, deserialize_with = "code")]
        kind: String,
    }

    fn sample(json: &str) -> Result<Sample, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn reads_numbers_and_numeric_strings_alike() {
        let a = sample(r#"{"count": 490, "price": 29.5, "kind": 1}"#).unwrap();
        let b = sample(r#"{"count": "490", "price": "29.50", "kind": "1"}"#).unwrap();
        assert_eq!((a.count, b.count), (490, 490));
        assert_eq!(a.price, Some(Decimal::new(295, 1)));
        assert_eq!(b.price, Some(Decimal::new(2950, 2)));
        assert_eq!((a.kind.as_str(), b.kind.as_str()), ("1", "1"));
    }

    #[test]
    fn blank_null_and_absent_optionals_are_none() {
        for json in [
            r#"{"count": 1, "price": ""}"#,
            r#"{"count": 1, "price": null}"#,
            r#"{"count": 1}"#,
        ] {
            assert_eq!(sample(json).unwrap().price, None, "{json}");
        }
        assert_eq!(sample(r#"{"count": 1, "kind": null}"#).unwrap().kind, "");
    }

    #[test]
    fn refuses_text_that_is_not_a_number() {
        assert!(sample(r#"{"count": "many"}"#).is_err());
        assert!(sample(r#"{"count": ""}"#).is_err());
        assert!(sample(r#"{"count": -1}"#).is_err());
        assert!(sample(r#"{"count": 1, "price": "9元"}"#).is_err());
        assert!(sample(r#"{"count": 1, "price": [9]}"#).is_err());
    }

    #[test]
    fn complaints_never_quote_the_value() {
        let error = sample(r#"{"count": "110101199001011234X"}"#).unwrap_err();
        assert!(!error.to_string().contains("110101"), "{error}");
        let error = sample(r#"{"count": ["15712340587"]}"#).unwrap_err();
        assert!(!error.to_string().contains("157"), "{error}");
    }

    #[test]
    fn prices_are_exact_not_floats() {
        let value = sample(r#"{"count": 1, "price": 1075.1}"#).unwrap();
        assert_eq!(value.price.unwrap().to_string(), "1075.1");
    }
}
