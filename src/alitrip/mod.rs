//! Reporting booking results to Alibaba business travel (alitrip) through
//! the TOP API `alitrip.btrip.supplychain.train.callback.book` (seed 003).
//! railgate is alitrip's ticket supplier: when an order that came through
//! the alitrip channel is issued or fails, it calls this API.
//!
//! # Layout
//! - [`model`]: `book_callback_param` and the answers, spelled as the seed.
//! - [`codes`]: alitrip's code tables ⇄ the neutral model.
//! - [`builder`]: order record → `book_callback_param`.
//! - [`sm4`]: SM4 encryption of the passenger fields.
//! - [`sign`]: TOP request signing (md5, hmac, hmac-sha256).
//! - [`client`]: the TOP gateway client and the retryable/permanent
//!   classification of its answers.
//! - [`fixtures`]: sample orders in the seed's example shape, for the unit
//!   tests here and the tests of the fake TOP gateway (`tests/it/alitrip`).
//!
//! The fake gateway that tests and sandbox mode send to is the `top`
//! module of the `railgate-sim` crate: its own reading of seed 003.

pub mod builder;
pub mod client;
pub mod codes;
pub mod fixtures;
pub mod model;
pub mod sign;
pub mod sm4;

pub use builder::{BuildError, build_book_callback};
pub use client::{Disposition, TopClient, TopConfig, TopError};
pub use sign::SignMethod;
pub use sm4::{FieldCipher, Sm4Config};
