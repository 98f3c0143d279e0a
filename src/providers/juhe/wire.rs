//! Juhe's envelope, search and data dictionary, spelled exactly as seed 001
//! spells them. Only the adapter sees these types. Requests are form
//! fields (`key` is added by the client, never stored here); responses are
//! JSON.
//!
//! The seed's examples write numbers as strings in places and leave amounts
//! blank, so numeric fields go through [`super::lenient`].

use super::lenient;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

/// Every Juhe response: `{reason, result, error_code}`. `result` is kept as
/// JSON until `error_code` says what it should hold (null on failure; the
/// addCallbackUrl answer has `data` instead).
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// 0 on success; a system (100xx) or service (2MMMxx) error otherwise.
    #[serde(deserialize_with = "lenient::number")]
    pub error_code: i64,
    /// "success", the error's text, or (search) "0".
    #[serde(default)]
    pub reason: Option<String>,
    /// The payload; null when absent.
    #[serde(default)]
    pub result: serde_json::Value,
}

/// Every request carries the account key beside its own fields.
#[derive(Serialize)]
pub struct Keyed<'a, B> {
    /// 您申请的key. Borrowed from the client's secret for the one send.
    pub key: &'a str,
    /// The call's own fields.
    #[serde(flatten)]
    pub body: &'a B,
}

/// 票种类型 of 站站查询.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTicketType {
    /// 1: 正常票 (the default when absent).
    Normal,
    /// 2: 学生票 (searchable, but grab orders cannot book it).
    Student,
}

impl Serialize for SearchTicketType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match self {
            SearchTicketType::Normal => 1,
            SearchTicketType::Student => 2,
        })
    }
}

/// Form fields of 站站查询 (search.php).
#[derive(Debug, Serialize)]
pub struct SearchRequest<'a> {
    /// 出发地 (Chinese or pinyin).
    pub from: &'a str,
    /// 目的地.
    pub to: &'a str,
    /// 发车日期, yyyyMMdd (e.g. 20161130).
    pub date: String,
    /// 票种类型; absent means normal tickets.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<SearchTicketType>,
}

/// `result` of 站站查询.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The search's key; submitOrder must echo it (重要).
    pub query_key: String,
    /// Departure station as Juhe resolved it.
    #[serde(default)]
    pub from_station: Option<String>,
    /// Its pinyin code, e.g. "shanghaixi".
    #[serde(default)]
    pub from_station_code: Option<String>,
    /// Arrival station as Juhe resolved it.
    #[serde(default)]
    pub to_station: Option<String>,
    /// Its pinyin code.
    #[serde(default)]
    pub to_station_code: Option<String>,
    /// yyyyMMdd.
    #[serde(default)]
    pub train_date: Option<String>,
    /// Paging fields; the example sends zeros and every train at once.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub page_index: Option<u32>,
    /// See `page_index`.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub page_size: Option<u32>,
    /// Number of trains.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub total_count: Option<u32>,
    /// See `page_index`.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub total_size: Option<u32>,
    /// Matching trains.
    #[serde(default)]
    pub trains: Vec<SearchTrain>,
    /// Stations Juhe matched for `from`.
    #[serde(default)]
    pub froms: Vec<StationMatch>,
    /// Stations Juhe matched for `to`.
    #[serde(default)]
    pub tos: Vec<StationMatch>,
}

/// One train of a search.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchTrain {
    /// Position in the list.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub serial_number: Option<u32>,
    /// The PUBLIC train code (G7066): Juhe's "trainNo" is 12306's
    /// station-train code, not its internal train number.
    pub train_no: String,
    /// HH:mm, departure from `from_station`.
    pub from_time: String,
    /// HH:mm. The seed calls it the arrival "at this station, none at the
    /// origin", and its example (09:02 → 09:00 on a 28-minute run) fits
    /// the arrival at the boarding station, not at the destination; the
    /// arrival is departure + `run_time_span`.
    #[serde(default)]
    pub to_time: Option<String>,
    /// Boarding station name (submitOrder must use it as is).
    pub from_station: String,
    /// Its pinyin code.
    #[serde(default)]
    pub from_station_code: Option<String>,
    /// Alighting station name.
    pub to_station: String,
    /// Its pinyin code.
    #[serde(default)]
    pub to_station_code: Option<String>,
    /// 历时 in minutes (a string in the example).
    #[serde(deserialize_with = "lenient::number")]
    pub run_time_span: u32,
    /// 发站类别: 0 始发, 1 路过.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub from_pass_type: Option<u8>,
    /// 到站类别: 2 终点, 1 路过.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub to_pass_type: Option<u8>,
    /// 可预订级别: 0 不可预订, 1 可预订, 2 全部不可预订, 3 发车前半小时不可预订.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub book_state: Option<u8>,
    /// trainClass dictionary code (GD, D, Z, KT...).
    #[serde(default)]
    pub train_class: Option<String>,
    /// Seat classes keyed by seatClassCode (secondseat, softsleeperdown...).
    #[serde(default)]
    pub tickets: BTreeMap<String, SeatTickets>,
    /// Distance in km (0 in the example).
    #[serde(default, deserialize_with = "lenient::optional")]
    pub miles: Option<u32>,
    /// Whether the ID card boards the train (刷身份证进站).
    #[serde(default, deserialize_with = "lenient::optional")]
    pub pull_in_by_id_card: Option<u8>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// One seat class of a train.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatTickets {
    /// Chinese name (二等座).
    #[serde(default)]
    pub seat_name: Option<String>,
    /// Price in yuan (a JSON number in the example).
    #[serde(deserialize_with = "lenient::number")]
    pub price: Decimal,
    /// 0 不可预定, 1 可预定.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub seat_state: Option<u8>,
    /// 余票数量 (a string in the example).
    #[serde(deserialize_with = "lenient::number")]
    pub seats: u32,
    /// 上铺 price in yuan; 0 when there is none.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub up_price: Option<Decimal>,
    /// 中铺 price; 0 when there is none.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub mid_price: Option<Decimal>,
    /// 下铺 price; 0 when there is none.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub down_price: Option<Decimal>,
}

/// A station Juhe matched for a search term.
#[derive(Debug, Deserialize)]
pub struct StationMatch {
    /// Station name.
    pub station: String,
    /// Where it is (blank in the example).
    #[serde(default)]
    pub location: Option<String>,
}

/// Form fields of 数据字典: only the key.
#[derive(Debug, Serialize)]
pub struct DataDictionaryRequest {}

/// `result` of 数据字典: Juhe's own code tables.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDictionary {
    /// Usage notes (at most five passengers, no students...).
    #[serde(default)]
    pub tips: Vec<String>,
    /// 证件类型 (1-based, unlike submitOrder's 0-based idCardType).
    pub id_type: DictionaryTable,
    /// 乘客类型.
    pub passenger_type: DictionaryTable,
    /// 退款类型 of the refund callback.
    pub refund_type: DictionaryTable,
    /// Numeric seat classes of callbacks.
    pub seat_class: DictionaryTable,
    /// Seat class codes of search and submitOrder.
    pub seat_class_code: DictionaryTable,
    /// Train classes of search.
    pub train_class: DictionaryTable,
    /// Ticket state letters of order detail.
    pub ticket_state_code: DictionaryTable,
    /// Order status letters of order detail.
    pub order_status: DictionaryTable,
    /// Callback msgCodes.
    pub msg_code: DictionaryTable,
}

/// One table of the dictionary.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct DictionaryTable {
    /// Where the table is used.
    #[serde(default)]
    pub msg: String,
    /// Code → meaning.
    pub data: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEARCH: &str = include_str!("testdata/search.json");
    const DICTIONARY: &str = include_str!("testdata/data_dictionary.json");

    fn result<T: serde::de::DeserializeOwned>(json: &str) -> T {
        let envelope: Envelope = serde_json::from_str(json).unwrap();
        assert_eq!(envelope.error_code, 0);
        serde_json::from_value(envelope.result).unwrap()
    }

    #[test]
    fn parses_the_seed_search_example() {
        let search: SearchResult = result(SEARCH);
        assert_eq!(search.query_key, "6d31300d58be4d239af4039c71ddc313");
        assert_eq!(search.train_date.as_deref(), Some("20150514"));
        assert_eq!(search.total_count, Some(1));
        assert_eq!(search.froms[0].station, "上海西");
        assert_eq!(search.tos[0].location.as_deref(), Some(""));
        let train = &search.trains[0];
        assert_eq!(train.train_no, "G7066");
        assert_eq!(train.from_time, "09:02");
        assert_eq!(train.run_time_span, 28);
        assert_eq!(train.from_pass_type, Some(1));
        assert_eq!(train.book_state, Some(1));
        assert_eq!(train.train_class.as_deref(), Some("GD"));
        assert_eq!(train.pull_in_by_id_card, Some(1));
        let codes: Vec<&str> = train.tickets.keys().map(String::as_str).collect();
        assert_eq!(
            codes,
            ["businessseat", "firstseat", "secondseat", "softsleeperdown"]
        );
        let second = &train.tickets["secondseat"];
        assert_eq!(second.seat_name.as_deref(), Some("二等座"));
        assert_eq!(second.price, Decimal::new(295, 1));
        assert_eq!(second.seats, 490);
        assert_eq!(second.mid_price, Some(Decimal::ZERO));
        let sleeper = &train.tickets["softsleeperdown"];
        assert_eq!((sleeper.seat_state, sleeper.seats), (Some(0), 0));
        assert_eq!(sleeper.down_price, Some(Decimal::new(10755, 1)));
    }

    #[test]
    fn parses_the_seed_dictionary() {
        let dictionary: DataDictionary = result(DICTIONARY);
        assert_eq!(dictionary.tips.len(), 13);
        assert_eq!(dictionary.id_type.data["1"], "身份证");
        assert_eq!(dictionary.refund_type.data["online"], "线上退票退款");
        assert_eq!(dictionary.seat_class.data.len(), 20);
        assert_eq!(dictionary.seat_class_code.data.len(), 14);
        assert_eq!(dictionary.train_class.data.len(), 12);
        assert_eq!(dictionary.ticket_state_code.data.len(), 7);
        assert_eq!(dictionary.order_status.data.len(), 9);
        assert_eq!(dictionary.msg_code.data.len(), 66);
    }

    #[test]
    fn reads_error_envelopes_with_null_or_missing_result() {
        let failed: Envelope =
            serde_json::from_str(include_str!("testdata/cancel_order_failed.json")).unwrap();
        assert_eq!(failed.error_code, 223801);
        assert_eq!(failed.reason.as_deref(), Some("抢票取消失败"));
        assert!(failed.result.is_null());
        let registered: Envelope =
            serde_json::from_str(include_str!("testdata/add_callback_url.json")).unwrap();
        assert_eq!(registered.error_code, 0);
        assert!(registered.result.is_null());
        let stringly: Envelope =
            serde_json::from_str(r#"{"error_code":"10001","reason":"错误的请求KEY"}"#).unwrap();
        assert_eq!(stringly.error_code, 10001);
    }
}
