//! The named parts of railgate's own work on a Search that misses the
//! cache, each timed alone in the suite's process on the very bytes of
//! the run: reading Panhe's answer (railgate's `search_answer`: the JSON
//! parse, the mapping to neutral trains and the offer ids) and encoding
//! the reply railgate answered with (prost). What the suite's own-work
//! figure holds beyond them is the rest of the path: the provider stack
//! (its buffer task's hop, the limits), the merge and the conversion to
//! protobuf, the spans and metrics, and the runtime's wake-ups.
//!
//! They bound the target: railgate's own work cannot be less than the
//! answer it must read and the reply it must write.

use crate::BenchError;
use crate::growth::Latency;
use crate::scenarios;
use prost::Message;
use railgate::proto as pb;
use railgate::providers::panhe::search_answer;
use railgate::providers::panhe::wire::QueryTicketsRequest;
use railgate::stations::StationDirectory;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Calls timed for each part (after as many unmeasured ones).
const CALLS: usize = 300;

/// The parts and the sizes they work on.
#[derive(Debug, Clone, Serialize)]
pub struct OwnWorkParts {
    /// Bytes of Panhe's answer.
    pub answer_bytes: usize,
    /// Reading it: `search_answer` (parse, mapping, offer ids).
    pub read_answer: Latency,
    /// Bytes of railgate's reply.
    pub reply_bytes: usize,
    /// Encoding the reply.
    pub encode_reply: Latency,
}

/// Times the parts on the simulator at `panhe_url` (its answer to the
/// suite's search, fetched once) and on `reply`, railgate's answer.
pub async fn measure(
    panhe_url: &str,
    reply: &pb::SearchResponse,
) -> Result<OwnWorkParts, BenchError> {
    let search = scenarios::search_request();
    let answer = crate::direct::answer(panhe_url).await?;
    let request = QueryTicketsRequest {
        from_station: &search.from_station,
        to_station: &search.to_station,
        from_date: search.travel_date.clone(),
    };
    let stations = StationDirectory::embedded();
    // Read once first: an answer railgate cannot read measures nothing.
    let trains = search_answer(&answer, "/train/queryTickets", &request, stations)
        .map_err(|error| BenchError::Setup(format!("reading the simulator's answer: {error}")))?
        .trains
        .len();
    if trains == 0 {
        return Err(BenchError::Setup(
            "the simulator's answer has no train".into(),
        ));
    }
    let read_answer = time(|| {
        let answer = search_answer(&answer, "/train/queryTickets", &request, stations);
        std::hint::black_box(answer.map(|answer| answer.trains.len()).unwrap_or_default());
    });
    let encode_reply = time(|| {
        std::hint::black_box(reply.encode_to_vec());
    });
    Ok(OwnWorkParts {
        answer_bytes: answer.len(),
        read_answer,
        reply_bytes: reply.encoded_len(),
        encode_reply,
    })
}

/// `work`'s latency over [`CALLS`] calls after as many to warm up.
fn time(mut work: impl FnMut()) -> Latency {
    for _ in 0..CALLS {
        work();
    }
    let samples: Vec<Duration> = (0..CALLS)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    Latency::of(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_counts_every_call() {
        let mut calls = 0;
        let latency = time(|| calls += 1);
        assert_eq!(calls, 2 * CALLS);
        assert_eq!(latency.calls, CALLS);
        assert!(latency.p50_us <= latency.p99_us);
    }
}
