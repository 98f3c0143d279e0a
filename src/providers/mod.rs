//! Provider adapters: each folder translates the neutral model to one
//! provider's REST API and back. Provider types never leave their folder.

pub mod error;
pub mod juhe;
pub mod panhe;
pub mod seat_no;
pub mod stack;

pub use error::{ProviderError, RejectReason};

use crate::domain::TrainOption;
use crate::stations::Station;
use chrono::NaiveDate;

/// A search for trains between two stations on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Boarding station.
    pub from: Station,
    /// Alighting station.
    pub to: Station,
    /// Travel date at the boarding station.
    pub date: NaiveDate,
}

/// A request for one train's stops, identified as providers need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopsQuery {
    /// Public train number.
    pub train_code: String,
    /// 12306 internal train number.
    pub train_no: String,
    /// Travel date at the boarding station.
    pub date: NaiveDate,
    /// Boarding station name.
    pub from_station: String,
    /// Alighting station name.
    pub to_station: String,
}

/// What a provider's search produced: the trains, plus notes about provider
/// values that could not be mapped and were left out (never guessed).
#[derive(Debug, Default)]
pub struct SearchAnswer {
    /// Trains with at least the mappable seat classes.
    pub trains: Vec<TrainOption>,
    /// One line per left-out train or seat class.
    pub skipped: Vec<String>,
}
