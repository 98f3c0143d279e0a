//! dataDictionary.php: the seed's example answer, served byte for byte
//! (its key order included, which a re-serialised map would lose). The
//! code tables in [`super::codes`] are tested against it.

/// The seed's dataDictionary answer, verbatim.
pub const DATA_DICTIONARY: &str = include_str!("data_dictionary.json");

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn is_the_seeds_answer() {
        let dictionary: Value = serde_json::from_str(DATA_DICTIONARY).unwrap();
        assert_eq!(dictionary["error_code"], 0);
        assert_eq!(dictionary["reason"], "success");
        let result = dictionary["result"].as_object().unwrap();
        let keys: Vec<&str> = result.keys().map(String::as_str).collect();
        for key in [
            "tips",
            "idType",
            "passengerType",
            "refundType",
            "seatClass",
            "seatClassCode",
            "trainClass",
            "ticketStateCode",
            "orderStatus",
            "msgCode",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
        assert_eq!(result["tips"].as_array().unwrap().len(), 13);
        assert_eq!(result["msgCode"]["data"]["999"], "未知的失败原因");
        // Key order as in the seed: tips first, msgCode last.
        assert!(DATA_DICTIONARY.find("\"tips\"") < DATA_DICTIONARY.find("\"msgCode\""));
    }
}
