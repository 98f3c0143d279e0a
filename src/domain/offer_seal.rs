//! Signed offer ids. A provider adapter writes an offer id (see
//! [`super::offer`]) as plain base64 JSON; before it leaves railgate, Search
//! seals it with an expiry and an HMAC, and Book, Change and GetStops open
//! it again. A forged, altered or expired id is refused before any provider
//! call, so a caller cannot send a provider a train, class, date or station
//! name that no Search returned.
//!
//! Format: `<offer id>.<expires, unix seconds>.<tag>`, the tag being the
//! first 16 bytes of HMAC-SHA256 over everything before it, base64url.
//! The offer id's own alphabet (base64url after `o1.`) has no second dot,
//! so the last two dots split the token unambiguously.
//!
//! Two keys are accepted during a rotation (current and previous); new ids
//! are always sealed with the current one. HMAC and SHA-256 are RustCrypto's
//! (`hmac`, `sha2`), already used for TOP request signing; the comparison is
//! `Mac::verify_truncated_left`, constant-time.

use super::offer::{Offer, OfferError};
use super::time::SharedClock;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// Bytes of the HMAC kept in a token: 128 bits.
const TAG_BYTES: usize = 16;
/// Characters of the tag in base64url.
const TAG_CHARS: usize = 22;

/// A key, ready to sign (HMAC keyed once, cloned per token).
#[derive(Clone)]
struct SealKey(Hmac<Sha256>);

impl SealKey {
    fn new(secret: &[u8]) -> Self {
        Self(Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"))
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(signed.as_bytes());
        mac
    }
}

/// Seals offer ids for callers and opens the ones they send back.
#[derive(Clone)]
pub struct OfferSeal {
    current: SealKey,
    previous: Option<SealKey>,
    ttl: Duration,
    clock: SharedClock,
}

impl fmt::Debug for OfferSeal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("OfferSeal")
            .field("ttl", &self.ttl)
            .field("rotating", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

impl OfferSeal {
    /// A seal signing with `current`, still opening ids signed with
    /// `previous`; ids are valid for `ttl` after Search.
    pub fn new(current: &[u8], previous: Option<&[u8]>, ttl: Duration, clock: SharedClock) -> Self {
        Self {
            current: SealKey::new(current),
            previous: previous.map(SealKey::new),
            ttl,
            clock,
        }
    }

    /// A seal with a random key of its own (ids do not survive a restart
    /// nor open on another instance).
    pub fn ephemeral(ttl: Duration, clock: SharedClock) -> Self {
        let key: [u8; 32] = rand::random();
        Self::new(&key, None, ttl, clock)
    }

    /// How long an id stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// `offer_id` sealed, valid for the seal's TTL from now.
    pub fn seal(&self, offer_id: &str) -> String {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let expires = self
            .clock
            .now_utc()
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.seal_until(offer_id, expires)
    }

    /// `offer_id` sealed, valid until `expires`.
    pub fn seal_until(&self, offer_id: &str, expires: DateTime<Utc>) -> String {
        let mut token = String::with_capacity(offer_id.len() + 13 + TAG_CHARS);
        token.push_str(offer_id);
        token.push('.');
        token.push_str(&expires.timestamp().to_string());
        let tag = self.current.mac(&token).finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&tag[..TAG_BYTES], &mut token);
        token
    }

    /// The offer a sealed id stands for, if this railgate sealed it (with
    /// either key), it is unexpired and its train has not left.
    pub fn open(&self, token: &str) -> Result<Offer, OfferError> {
        let (offer_id, expires) = self.open_payload(token)?;
        if self.clock.now_utc().timestamp() > expires {
            return Err(OfferError::Expired);
        }
        let offer = Offer::decode(offer_id)?;
        if offer.departure < self.clock.now_local().naive_local() {
            return Err(OfferError::Expired);
        }
        Ok(offer)
    }
}

impl OfferSeal {
    /// Any `payload` without dots, sealed until `expires` in the offer
    /// ids' form and with their keys: for the other tokens railgate hands
    /// out (refund quotes).
    pub fn seal_payload_until(&self, payload: &str, expires: DateTime<Utc>) -> String {
        self.seal_until(payload, expires)
    }

    /// The payload of a token this railgate sealed (with either key) and
    /// its expiry in unix seconds, expired or not: the caller decides what
    /// expiry means.
    pub fn open_payload<'t>(&self, token: &'t str) -> Result<(&'t str, i64), OfferError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(OfferError::Missing);
        }
        let (signed, tag) = token.rsplit_once('.').ok_or(OfferError::Malformed)?;
        let (payload, expires) = signed.rsplit_once('.').ok_or(OfferError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .ok()
            .filter(|tag| tag.len() == TAG_BYTES)
            .ok_or(OfferError::Malformed)?;
        let genuine = std::iter::once(&self.current)
            .chain(&self.previous)
            .any(|key| key.mac(signed).verify_truncated_left(&tag).is_ok());
        if !genuine {
            return Err(OfferError::Forged);
        }
        let expires: i64 = expires.parse().map_err(|_| OfferError::Malformed)?;
        Ok((payload, expires))
    }
}

/// What an id stands for, read without checking its seal: for tests and
/// diagnostics only, never to act on.
pub fn read_unverified(token: &str) -> Result<Offer, OfferError> {
    let token = token.trim();
    let offer_id = token.rsplitn(3, '.').nth(2).ok_or(OfferError::Malformed)?;
    Offer::decode(offer_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::FixedClock;
    use crate::domain::{ProviderId, SeatClass};
    use chrono::NaiveDate;
    use std::sync::Arc;

    const KEY: &[u8] = b"a key of thirty-two bytes or so!";
    const OLD_KEY: &[u8] = b"the key before the last rotation";
    const HOUR: Duration = Duration::from_secs(3600);

    fn offer() -> Offer {
        let day = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        Offer {
            provider: ProviderId::Panhe,
            train_code: "G1".into(),
            train_no: "240000G1010C".into(),
            from_station: "北京南".into(),
            to_station: "上海虹桥".into(),
            departure: day.and_hms_opt(7, 0, 0).unwrap(),
            arrival: day.and_hms_opt(11, 29, 0).unwrap(),
            seat_class: SeatClass::Second,
            provider_key: None,
            berth: None,
        }
    }

    fn clock_at(rfc3339: &str) -> SharedClock {
        Arc::new(FixedClock(
            DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .with_timezone(&Utc),
        ))
    }

    fn seal(key: &[u8], previous: Option<&[u8]>, clock: &SharedClock) -> OfferSeal {
        OfferSeal::new(key, previous, HOUR, clock.clone())
    }

    #[test]
    fn a_sealed_offer_opens_as_itself_within_its_ttl() {
        let clock = clock_at("2026-12-03T10:00:00Z");
        let seal = seal(KEY, None, &clock);
        let token = seal.seal(&offer().encode());
        assert!(token.starts_with("o1."), "{token}");
        assert_eq!(seal.open(&token), Ok(offer()));
        assert_eq!(seal.open(&format!("  {token}\n")), Ok(offer()));
        assert_eq!(read_unverified(&token), Ok(offer()));
    }

    #[test]
    fn an_id_past_its_ttl_or_its_departure_is_expired() {
        let issued = clock_at("2026-12-03T10:00:00Z");
        let token = seal(KEY, None, &issued).seal(&offer().encode());
        let later = clock_at("2026-12-03T11:00:01Z");
        assert_eq!(
            seal(KEY, None, &later).open(&token),
            Err(OfferError::Expired)
        );
        // Sealed to last beyond the train's departure (07:00 Shanghai).
        let departure_passed = clock_at("2026-12-19T23:00:01Z");
        let long_lived = seal(KEY, None, &departure_passed).seal_until(
            &offer().encode(),
            DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1),
        );
        assert_eq!(
            seal(KEY, None, &departure_passed).open(&long_lived),
            Err(OfferError::Expired)
        );
    }

    #[test]
    fn an_altered_or_foreign_id_is_forged() {
        let clock = clock_at("2026-12-03T10:00:00Z");
        let seal_now = seal(KEY, None, &clock);
        let token = seal_now.seal(&offer().encode());
        // A different offer under the genuine tag.
        let (_, rest) = token.split_once('.').unwrap();
        let (_, tail) = rest.split_once('.').unwrap();
        let other = Offer {
            train_code: "G9999".into(),
            ..offer()
        };
        let swapped = format!("{}.{tail}", other.encode());
        assert_eq!(seal_now.open(&swapped), Err(OfferError::Forged));
        // A later expiry under the genuine tag.
        let (signed, tag) = token.rsplit_once('.').unwrap();
        let (id, _) = signed.rsplit_once('.').unwrap();
        let extended = format!("{id}.99999999999.{tag}");
        assert_eq!(seal_now.open(&extended), Err(OfferError::Forged));
        // Sealed by another railgate.
        let foreign = seal(b"somebody else's key", None, &clock).seal(&offer().encode());
        assert_eq!(seal_now.open(&foreign), Err(OfferError::Forged));
    }

    #[test]
    fn the_previous_key_still_opens_during_a_rotation() {
        let clock = clock_at("2026-12-03T10:00:00Z");
        let old = seal(OLD_KEY, None, &clock).seal(&offer().encode());
        assert_eq!(seal(KEY, Some(OLD_KEY), &clock).open(&old), Ok(offer()));
        assert_eq!(seal(KEY, None, &clock).open(&old), Err(OfferError::Forged));
        // New ids are sealed with the new key.
        let new = seal(KEY, Some(OLD_KEY), &clock).seal(&offer().encode());
        assert_eq!(seal(KEY, None, &clock).open(&new), Ok(offer()));
    }

    #[test]
    fn what_is_not_a_sealed_id_is_missing_or_malformed() {
        let clock = clock_at("2026-12-03T10:00:00Z");
        let seal = seal(KEY, None, &clock);
        assert_eq!(seal.open("  "), Err(OfferError::Missing));
        for token in [
            "o1.abc",
            "o1.abc.123",
            "o1.abc.123.!!",
            "o1.abc.123.AAAA",
            "no dots at all",
        ] {
            assert_eq!(seal.open(token), Err(OfferError::Malformed), "{token}");
        }
        // An unsealed offer id, as the providers write it, is not enough.
        assert_eq!(seal.open(&offer().encode()), Err(OfferError::Malformed));
        // A genuine tag over text whose expiry is not a number.
        let odd = seal.seal_until("o1.abc", Utc::now());
        let bad_expiry = odd.replacen(".1", ".x", 1);
        assert!(seal.open(&bad_expiry).is_err());
    }
}
