//! Seed 003 as the fake reads it: the method, its parameter and answer
//! names, the fields it encrypts, and the few code tables it prints.
//!
//! Where the seed says only "枚举值提供" (values supplied by alitrip, not in
//! the document) — `order_status`, `ticket_status`, `seat_type`,
//! `seat_name`, `passenger_id_type`, `sex` and `purchase_type` — the seed
//! gives the fake nothing to check beyond presence. Those tables are a
//! setting ([`Enumerations`]): unset, any non-empty value is accepted; set,
//! only the listed values are.

/// The one method the fake serves.
pub const METHOD: &str = "alitrip.btrip.supplychain.train.callback.book";

/// The business parameter (`book_callback_param`, a JSON object).
pub const PARAM_NAME: &str = "book_callback_param";

/// The success answer's envelope key (TOP: the method name with `_` for
/// `.`, then `_response`).
pub const RESPONSE_KEY: &str = "alitrip_btrip_supplychain_train_callback_book_response";

/// TOP's API version in the public parameter `v`.
pub const API_VERSION: &str = "2.0";

/// The passenger fields marked SM4加密, in the seed's order.
pub const ENCRYPTED_PASSENGER_FIELDS: [&str; 10] = [
    "passenger_name",
    "passenger_mobile",
    "passenger_id_no",
    "passenger_id_type",
    "country_code",
    "sex",
    "passenger_id",
    "valid_date_start",
    "birth_date",
    "valid_date_end",
];

/// The passenger fields marked 必须 (all of them encrypted).
pub const REQUIRED_PASSENGER_FIELDS: [&str; 5] = [
    "passenger_name",
    "passenger_mobile",
    "passenger_id_no",
    "passenger_id_type",
    "passenger_id",
];

/// Fields "证件为非身份证类型必传": required when the document is not a
/// resident ID card.
pub const REQUIRED_FOR_OTHER_DOCUMENTS: [&str; 3] =
    ["country_code", "birth_date", "valid_date_end"];

/// Passenger fields the seed writes as `yyyy-MM-dd` (after decryption).
pub const PASSENGER_DATE_FIELDS: [&str; 3] = ["valid_date_start", "birth_date", "valid_date_end"];

/// `ticket_type`: "0:儿童票,1:成人票,2:学生票".
pub const TICKET_TYPES: [&str; 3] = ["0", "1", "2"];

/// `resign_flag`, `refund_flag`, `change_flag`: "0:允许,1:不允许".
pub const FLAGS: [&str; 2] = ["0", "1"];

/// The ticket fields that carry a [`FLAGS`] value.
pub const FLAG_FIELDS: [&str; 3] = ["resign_flag", "refund_flag", "change_flag"];

/// The code tables the seed leaves to alitrip ("枚举值提供"). `None`
/// accepts any non-empty value; `Some` only the values listed.
#[derive(Debug, Clone)]
pub struct Enumerations {
    /// Top-level `order_status` ("状态枚举提供").
    pub order_status: Option<Vec<String>>,
    /// Per ticket `ticket_status`.
    pub ticket_status: Option<Vec<String>>,
    /// Per ticket `seat_type` ("枚举值").
    pub seat_type: Option<Vec<String>>,
    /// Per ticket `seat_name`.
    pub seat_name: Option<Vec<String>>,
    /// `passenger_id_type` (decrypted).
    pub passenger_id_type: Option<Vec<String>>,
    /// `sex` (decrypted), when present.
    pub sex: Option<Vec<String>>,
    /// `purchase_type` ("采购模式").
    pub purchase_type: Option<Vec<String>>,
    /// The `passenger_id_type` value that means a resident ID card, for
    /// "证件为非身份证类型必传". The seed's only example pairs type `0`
    /// with an 18-digit resident ID number, so `0` is the default.
    pub resident_id_card_type: String,
}

impl Default for Enumerations {
    fn default() -> Self {
        Enumerations {
            order_status: None,
            ticket_status: None,
            seat_type: None,
            seat_name: None,
            passenger_id_type: None,
            sex: None,
            purchase_type: None,
            resident_id_card_type: "0".to_owned(),
        }
    }
}

/// Whether `value` is allowed by an optional table.
pub fn allowed(table: Option<&Vec<String>>, value: &str) -> bool {
    table.is_none_or(|values| values.iter().any(|known| known == value))
}
