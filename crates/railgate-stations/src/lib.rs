//! The station directory: the official 12306 station list, embedded in the
//! binary and indexed for exact look-ups, resolution of user input and prefix
//! search.
//!
//! The list is `data/station_name.js` (a saved copy of 12306's
//! `station_name.js`, 3,364 stations), compiled in with `include_str!` and
//! parsed once, on first use of [`StationDirectory::embedded`]. Chinese names
//! and telecodes are unique; full pinyin and pinyin initials are not (see
//! below).
//!
//! # Resolution rules ([`StationDirectory::resolve`])
//!
//! The input is trimmed; blank input is [`ResolveError::Empty`]. All
//! whitespace inside the input is ignored (`"贵  阳北"`, `"bei jing nan"`),
//! because 12306 timetables contain such spaced names. Then, first match wins:
//!
//! 1. **Chinese name**, exact (`北京南`). A trailing `站` ("station") is
//!    tolerated: `北京南站` is 北京南 (no station name contains `站`).
//! 2. **Telecode**, if the input is exactly three *uppercase* ASCII letters
//!    (`VNP`).
//! 3. **Full pinyin**, ASCII case-insensitive, apostrophes ignored
//!    (`beijingnan`, `BeiJingNan`, `xi'an`).
//! 4. **Pinyin initials** (简拼), case-insensitive (`shhq`).
//!
//!    Several stations share some pinyin (`nanjing` = 南京 and 南靖) and many
//!    share initials (`bjn` = 北京南 and 宝鸡南). 12306's list opens with a
//!    block of major-city stations (北京北 … 郑州西) before its A–Z listing
//!    starts at the first station whose initials begin with `a` (昂昂溪);
//!    12306's own station picker offers that block first. When exactly one
//!    candidate is in the block, the input means it (`bjn` is 北京南,
//!    `nanjing` is 南京), as it would on 12306; otherwise the input is
//!    [`ResolveError::Ambiguous`] (`szb` = 深圳北 or 苏州北, `sy` = 沈阳 or
//!    水源, ...). Callers always get the resolved station back, so the
//!    choice is visible.
//! 5. **Telecode**, case-insensitive (`vnp`). This comes after the initials,
//!    so a lowercase three-letter input that is somebody's initials means
//!    that station: `tjn` is 天津南 (initials) while `TJN` is 天河机场
//!    (telecode).
//!
//! Otherwise the input is [`ResolveError::Unknown`], with up to five "did you
//! mean" suggestions: the best prefix matches of [`StationDirectory::lookup`],
//! or, when nothing starts with the input, the stations whose pinyin,
//! initials (ASCII input) or name (Chinese input) contain the input or are
//! within a small edit distance of it.
//!
//! Ambiguous candidates and search results are ordered by shorter name first,
//! then by the list's own index (the list starts with the major cities'
//! stations).
//!
//! # Collisions in the April 2026 list
//!
//! * 91 full-pinyin spellings are shared by 188 stations (`fuzhou` = 福州 and
//!   抚州, `nanjing` = 南京 and 南靖, `jinzhou` = 锦州, 金州 and 晋州).
//! * 528 initials are shared by 2,213 stations (`bjn` = 北京南 and 宝鸡南,
//!   `bjx` = 北京西 and 北滘西, `sy` = 22 stations).
//! * 262 initials are, uppercased, the telecode of a different station
//!   (`tjn` → 天津南, `TJN` → 天河机场); rules 2 and 4 decide.
//! * No pinyin equals any initials or any telecode.

mod parse;
mod resolve;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::OnceLock;

pub use parse::{RecordProblem, StationDataError};
pub use resolve::ResolveError;

/// The 12306 station list, compiled into the binary.
const EMBEDDED_JS: &str = include_str!("../../../data/station_name.js");

/// One station of the 12306 list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// 电报码: three uppercase ASCII letters, unique (`VNP`).
    pub telecode: String,
    /// Chinese name, unique (`北京南`).
    pub name: String,
    /// Full pinyin, lowercase ASCII (`beijingnan`).
    pub pinyin: String,
    /// Pinyin initials (简拼), lowercase ASCII (`bjn`); not unique.
    pub short_pinyin: String,
    /// Chinese name of the city the station serves (`北京`).
    pub city: String,
}

impl fmt::Display for Station {
    /// `北京南 (VNP)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.telecode)
    }
}

/// Which station field a sorted index is keyed on.
#[derive(Debug, Clone, Copy)]
enum Field {
    Name,
    Pinyin,
    Initials,
    Telecode,
}

impl Field {
    fn of(self, station: &Station) -> &str {
        match self {
            Field::Name => &station.name,
            Field::Pinyin => &station.pinyin,
            Field::Initials => &station.short_pinyin,
            Field::Telecode => &station.telecode,
        }
    }
}

/// Station ids sorted by one field, for exact and prefix look-ups by binary
/// search without any per-station allocation.
#[derive(Debug)]
struct SortedIndex {
    field: Field,
    ids: Vec<u32>,
}

impl SortedIndex {
    fn build(field: Field, stations: &[Station]) -> SortedIndex {
        // Sort on the key's first 8 bytes held inline (big-endian, zero
        // padded: same order as the strings), falling back to the whole key:
        // most comparisons then touch no heap memory.
        let mut keyed: Vec<(u64, &str, u32)> = stations
            .iter()
            .zip(0u32..)
            .map(|(station, id)| {
                let key = field.of(station);
                let mut head = [0u8; 8];
                let n = key.len().min(8);
                head[..n].copy_from_slice(&key.as_bytes()[..n]);
                (u64::from_be_bytes(head), key, id)
            })
            .collect();
        keyed.sort_unstable();
        let ids = keyed.into_iter().map(|(_, _, id)| id).collect();
        SortedIndex { field, ids }
    }

    fn key<'s>(&self, stations: &'s [Station], id: u32) -> &'s str {
        self.field.of(&stations[id as usize])
    }

    /// Ids whose key equals `key`.
    fn exact(&self, stations: &[Station], key: &str) -> &[u32] {
        let start = self.ids.partition_point(|&id| self.key(stations, id) < key);
        let len = self.ids[start..].partition_point(|&id| self.key(stations, id) == key);
        &self.ids[start..start + len]
    }

    /// Ids whose key starts with `prefix` (contiguous in sorted order).
    fn prefix(&self, stations: &[Station], prefix: &str) -> &[u32] {
        let start = self
            .ids
            .partition_point(|&id| self.key(stations, id) < prefix);
        let len =
            self.ids[start..].partition_point(|&id| self.key(stations, id).starts_with(prefix));
        &self.ids[start..start + len]
    }
}

/// The station list with its look-up indexes. Immutable once built; share
/// [`StationDirectory::embedded`] or an `Arc` of a parsed one.
pub struct StationDirectory {
    /// Stations in list order; a station's id is its position here.
    stations: Vec<Station>,
    /// Per station: (name length in chars, the list's index field), the
    /// ordering used for ambiguous candidates and search results.
    rank: Vec<(u32, u32)>,
    /// List index where 12306's A–Z listing starts: stations before it are
    /// the major-city block that wins shared pinyin and initials.
    major_block_end: u32,
    names: SortedIndex,
    pinyins: SortedIndex,
    initials: SortedIndex,
    telecodes: SortedIndex,
}

impl fmt::Debug for StationDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationDirectory")
            .field("stations", &self.stations.len())
            .finish_non_exhaustive()
    }
}

impl StationDirectory {
    /// The embedded 12306 list, parsed once on first use.
    pub fn embedded() -> &'static StationDirectory {
        static DIRECTORY: OnceLock<StationDirectory> = OnceLock::new();
        DIRECTORY.get_or_init(|| {
            let directory = StationDirectory::parse(EMBEDDED_JS)
                .expect("the embedded 12306 station list is valid (checked by unit tests)");
            tracing::debug!(stations = directory.len(), "station directory loaded");
            directory
        })
    }

    /// Parse a 12306 `station_name.js` file
    /// (`var station_names ='@rec@rec...';`). Every record must be well
    /// formed, and names and telecodes must be unique.
    pub fn parse(js: &str) -> Result<StationDirectory, StationDataError> {
        let records = parse::parse_records(js)?;
        let mut stations = Vec::with_capacity(records.len());
        let mut rank = Vec::with_capacity(records.len());
        let major_block_end = records
            .iter()
            .filter(|(station, _)| station.short_pinyin.starts_with('a'))
            .map(|(_, index)| *index)
            .min()
            .unwrap_or(0);
        for (station, index) in records {
            rank.push((station.name.chars().count() as u32, index));
            stations.push(station);
        }
        let directory = StationDirectory {
            names: SortedIndex::build(Field::Name, &stations),
            pinyins: SortedIndex::build(Field::Pinyin, &stations),
            initials: SortedIndex::build(Field::Initials, &stations),
            telecodes: SortedIndex::build(Field::Telecode, &stations),
            stations,
            rank,
            major_block_end,
        };
        directory.check_unique(&directory.names, "name")?;
        directory.check_unique(&directory.telecodes, "telecode")?;
        Ok(directory)
    }

    fn check_unique(
        &self,
        index: &SortedIndex,
        what: &'static str,
    ) -> Result<(), StationDataError> {
        for pair in index.ids.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if index.key(&self.stations, a) == index.key(&self.stations, b) {
                return Err(StationDataError::Duplicate {
                    field: what,
                    value: index.key(&self.stations, a).to_owned(),
                    // Ids are positions in the list; records count from 1.
                    first: a.min(b) as usize + 1,
                    second: a.max(b) as usize + 1,
                });
            }
        }
        Ok(())
    }

    /// Number of stations.
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    /// True if the directory holds no station.
    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    /// All stations, in list order.
    pub fn iter(&self) -> impl Iterator<Item = &Station> {
        self.stations.iter()
    }

    /// The station with exactly this Chinese name. Whitespace anywhere in
    /// `name` is ignored (timetables contain names like `贵  阳北`).
    pub fn by_name(&self, name: &str) -> Option<&Station> {
        self.by_compact_name(&resolve::compact(name))
    }

    fn by_compact_name(&self, name: &str) -> Option<&Station> {
        self.single(self.names.exact(&self.stations, name))
    }

    /// The station with this telecode, case-insensitive, surrounding
    /// whitespace ignored.
    pub fn by_telecode(&self, code: &str) -> Option<&Station> {
        let code = code.trim().as_bytes();
        if code.len() != 3 || !code.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let upper = code.to_ascii_uppercase();
        let upper = std::str::from_utf8(&upper).ok()?;
        self.single(self.telecodes.exact(&self.stations, upper))
    }

    /// The stations a search for `station` covers when it names a city:
    /// `None` unless the station is its city's namesake (`北京` for 北京),
    /// otherwise the city's stations whose names start with the city's
    /// (北京, 北京南, 北京西, … 北京丰台; at most 10 in the April 2026
    /// list), the namesake first. The city's outlying stations (八达岭,
    /// 怀柔北) are left out: they are other places to a traveller, who can
    /// still search them by name.
    pub fn city_stations(&self, station: &Station) -> Option<Vec<&Station>> {
        if station.name != station.city {
            return None;
        }
        let mut ids: Vec<u32> = self
            .names
            .prefix(&self.stations, &station.city)
            .iter()
            .copied()
            .filter(|&id| self.station(id).city == station.city)
            .collect();
        ids.sort_unstable_by_key(|&id| self.rank(id));
        Some(ids.into_iter().map(|id| self.station(id)).collect())
    }

    fn single(&self, ids: &[u32]) -> Option<&Station> {
        match ids {
            [id] => Some(&self.stations[*id as usize]),
            _ => None,
        }
    }

    fn station(&self, id: u32) -> &Station {
        &self.stations[id as usize]
    }

    /// Whether the station is in the list's leading major-city block.
    fn is_major(&self, id: u32) -> bool {
        self.rank[id as usize].1 < self.major_block_end
    }

    /// Sort key: shorter name first, then the list's index.
    fn rank(&self, id: u32) -> (u32, u32) {
        self.rank[id as usize]
    }
}
