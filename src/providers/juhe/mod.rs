//! Juhe (聚合数据) grab-ticket API adapter (seeds 000 and 001): Juhe's
//! forms and JSON in, typed answers and neutral codes out.
//!
//! - `paths`: the endpoint table (shared with the simulator and config).
//! - `wire`, `order_wire`, `callback_wire`: every request, response and
//!   callback payload exactly as the seeds spell them.
//! - `mapping`, `order_mapping`: Juhe's code tables ⇄ the neutral model.
//! - `codes`: error codes and callback msgCodes → neutral reasons.
//! - `client`: the HTTP transport and envelope handling.
//! - `adapter`: [`JuheAdapter`], the neutral face: `search` maps answers
//!   into trains and offers, `submit` checks and builds grab orders.
//! - `order_sync`: order detail and callbacks applied to the order record.
//!
//! Juhe sells grab orders only (抢票单): one order names several trains and
//! seat classes, Juhe keeps trying until a deadline and issues tickets
//! itself, so there is no hold or confirm step.

pub mod adapter;
pub mod callback_wire;
pub mod client;
pub mod codes;
mod lenient;
pub mod mapping;
pub mod order_mapping;
pub mod order_sync;
pub mod order_wire;
pub mod paths;
pub mod search;
pub mod submit;
pub mod wire;

#[cfg(test)]
mod stub_tests;

pub use adapter::JuheAdapter;
pub use client::{JuheClient, JuheClientConfig};
pub use paths::{DEFAULT_BASE_URL, JuhePaths};

use crate::domain::ProviderId;

const PROVIDER: ProviderId = ProviderId::Juhe;
