//! The opaque tokens callers send back: offer ids (Book, Change, GetStops)
//! and page tokens (ListOrders, ListNotifications).

use super::utf8;
use crate::domain::offer_seal::read_unverified;
use crate::domain::time::FixedClock;
use crate::domain::{Offer, OfferError, OfferSeal};
use crate::store::page_tokens;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// A seal as a railgate configures it, on a fixed clock (2026-01-01 UTC).
static SEAL: LazyLock<OfferSeal> = LazyLock::new(|| {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    OfferSeal::new(
        b"fuzzing key, not a secret",
        Some(b"the previous key"),
        Duration::from_secs(900),
        Arc::new(FixedClock(now)),
    )
});

/// An offer id as a caller sends it: opened by the seal (it is forged,
/// almost always), read unverified, decoded. The same text sealed by this
/// railgate must open to what it decodes to (unless its train has left),
/// and an offer must encode to an id that decodes to it.
pub fn offer_id(data: &[u8]) {
    let Some(text) = utf8(data) else {
        return;
    };
    let _ = SEAL.open(text);
    let _ = read_unverified(text);
    let decoded = Offer::decode(text);
    let sealed = SEAL.seal_until(text, DateTime::<Utc>::MAX_UTC);
    let opened = SEAL.open(&sealed);
    let Ok(offer) = &decoded else {
        assert!(opened.is_err(), "a sealed id that does not decode opened");
        return;
    };
    assert_eq!(Offer::decode(&offer.encode()).as_ref(), Ok(offer));
    match opened {
        Ok(opened) => assert_eq!(&opened, offer, "a sealed id opens to its offer"),
        Err(OfferError::Expired) => {}
        // Ids railgate seals never start with blanks, which open trims.
        Err(_) if text.trim_start() != text => {}
        Err(error) => panic!("a sealed id of an offer does not open: {error}"),
    }
}

/// A page token as a caller sends it, for ListOrders and for
/// ListNotifications: whatever reads must read back the same once written
/// again.
pub fn page_token(data: &[u8]) {
    let Some(text) = utf8(data) else {
        return;
    };
    if let Ok((created_at, id)) = page_tokens::read_orders(text) {
        let again = page_tokens::orders(created_at, &id);
        assert_eq!(
            page_tokens::read_orders(&again).ok(),
            Some((created_at, id)),
            "a ListOrders token read back"
        );
    }
    if let Ok(last_id) = page_tokens::read_outbox(text) {
        let again = page_tokens::outbox(last_id);
        assert_eq!(
            page_tokens::read_outbox(&again).ok(),
            Some(last_id),
            "a ListNotifications token read back"
        );
    }
}
