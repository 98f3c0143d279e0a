//! Faithful simulators of the providers' REST APIs, for sandbox mode, demos
//! and every test that needs a provider.
//!
//! Each is written from the provider documents (`shared/seeds`), never from
//! railgate's adapters: this crate depends on no railgate crate but the
//! station data, so a misreading of a seed in an adapter is not repeated
//! here, and a test of adapter against simulator can catch it.
//!
//! They serve real data: the national timetable of 2023-12-15 (treated as
//! running every day) and the 12306 station list, both compiled in, so a
//! search between two stations returns the trains that really run between
//! them, at their real times.
//!
//! # Layout
//! - [`timetable`]: the embedded timetable, indexed by station and train.
//! - [`fares`]: seat classes by train type, the fare model (calibrated on
//!   real fares; see `docs/SIMULATOR.md`), deterministic availability, and
//!   12306's ticket-type and refund rules ([`fares::rules`]).
//! - [`clock`]: the Asia/Shanghai clock (real or fixed) the simulators
//!   speed up; [`identity`]: 12306's id-number check.
//! - [`panhe`]: Panhe's train API (seed 002) as an axum router:
//!   [`panhe::router`] and [`panhe::serve`].
//! - [`top`]: a fake alitrip TOP gateway for the booking-result callback
//!   (seed 003), with its own reading of the seed: signature, required
//!   fields, code tables, SM4 decryption.
//! - [`juhe`]: Juhe's grab-ticket API (seeds 000, 001) as an axum router:
//!   [`juhe::router`] and [`juhe::serve`].
//! - [`otlp`]: a stand-in OpenTelemetry collector that keeps the spans
//!   exported to it over OTLP/gRPC, for tests and the tracing benchmark.

pub mod clock;
pub mod fares;
pub mod identity;
pub mod juhe;
pub mod otlp;
pub mod panhe;
pub mod timetable;
pub mod top;
