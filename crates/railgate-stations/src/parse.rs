//! Parsing of 12306's `station_name.js`.
//!
//! The file is one JavaScript statement, `var station_names ='@rec@rec...';`.
//! Each record has 11 `|`-separated fields: 0 three-letter key (not unique,
//! unused here), 1 Chinese name, 2 telecode, 3 full pinyin, 4 pinyin initials,
//! 5 index, 6 city code, 7 city name, 8 country code, 9 country name,
//! 10 English name (8–10 are filled only for the Laos stations).

use super::Station;

/// Number of `|`-separated fields in a record.
const FIELDS: usize = 11;

/// The station list could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StationDataError {
    /// The text is not a `var station_names ='...';` statement.
    #[error("not a 12306 station list: {0}")]
    NotAStationList(&'static str),
    /// The list holds no record.
    #[error("the station list contains no station records")]
    NoRecords,
    /// One record is malformed. `record` counts from 1 in list order.
    #[error("station record #{record} `{text}`: {problem}")]
    BadRecord {
        record: usize,
        /// The record's text (truncated if long).
        text: String,
        problem: RecordProblem,
    },
    /// Two records share a name or telecode, which must be unique.
    #[error("station records #{first} and #{second} have the same {field} {value:?}")]
    Duplicate {
        field: &'static str,
        value: String,
        first: usize,
        second: usize,
    },
}

/// What is wrong with a malformed record.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RecordProblem {
    #[error("expected {FIELDS} `|`-separated fields, found {0}")]
    FieldCount(usize),
    #[error("field {index} ({field}) is empty")]
    EmptyField { index: usize, field: &'static str },
    #[error("station name {0:?} contains whitespace")]
    WhitespaceInName(String),
    #[error("telecode {0:?} is not three uppercase ASCII letters")]
    BadTelecode(String),
    #[error("{field} {value:?} is not lowercase ASCII letters")]
    BadPinyin { field: &'static str, value: String },
    #[error("index {0:?} is not a non-negative integer")]
    BadIndex(String),
}

/// Parse the file into stations (in list order) with their index field.
pub(super) fn parse_records(js: &str) -> Result<Vec<(Station, u32)>, StationDataError> {
    let body = body(js)?;
    let Some(body) = body.strip_prefix('@') else {
        return Err(if body.trim().is_empty() {
            StationDataError::NoRecords
        } else {
            StationDataError::NotAStationList("the quoted list does not start with '@'")
        });
    };
    let mut stations = Vec::with_capacity(body.len() / 48);
    for (i, text) in body.split('@').enumerate() {
        let station = parse_record(text).map_err(|problem| StationDataError::BadRecord {
            record: i + 1,
            text: excerpt(text),
            problem,
        })?;
        stations.push(station);
    }
    Ok(stations)
}

/// The text between the quotes of `var station_names ='...';`.
fn body(js: &str) -> Result<&str, StationDataError> {
    let js = js.trim_start_matches('\u{feff}').trim();
    let (Some(open), Some(close)) = (js.find('\''), js.rfind('\'')) else {
        return Err(StationDataError::NotAStationList(
            "no single-quoted string found",
        ));
    };
    let declaration: String = js[..open].split_whitespace().collect();
    if declaration != "varstation_names=" {
        return Err(StationDataError::NotAStationList(
            "expected `var station_names ='...';`",
        ));
    }
    if open == close {
        return Err(StationDataError::NotAStationList("unterminated string"));
    }
    if !matches!(js[close + 1..].trim(), "" | ";") {
        return Err(StationDataError::NotAStationList(
            "unexpected text after the closing quote",
        ));
    }
    Ok(&js[open + 1..close])
}

fn parse_record(text: &str) -> Result<(Station, u32), RecordProblem> {
    let mut fields = [""; FIELDS];
    let mut count = 0;
    for field in text.split('|') {
        if count < FIELDS {
            fields[count] = field;
        }
        count += 1;
    }
    if count != FIELDS {
        return Err(RecordProblem::FieldCount(count));
    }
    let [
        _key,
        name,
        telecode,
        pinyin,
        initials,
        index,
        _city_code,
        city,
        ..,
    ] = fields;
    for (position, field, value) in [
        (1, "name", name),
        (2, "telecode", telecode),
        (3, "pinyin", pinyin),
        (4, "pinyin initials", initials),
        (5, "index", index),
        (7, "city name", city),
    ] {
        if value.is_empty() {
            return Err(RecordProblem::EmptyField {
                index: position,
                field,
            });
        }
    }
    if name.chars().any(char::is_whitespace) {
        return Err(RecordProblem::WhitespaceInName(name.to_owned()));
    }
    if telecode.len() != 3 || !telecode.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(RecordProblem::BadTelecode(telecode.to_owned()));
    }
    for (field, value) in [("pinyin", pinyin), ("pinyin initials", initials)] {
        if !value.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(RecordProblem::BadPinyin {
                field,
                value: value.to_owned(),
            });
        }
    }
    let index = index
        .parse::<u32>()
        .map_err(|_| RecordProblem::BadIndex(index.to_owned()))?;
    let station = Station {
        telecode: telecode.to_owned(),
        name: name.to_owned(),
        pinyin: pinyin.to_owned(),
        short_pinyin: initials.to_owned(),
        city: city.to_owned(),
    };
    Ok((station, index))
}

/// The first 80 characters of a record, for error messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
