//! Search's answer on the wire, and the cache of its encoded bytes.
//!
//! Once the providers' answers are cached, what a Search costs is turning
//! them into a reply: merging the providers' trains, converting each to
//! protobuf (every string copied, since the trains are shared with the
//! cache) and encoding the whole (77 KB for 北京 → 上海 in the sandbox).
//! Two identical searches over the same cached answers give the same bytes
//! but for each provider's `age_millis`, so railgate keeps the encoded
//! bytes of everything else and encodes only `provider_results` per
//! answer.
//!
//! [`SearchReply`] is what the generated server's Search returns (build.rs
//! maps `SearchResponse` to it for the servers only). Protobuf lets a
//! message's fields come in any order, so fields 1–4, 6 and 7 followed by
//! field 5 decode to the same `SearchResponse` a client expects.

use crate::domain::{ProviderId, TrainType};
use crate::metrics::{Metrics, ReplyOutcome};
use crate::proto as pb;
use crate::routing::GatheredSearch;
use crate::routing::cache::ProviderAnswer;
use chrono::NaiveDate;
use prost::Message;
use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{DecodeContext, WireType};
use std::sync::Arc;
use std::time::Duration;

/// `SearchResponse.provider_results`'s field number.
const PROVIDER_RESULTS: u32 = 5;

/// Encoded replies kept at most, in bytes (about 850 answers of 77 KB).
/// They are derived data: an evicted reply is encoded again from the
/// provider answers, which have their own cache.
const REPLY_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// A `SearchResponse` as the wire carries it: every field but
/// `provider_results` already encoded, and the provider results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchReply {
    /// Fields 1–4, 6 and 7, encoded (shared between answers).
    encoded: Bytes,
    /// Field 5: each provider's outcome and the age of its answer.
    provider_results: Vec<pb::ProviderResult>,
}

impl SearchReply {
    /// `response`, with everything but its provider results encoded now.
    pub fn new(mut response: pb::SearchResponse) -> Self {
        let provider_results = std::mem::take(&mut response.provider_results);
        Self {
            encoded: Bytes::from(response.encode_to_vec()),
            provider_results,
        }
    }

    /// A reply of `encoded` (as [`Self::encoded`] gave it) and fresh
    /// `provider_results`.
    pub fn from_encoded(encoded: Bytes, provider_results: Vec<pb::ProviderResult>) -> Self {
        Self {
            encoded,
            provider_results,
        }
    }

    /// Every field but the provider results, encoded.
    pub fn encoded(&self) -> &Bytes {
        &self.encoded
    }

    /// The `SearchResponse` a client decodes from this reply.
    pub fn to_response(&self) -> Result<pb::SearchResponse, prost::DecodeError> {
        pb::SearchResponse::decode(self.encode_to_vec().as_slice())
    }
}

impl Message for SearchReply {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.encoded);
        for result in &self.provider_results {
            prost::encoding::message::encode(PROVIDER_RESULTS, result, buf);
        }
    }

    /// Decoding keeps field 5 apart and every other field as the bytes it
    /// came in, so a decoded reply encodes to what was read.
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        if tag == PROVIDER_RESULTS {
            return prost::encoding::message::merge_repeated(
                wire_type,
                &mut self.provider_results,
                buf,
                ctx,
            );
        }
        let mut field = Vec::new();
        prost::encoding::encode_key(tag, wire_type, &mut field);
        match wire_type {
            WireType::Varint => {
                prost::encoding::encode_varint(prost::encoding::decode_varint(buf)?, &mut field)
            }
            WireType::SixtyFourBit => {
                let mut value = 0u64;
                prost::encoding::fixed64::merge(wire_type, &mut value, buf, ctx)?;
                field.put_u64_le(value);
            }
            WireType::ThirtyTwoBit => {
                let mut value = 0u32;
                prost::encoding::fixed32::merge(wire_type, &mut value, buf, ctx)?;
                field.put_u32_le(value);
            }
            WireType::LengthDelimited => {
                let mut value: Vec<u8> = Vec::new();
                prost::encoding::bytes::merge(wire_type, &mut value, buf, ctx)?;
                prost::encoding::encode_varint(value.len() as u64, &mut field);
                field.extend_from_slice(&value);
            }
            // SearchResponse has no groups: skipped, as any decoder skips
            // a field it does not know.
            WireType::StartGroup | WireType::EndGroup => {
                return prost::encoding::skip_field(wire_type, tag, buf, ctx);
            }
        }
        let mut encoded = Vec::with_capacity(self.encoded.len() + field.len());
        encoded.extend_from_slice(&self.encoded);
        encoded.extend_from_slice(&field);
        self.encoded = Bytes::from(encoded);
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.encoded.len()
            + prost::encoding::message::encoded_len_repeated(
                PROVIDER_RESULTS,
                &self.provider_results,
            )
    }

    fn clear(&mut self) {
        self.encoded = Bytes::new();
        self.provider_results.clear();
    }
}

/// What makes two searches' replies the same, given the same answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplyKey {
    /// The stations named, then every station searched, at each end.
    pub from: Vec<String>,
    /// As `from`, at the arrival end.
    pub to: Vec<String>,
    /// Travel date.
    pub date: NaiveDate,
    /// The train types asked for, sorted (empty: all).
    pub train_types: Vec<TrainType>,
    /// The providers asked, sorted (empty: all).
    pub providers: Vec<ProviderId>,
}

/// A reply's encoded bytes and the answers they were built from.
struct EncodedReply {
    /// Held so that a pointer comparison with today's answers cannot be
    /// fooled by an address reused after the answer was dropped.
    answers: Vec<Arc<ProviderAnswer>>,
    encoded: Bytes,
}

/// Encoded Search replies by [`ReplyKey`], each valid while the answers it
/// was built from are still the cached ones.
#[derive(Clone)]
pub struct ReplyCache {
    replies: Option<moka::future::Cache<ReplyKey, Arc<EncodedReply>>>,
    metrics: Metrics,
}

impl std::fmt::Debug for ReplyCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ReplyCache")
            .field("enabled", &self.replies.is_some())
            .finish_non_exhaustive()
    }
}

impl ReplyCache {
    /// A cache whose replies live as long as the provider answers they are
    /// built from (`ttl`, the search cache's); zero turns it off. A reply
    /// holds its answers, so an answer replaced in the search cache lives
    /// on until the replies built from it expire: at most one TTL more.
    pub fn new(ttl: Duration, metrics: Metrics) -> Self {
        let replies = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(REPLY_BUDGET_BYTES)
                .weigher(|_key, reply: &Arc<EncodedReply>| {
                    u32::try_from(reply.encoded.len()).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build()
        });
        Self { replies, metrics }
    }

    /// The encoded reply for `key` if it was built from `gathered`'s very
    /// answers (counted as reused; a reply made anew is counted by [`Self::encoded`]).
    pub async fn get(&self, key: &ReplyKey, gathered: &GatheredSearch) -> Option<Bytes> {
        let reply = self.replies.as_ref()?.get(key).await?;
        let encoded = gathered
            .same_answers(&reply.answers)
            .then(|| reply.encoded.clone())?;
        self.metrics.search_reply(ReplyOutcome::reused);
        Some(encoded)
    }

    /// Counts a reply encoded for a search, and keeps it under `key` (none:
    /// not to be reused) when `gathered`'s answers are all the search asked
    /// for: a reply missing a failed provider's part is not the one to
    /// serve once that provider answers.
    pub async fn encoded(&self, key: Option<ReplyKey>, gathered: &GatheredSearch, encoded: Bytes) {
        self.metrics.search_reply(ReplyOutcome::encoded);
        let (Some(replies), Some(key)) = (&self.replies, key) else {
            return;
        };
        if !gathered.is_complete() {
            return;
        }
        let reply = EncodedReply {
            answers: gathered.answers(),
            encoded,
        };
        replies.insert(key, Arc::new(reply)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> pb::SearchResponse {
        pb::SearchResponse {
            from_station: Some(pb::Station {
                name: "北京南".into(),
                telecode: "VNP".into(),
                ..Default::default()
            }),
            to_station: Some(pb::Station {
                name: "上海虹桥".into(),
                telecode: "AOH".into(),
                ..Default::default()
            }),
            travel_date: "2026-12-20".into(),
            trains: vec![pb::TrainOption {
                train_code: "G1".into(),
                duration_minutes: 268,
                ..Default::default()
            }],
            provider_results: vec![
                pb::ProviderResult {
                    provider: pb::Provider::Panhe as i32,
                    age_millis: 1_250,
                    ..Default::default()
                },
                pb::ProviderResult {
                    provider: pb::Provider::Juhe as i32,
                    message: "left out 1 unmappable value(s)".into(),
                    ..Default::default()
                },
            ],
            from_stations: vec![pb::Station {
                telecode: "VNP".into(),
                ..Default::default()
            }],
            to_stations: Vec::new(),
        }
    }

    #[test]
    fn a_reply_decodes_as_the_response_it_was_made_from() {
        let reply = SearchReply::new(response());
        assert_eq!(reply.to_response().unwrap(), response());
        assert_eq!(reply.encoded_len(), reply.encode_to_vec().len());
        // The same size as the response's own encoding: nothing added.
        assert_eq!(reply.encoded_len(), response().encoded_len());
    }

    #[test]
    fn fresh_provider_results_replace_the_ones_encoded_with() {
        let first = SearchReply::new(response());
        let mut later = response().provider_results;
        later[0].age_millis = 9_000;
        let reply = SearchReply::from_encoded(first.encoded().clone(), later.clone());
        let decoded = reply.to_response().unwrap();
        assert_eq!(decoded.provider_results, later);
        assert_eq!(decoded.trains, response().trains);
    }

    #[test]
    fn a_decoded_reply_encodes_to_the_bytes_it_was_read_from() {
        let bytes = response().encode_to_vec();
        let reply = SearchReply::decode(bytes.as_slice()).unwrap();
        assert_eq!(reply.provider_results, response().provider_results);
        let again = reply.encode_to_vec();
        assert_eq!(
            pb::SearchResponse::decode(again.as_slice()).unwrap(),
            response()
        );
    }

    #[test]
    fn a_truncated_reply_is_refused() {
        let bytes = response().encode_to_vec();
        for cut in 1..bytes.len() {
            // Every cut either fails or decodes to a shorter message; none
            // panics, and none reads past the end.
            let _ = SearchReply::decode(&bytes[..cut]);
        }
        assert!(SearchReply::decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
