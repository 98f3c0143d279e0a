//! What the fuzz targets run (`fuzz/`, cargo-fuzz with libFuzzer; `make
//! fuzz`). Each target in `fuzz/fuzz_targets/` calls one function here,
//! so the regular test suite replays the same code over the committed
//! corpora and every crash ever found (`tests`, below).
//!
//! Every function takes arbitrary bytes, feeds them to railgate's own
//! readers of untrusted input, the way railgate uses them, and must never
//! panic: an error is a correct answer to garbage. Some also check what
//! must hold of any input a reader accepts (an offer id railgate writes
//! opens again; a page token reads back as written; a field SM4 decrypted
//! encrypts and decrypts to the same text) and panic when it does not,
//! which the fuzzer reports like any crash.
//!
//! Not an API: hidden from the docs, public only for the fuzz crate.

mod alitrip;
mod callbacks;
mod inputs;
mod juhe;
mod panhe;
mod samples;
mod tokens;

pub use alitrip::{sm4_decrypt, top_answer};
pub use callbacks::{juhe_callback, panhe_callback};
pub use inputs::{config_toml, station_query};
pub use juhe::{juhe_mutation, juhe_order_detail, juhe_search};
pub use panhe::{panhe_account, panhe_mutation, panhe_order_detail, panhe_search};
pub use tokens::{offer_id, page_token};

/// A fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs`, the
/// corpus `fuzz/corpus/<name>/`) and the function it runs.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target (`make fuzz` runs those of `fuzz/fuzz_targets/`; the
/// tests check that the two lists agree).
pub const TARGETS: &[Target] = &[
    ("panhe_search", panhe_search),
    ("panhe_order_detail", panhe_order_detail),
    ("panhe_mutation", panhe_mutation),
    ("panhe_account", panhe_account),
    ("juhe_search", juhe_search),
    ("juhe_order_detail", juhe_order_detail),
    ("juhe_mutation", juhe_mutation),
    ("panhe_callback", panhe_callback),
    ("juhe_callback", juhe_callback),
    ("offer_id", offer_id),
    ("page_token", page_token),
    ("station_query", station_query),
    ("top_answer", top_answer),
    ("sm4_decrypt", sm4_decrypt),
    ("config_toml", config_toml),
];

/// `data` as text, for the readers that take text (gRPC strings, tokens,
/// configuration files): `None` when it is not UTF-8, which those readers
/// never see.
fn utf8(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

#[cfg(test)]
mod tests;
