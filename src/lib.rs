//! railgate: a provider-neutral rail-ticket booking gateway.
//!
//! # Layout
//! - [`api`]: the gRPC edge (`railgate.v1` services); validation, proto ⇄
//!   domain conversion and the one place errors become `tonic::Status`.
//! - [`domain`]: the neutral model: money in fen, seat classes, trains,
//!   offers, Asia/Shanghai time.
//! - [`stations`]: the 12306 station directory (embedded data), the
//!   `railgate-stations` crate re-exported.
//! - [`routing`]: which provider serves a call (one capability table);
//!   search fan-out with a single-flight cache and the merge of answers.
//! - [`orders`]: the booking flows (Book, Confirm, Cancel, Refresh) with
//!   idempotency keys; Panhe bookings and Juhe grab orders.
//! - [`store`]: the order store (sqlx: SQLite file or PostgreSQL), with
//!   idempotency keys, callback inbox, outbox and order events.
//! - [`alitrip`]: booking results to Alibaba business travel (TOP API
//!   callback): payload, SM4 field encryption, signing, client.
//! - [`notify`]: notifications to downstream channels (the alitrip book
//!   callback): derived with each order change, delivered by an outbox
//!   worker with retries and dead letters.
//! - [`callbacks`]: provider callback ingress (HTTP): authenticate, dedupe
//!   through the inbox, apply (Juhe) and re-read the order.
//! - [`providers`]: one folder per provider adapter (`panhe/`, `juhe/`),
//!   and the per-provider tower stack every call goes through (`stack`).
//! - [`sandbox`]: sandbox mode's wiring, the only module that names a
//!   simulator (the `railgate-sim` crate).
//! - [`config`]: the typed configuration tree (defaults → file → env).
//! - [`app`]: wiring and the server lifecycle; [`telemetry`]: logging.
//! - [`privacy`]: masking of personal data in free text.
//! - `fuzzing` (hidden): what the fuzz targets in `fuzz/` run, replayed
//!   over their corpora by the unit tests.
//!
//! The benchmark tool is the `railgate-bench` crate (`crates/railgate-bench`).

pub mod accounts;
pub mod alitrip;
pub mod api;
pub mod app;
pub mod auth;
pub mod callbacks;
pub mod config;
pub mod domain;
#[doc(hidden)]
pub mod fuzzing;
pub mod grpc_incoming;
pub mod grpc_server;
pub mod http_server;
pub mod log_budget;
pub mod metrics;
pub mod notify;
pub mod orders;
pub mod privacy;
pub mod providers;
pub mod routing;
pub mod sandbox;
pub mod store;
pub mod telemetry;
pub mod tls;

pub use railgate_stations as stations;

/// Generated `railgate.v1` protobuf types and tonic services.
#[allow(clippy::all, missing_docs)]
pub mod proto {
    tonic::include_proto!("railgate.v1");
    // The servers, generated in build.rs's second pass.
    include!(concat!(env!("OUT_DIR"), "/servers/railgate.v1.rs"));

    pub use crate::api::search_reply::SearchReply;

    /// Encoded descriptors of the `railgate.v1` files, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("railgate_descriptor");
}
