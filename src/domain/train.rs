//! Trains, their stops and what a provider offers on them.

use super::{Berth, Fen, ProviderId, SeatClass};
use crate::stations::Station;
use chrono::{NaiveDateTime, NaiveTime};

/// Train type (车次类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrainType {
    /// 高铁 (G).
    HighSpeed,
    /// 动车 (D).
    Emu,
    /// 城际 (C).
    Intercity,
    /// 直达特快 (Z).
    DirectExpress,
    /// 特快 (T).
    Express,
    /// 快速 (K).
    Fast,
    /// Anything else.
    Other,
}

impl TrainType {
    /// Every train type, for exhaustive mapping tests.
    pub const ALL: [TrainType; 7] = [
        TrainType::HighSpeed,
        TrainType::Emu,
        TrainType::Intercity,
        TrainType::DirectExpress,
        TrainType::Express,
        TrainType::Fast,
        TrainType::Other,
    ];
}

/// One train between two stations on one date, with what is on sale.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOption {
    /// Public train number at the boarding station, e.g. "G1".
    pub train_code: String,
    /// 12306 internal train number, needed to look up stops.
    pub train_no: String,
    /// Train type.
    pub train_type: TrainType,
    /// Boarding station.
    pub from_station: Station,
    /// Alighting station.
    pub to_station: Station,
    /// Departure, Asia/Shanghai wall clock.
    pub departure: NaiveDateTime,
    /// Arrival, Asia/Shanghai wall clock.
    pub arrival: NaiveDateTime,
    /// Days between the departure and arrival dates.
    pub arrival_day_offset: u32,
    /// Journey time in minutes.
    pub duration_minutes: u32,
    /// Where the train starts its run.
    pub origin_station_name: String,
    /// Where the train ends its run.
    pub terminal_station_name: String,
    /// Whether seats can be chosen when booking.
    pub seat_choice_supported: bool,
    /// Whether berths can be chosen when booking.
    pub berth_choice_supported: bool,
    /// Seat classes on sale.
    pub seats: Vec<SeatOffer>,
}

/// One provider's offer of one seat class.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatOffer {
    /// Seat class.
    pub seat_class: SeatClass,
    /// Price (for sleepers, the lowest berth price).
    pub price: Fen,
    /// Tickets left.
    pub remaining: u32,
    /// Per-berth prices for sleepers.
    pub berth_prices: Vec<(Berth, Fen)>,
    /// Who offers it.
    pub provider: ProviderId,
    /// Opaque token identifying the offer for Book and GetStops.
    pub offer_id: String,
}

/// One stop of a train's run.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// 1-based position.
    pub sequence: u32,
    /// The station.
    pub station: Station,
    /// Arrival time; none at the origin.
    pub arrival: Option<NaiveTime>,
    /// Departure time; none at the terminus.
    pub departure: Option<NaiveTime>,
    /// Dwell in minutes.
    pub stop_minutes: u32,
    /// Days after the first departure on which the train arrives here.
    pub day_offset: u32,
}
