//! Offer ids: the opaque token a Search result carries into Book and
//! GetStops. It records everything a provider needs to act on the offer
//! again, so callers never handle provider details.
//!
//! Format: `o1.` + base64url(JSON). The version prefix lets the format evolve
//! while old tokens still decode. Tokens are not secrets and not trusted for
//! money: prices always come from the provider at booking time.

use super::{ProviderId, SeatClass};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "o1.";

/// What an offer id stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The provider making the offer.
    #[serde(rename = "p")]
    pub provider: ProviderId,
    /// Public train number at the boarding station.
    #[serde(rename = "c")]
    pub train_code: String,
    /// 12306 internal train number.
    #[serde(rename = "n")]
    pub train_no: String,
    /// Boarding station name (providers book by Chinese name).
    #[serde(rename = "f")]
    pub from_station: String,
    /// Alighting station name.
    #[serde(rename = "t")]
    pub to_station: String,
    /// Departure, Asia/Shanghai wall clock.
    #[serde(rename = "d")]
    pub departure: NaiveDateTime,
    /// Arrival, Asia/Shanghai wall clock.
    #[serde(rename = "a")]
    pub arrival: NaiveDateTime,
    /// Seat class offered.
    #[serde(rename = "s")]
    pub seat_class: SeatClass,
    /// A provider's own session token for the search (Juhe's queryKey).
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub provider_key: Option<String>,
}

/// An offer id that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// Blank.
    #[error("is required: pass an offer_id from a Search result")]
    Missing,
    /// Not produced by railgate, or damaged in transit.
    #[error("is not an offer_id issued by Search")]
    Malformed,
}

impl Offer {
    /// The opaque token for this offer.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("an Offer always serializes");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a token made by [`Offer::encode`].
    pub fn decode(token: &str) -> Result<Self, OfferError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(OfferError::Missing);
        }
        let body = token.strip_prefix(PREFIX).ok_or(OfferError::Malformed)?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OfferError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| OfferError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Offer {
        Offer {
            provider: ProviderId::Panhe,
            train_code: "G1".into(),
            train_no: "24000000G10I".into(),
            from_station: "北京南".into(),
            to_station: "上海".into(),
            departure: "2026-11-24T07:00:00".parse().unwrap(),
            arrival: "2026-11-24T11:29:00".parse().unwrap(),
            seat_class: SeatClass::Second,
            provider_key: None,
        }
    }

    #[test]
    fn round_trips() {
        let offer = sample();
        let token = offer.encode();
        assert!(token.starts_with("o1."));
        assert!(token.is_ascii() && !token.contains('/') && !token.contains('+'));
        assert_eq!(Offer::decode(&token), Ok(offer));
    }

    #[test]
    fn offers_without_a_key_encode_as_before_the_key_existed() {
        // A Panhe offer must not grow a "k" field: tokens issued before the
        // field existed, and tokens issued now, are the same bytes.
        let token = sample().encode();
        let json = URL_SAFE_NO_PAD
            .decode(token.strip_prefix(PREFIX).unwrap())
            .unwrap();
        let fields: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert!(fields.get("k").is_none(), "{fields}");
        // A token written before the field existed still decodes.
        let legacy = r#"{"p":"panhe","c":"G1","n":"24000000G10I","f":"北京南","t":"上海","d":"2026-11-24T07:00:00","a":"2026-11-24T11:29:00","s":"second"}"#;
        let legacy_token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(legacy));
        assert_eq!(legacy_token, token);
        assert_eq!(Offer::decode(&legacy_token), Ok(sample()));
    }

    #[test]
    fn juhe_offers_carry_the_query_key_in_k() {
        let offer = Offer {
            provider: ProviderId::Juhe,
            train_no: String::new(),
            provider_key: Some("6d31300d58be4d239af4039c71ddc313".into()),
            ..sample()
        };
        let token = offer.encode();
        let json = URL_SAFE_NO_PAD
            .decode(token.strip_prefix(PREFIX).unwrap())
            .unwrap();
        let fields: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(fields["k"], "6d31300d58be4d239af4039c71ddc313");
        assert_eq!(fields["p"], "juhe");
        assert_eq!(Offer::decode(&token), Ok(offer));
    }

    #[test]
    fn refuses_blank_and_foreign_tokens() {
        assert_eq!(Offer::decode("  "), Err(OfferError::Missing));
        assert_eq!(Offer::decode("G1-2026-11-24"), Err(OfferError::Malformed));
        assert_eq!(Offer::decode("o1.!!!"), Err(OfferError::Malformed));
        assert_eq!(Offer::decode("o1.e30"), Err(OfferError::Malformed)); // "{}"
    }
}
