//! Offer ids: the opaque token a Search result carries into Book and
//! GetStops. It records everything a provider needs to act on the offer
//! again, so callers never handle provider details.
//!
//! Format: `o1.` + base64url(JSON). The version prefix lets the format evolve
//! while old tokens still decode. These ids are what adapters write; callers
//! only ever see them sealed (`super::offer_seal`), so an id a caller sends
//! back was made by railgate. Prices still always come from the provider at
//! booking time.

use super::{Berth, ProviderId, SeatClass};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "o1.";
/// Room for a typical offer's JSON (about 150 bytes with Chinese station
/// names), so serializing it rarely reallocates.
const ENCODED_JSON_CAPACITY: usize = 192;

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
    #[serde(rename = "d", serialize_with = "wall_clock::serialize")]
    pub departure: NaiveDateTime,
    /// Arrival, Asia/Shanghai wall clock.
    #[serde(rename = "a", serialize_with = "wall_clock::serialize")]
    pub arrival: NaiveDateTime,
    /// Seat class offered.
    #[serde(rename = "s")]
    pub seat_class: SeatClass,
    /// A provider's own session token for the search (Juhe's queryKey).
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub provider_key: Option<String>,
    /// The berth the quoted price is for, where a provider sells berths as
    /// separate seats (Juhe's sleeper codes): a Book without a berth
    /// preference takes this berth, at the price Search quoted.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub berth: Option<Berth>,
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
    /// Shaped like an offer id but not sealed by this railgate's key, or
    /// altered since.
    #[error("was not issued by this railgate's Search, or was altered")]
    Forged,
    /// Past its validity or its train's departure.
    #[error("has expired: search again for a current offer")]
    Expired,
}

impl Offer {
    /// The opaque token for this offer.
    pub fn encode(&self) -> String {
        // Search encodes one token per seat offer (hundreds per answer):
        // both buffers are sized once instead of grown.
        let mut json = Vec::with_capacity(ENCODED_JSON_CAPACITY);
        serde_json::to_writer(&mut json, self).expect("an Offer always serializes");
        token(PREFIX, &json)
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

/// The offer ids of one train's seats, which differ only in the seat
/// class. The class is written after every train-level field, so the
/// train's JSON, and the base64 of its whole 3-byte groups, are written
/// once; each seat encodes only the rest. base64 maps every 3 bytes to 4
/// characters on their own, so the ids are the bytes [`Offer::encode`]
/// writes.
#[derive(Debug, Clone)]
pub struct TrainOffers {
    /// `o1.` and the base64 of the shared JSON's whole 3-byte groups.
    token_head: String,
    /// The shared JSON bytes those groups leave over (at most 2).
    json_left_over: Vec<u8>,
    /// The JSON after the seat class: `}` or the provider key and `}`.
    json_end: Vec<u8>,
}

/// The seat class's key as the JSON writes it; it occurs once, since a
/// quote inside a string value is always escaped.
const SEAT_CLASS_KEY: &[u8] = b",\"s\":";

impl TrainOffers {
    /// The ids of `offer`'s train (its own seat class does not matter).
    pub fn new(offer: &Offer) -> Self {
        let json = serde_json::to_vec(offer).expect("an Offer always serializes");
        let class = serde_json::to_vec(&offer.seat_class).expect("a seat class serializes");
        let key_at = json
            .windows(SEAT_CLASS_KEY.len())
            .position(|window| window == SEAT_CLASS_KEY)
            .expect("an offer's JSON has its seat class");
        // Up to and including the comma before the key.
        let shared = &json[..=key_at];
        let whole_groups = shared.len() / 3 * 3;
        let mut token_head = String::with_capacity(PREFIX.len() + whole_groups / 3 * 4);
        token_head.push_str(PREFIX);
        URL_SAFE_NO_PAD.encode_string(&shared[..whole_groups], &mut token_head);
        Self {
            token_head,
            json_left_over: shared[whole_groups..].to_vec(),
            json_end: json[key_at + SEAT_CLASS_KEY.len() + class.len()..].to_vec(),
        }
    }

    /// The id of this train's `seat_class` offer.
    pub fn encode(&self, seat_class: SeatClass) -> String {
        let mut json = Vec::with_capacity(48 + self.json_end.len());
        json.extend_from_slice(&self.json_left_over);
        json.extend_from_slice(&SEAT_CLASS_KEY[1..]);
        serde_json::to_writer(&mut json, &seat_class).expect("a seat class serializes");
        json.extend_from_slice(&self.json_end);
        token(&self.token_head, &json)
    }
}

/// `head` followed by the base64url of `json`, written into one buffer of
/// the right size (base64's string encoder clears a 1 KiB scratch buffer
/// on every call).
fn token(head: &str, json: &[u8]) -> String {
    let mut token = vec![0; head.len() + json.len().div_ceil(3) * 4];
    token[..head.len()].copy_from_slice(head.as_bytes());
    let written = URL_SAFE_NO_PAD
        .encode_slice(json, &mut token[head.len()..])
        .expect("the token has room for the whole encoding");
    token.truncate(head.len() + written);
    String::from_utf8(token).expect("base64url is ASCII")
}

/// Wall-clock times in offer ids, written as chrono's serde writes them
/// (`2026-11-24T07:00:00`, its `Debug` form) without going through
/// `fmt`: a Search writes two per seat offer, and the formatter machinery
/// was most of the cost of an offer id. Anything outside the common case
/// (fractional or leap seconds, years outside 0–9999) goes to chrono.
mod wall_clock {
    use chrono::{Datelike, NaiveDateTime, Timelike};
    use serde::{Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &NaiveDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match write_common(value) {
            Some(text) => {
                // Only ASCII digits and separators were written.
                let text = std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?;
                serializer.serialize_str(text)
            }
            None => value.serialize(serializer),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS`, or None when chrono would write more.
    pub(super) fn write_common(value: &NaiveDateTime) -> Option<[u8; 19]> {
        let year = u32::try_from(value.year())
            .ok()
            .filter(|year| *year <= 9999)?;
        if value.nanosecond() != 0 {
            return None;
        }
        let mut text = *b"0000-00-00T00:00:00";
        let mut put = |at: usize, digits: usize, mut number: u32| {
            for index in (at..at + digits).rev() {
                text[index] = b'0' + (number % 10) as u8;
                number /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, value.month());
        put(8, 2, value.day());
        put(11, 2, value.hour());
        put(14, 2, value.minute());
        put(17, 2, value.second());
        Some(text)
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
            berth: None,
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
    fn wall_clock_times_are_written_exactly_as_chrono_writes_them() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let times = [
            date.and_hms_opt(0, 0, 0).unwrap(),
            date.and_hms_opt(23, 59, 59).unwrap(),
            chrono::NaiveDate::from_ymd_opt(9, 12, 31)
                .unwrap()
                .and_hms_opt(7, 5, 3)
                .unwrap(),
            // chrono's own path: fractions, a leap second, odd years.
            date.and_hms_milli_opt(7, 0, 0, 250).unwrap(),
            date.and_hms_nano_opt(7, 0, 0, 123_456_789).unwrap(),
            date.and_hms_milli_opt(23, 59, 59, 1_500).unwrap(),
            chrono::NaiveDate::from_ymd_opt(12_345, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            chrono::NaiveDate::from_ymd_opt(-1, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        ];
        for time in times {
            let offer = Offer {
                departure: time,
                arrival: time,
                ..sample()
            };
            let ours: serde_json::Value = serde_json::to_value(&offer).unwrap();
            let chrono_text = serde_json::to_value(time).unwrap();
            assert_eq!(ours["d"], chrono_text, "{time:?}");
            assert_eq!(ours["a"], chrono_text, "{time:?}");
            assert_eq!(Offer::decode(&offer.encode()), Ok(offer));
        }
        assert!(wall_clock::write_common(&times[3]).is_none());
    }

    #[test]
    fn a_trains_offer_ids_are_those_of_its_offers() {
        let variants = [
            sample(),
            Offer {
                provider: ProviderId::Juhe,
                train_no: String::new(),
                provider_key: Some(r#"key "with" \ quotes,"s":"x""#.into()),
                ..sample()
            },
            Offer {
                // Lengths that leave 0, 1 and 2 bytes over a 3-byte group.
                from_station: "a".into(),
                ..sample()
            },
            Offer {
                from_station: "ab".into(),
                to_station: r#",\"s\":"#.into(),
                ..sample()
            },
            Offer {
                train_code: "K1".into(),
                ..sample()
            },
        ];
        for offer in variants {
            let train = TrainOffers::new(&offer);
            for seat_class in SeatClass::ALL {
                let expected = Offer {
                    seat_class,
                    ..offer.clone()
                };
                assert_eq!(train.encode(seat_class), expected.encode(), "{expected:?}");
            }
        }
    }

    #[test]
    fn refuses_blank_and_foreign_tokens() {
        assert_eq!(Offer::decode("  "), Err(OfferError::Missing));
        assert_eq!(Offer::decode("G1-2026-11-24"), Err(OfferError::Malformed));
        assert_eq!(Offer::decode("o1.!!!"), Err(OfferError::Malformed));
        assert_eq!(Offer::decode("o1.e30"), Err(OfferError::Malformed)); // "{}"
    }
}
