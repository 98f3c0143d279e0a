//! Network faults between railgate and its providers (issue 19, part 2).
//!
//! A fault-injecting TCP proxy (`proxy`) sits between railgate and each
//! simulator; each cell of the matrix (`matrix`) arms one fault for one
//! endpoint, calls the operation that uses it, and checks what railgate
//! made of it: a mapped answer, an order that settles where the simulator
//! says it is (through the reconciler when the answer was lost), and at
//! most one booking, payment and refund at the simulator, even after the
//! caller retries with the same key. docs/RELIABILITY.md explains the
//! faults and holds the matrix the test writes.
//!
//! # Layout
//! - `proxy`: the proxy and its faults; `proxy_tests`: its own test.
//! - `group`: railgate and both simulators behind proxies.
//! - `observe`: answers, settling, the row a cell yields.
//! - `mutation`: the mutating cell's steps and checks.
//! - `reads`: Search, GetStops and the reconciler's order detail.
//! - `panhe_cells`, `juhe_cells`: each provider's operations.
//! - `table`: the markdown, printed and written into the docs.
//! - `matrix`: the test; `retries`: a caller retrying at once.

mod group;
mod juhe_cells;
mod matrix;
mod mutation;
mod observe;
mod panhe_cells;
mod proxy;
mod proxy_tests;
mod reads;
mod retries;
mod table;
