//! Integration tests: the real server on loopback ports, real HTTP to the
//! simulators, called with a tonic client. One test binary on purpose (one
//! link step on a 2-core machine); each area is a module.

mod accounts;
mod alitrip;
mod auth;
mod binary;
mod booking;
mod breaker;
mod callbacks;
mod changes;
mod city_search;
mod crash;
mod database;
mod db_faults;
mod delivery;
mod faults;
mod grab;
mod grab_callbacks;
mod grpcurl;
mod hostile;
mod instances;
mod juhe_adapter;
mod juhe_berths;
mod jwt;
mod limits;
mod listeners;
mod lookup;
mod metrics;
mod multi_provider;
mod panhe_adapter;
mod privacy;
mod process;
mod provider_errors;
mod refund_quotes;
mod scripted;
mod search;
mod server;
mod snapshots;
mod stops;
mod store;
mod support;
mod through_stops;
mod tls;
mod traces;
mod two_sims;
mod watch;
