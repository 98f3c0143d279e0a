//! What seed 003 requires of `book_callback_param`, checked on the raw JSON
//! so the fake does not depend on railgate's own model being right.
//!
//! [`REQUIRED`] lists every field the seed marks 必须, as a path: `[]`
//! means "in every element of this list". A required value must be a
//! non-empty string, a non-empty list or an object.

use serde_json::Value;

/// Every 必须 field of `book_callback_param`, in the seed's order.
pub const REQUIRED: [&str; 29] = [
    "book_train_details",
    "book_train_details[].to_station_name",
    "book_train_details[].arrive_time",
    "book_train_details[].order_total_price",
    "book_train_details[].train_date",
    "book_train_details[].from_station_name",
    "book_train_details[].ticket_num",
    "book_train_details[].to_station_code",
    "book_train_details[].book_ticket_details",
    "book_train_details[].book_ticket_details[].resign_flag",
    "book_train_details[].book_ticket_details[].passenger_info",
    "book_train_details[].book_ticket_details[].passenger_info.passenger_name",
    "book_train_details[].book_ticket_details[].passenger_info.passenger_mobile",
    "book_train_details[].book_ticket_details[].passenger_info.passenger_id_no",
    "book_train_details[].book_ticket_details[].passenger_info.passenger_id_type",
    "book_train_details[].book_ticket_details[].passenger_info.passenger_id",
    "book_train_details[].book_ticket_details[].ticket_type",
    "book_train_details[].book_ticket_details[].seat_type",
    "book_train_details[].book_ticket_details[].ticket_status",
    "book_train_details[].book_ticket_details[].refund_flag",
    "book_train_details[].book_ticket_details[].seat_name",
    "book_train_details[].book_ticket_details[].change_flag",
    "book_train_details[].train_no",
    "book_train_details[].from_station_code",
    "book_train_details[].start_time",
    "supplier_order_id",
    "order_id",
    "order_status",
    "purchase_type",
];

/// The first required field missing from `param`, as a concrete path
/// (`book_train_details[0].book_ticket_details[1].seat_type`).
pub fn first_missing(param: &Value) -> Option<String> {
    REQUIRED
        .iter()
        .find_map(|path| missing_along(param, &path.split('.').collect::<Vec<_>>(), ""))
}

/// Walks `segments` from `value`; `at` is the concrete path so far.
fn missing_along(value: &Value, segments: &[&str], at: &str) -> Option<String> {
    let (segment, rest) = segments.split_first()?;
    let (name, each) = match segment.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (*segment, false),
    };
    let here = if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    };
    let Some(field) = value.get(name).filter(|field| is_present(field)) else {
        return Some(here);
    };
    if rest.is_empty() {
        return None;
    }
    if each {
        let items = field.as_array()?;
        items
            .iter()
            .enumerate()
            .find_map(|(index, item)| missing_along(item, rest, &format!("{here}[{index}]")))
    } else {
        missing_along(field, rest, &here)
    }
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::String(text) => !text.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal valid payload: exactly the required fields, two tickets.
    fn minimal() -> Value {
        let passenger = json!({
            "passenger_name": "x", "passenger_mobile": "x", "passenger_id_no": "x",
            "passenger_id_type": "x", "passenger_id": "x"
        });
        let ticket = json!({
            "resign_flag": "1", "passenger_info": passenger, "ticket_type": "1",
            "seat_type": "1", "ticket_status": "11", "refund_flag": "0",
            "seat_name": "硬座", "change_flag": "1"
        });
        json!({
            "book_train_details": [{
                "to_station_name": "上海", "arrive_time": "2022-10-28 12:00:00",
                "order_total_price": "1000", "train_date": "2022-10-28",
                "from_station_name": "北京", "ticket_num": "2", "to_station_code": "SHH",
                "book_ticket_details": [ticket.clone(), ticket],
                "train_no": "T123", "from_station_code": "BJP",
                "start_time": "2022-10-28 08:00:00"
            }],
            "supplier_order_id": "987654321", "order_id": "123456789",
            "order_status": "11", "purchase_type": "2"
        })
    }

    /// Removes the field at `path`, taking the last element of each list,
    /// and returns the concrete path removed.
    fn remove(param: &mut Value, path: &str) -> String {
        let segments: Vec<&str> = path.split('.').collect();
        let mut value = param;
        let mut concrete = Vec::new();
        for segment in &segments[..segments.len() - 1] {
            match segment.strip_suffix("[]") {
                Some(name) => {
                    let items = value[name].as_array_mut().unwrap();
                    let last = items.len() - 1;
                    concrete.push(format!("{name}[{last}]"));
                    value = &mut items[last];
                }
                None => {
                    concrete.push((*segment).to_owned());
                    value = &mut value[*segment];
                }
            }
        }
        let leaf = segments[segments.len() - 1].trim_end_matches("[]");
        value.as_object_mut().unwrap().remove(leaf).unwrap();
        concrete.push(leaf.to_owned());
        concrete.join(".")
    }

    #[test]
    fn the_minimal_payload_is_complete() {
        assert_eq!(first_missing(&minimal()), None);
    }

    #[test]
    fn every_required_field_is_checked_in_every_element() {
        for path in REQUIRED {
            let mut param = minimal();
            let removed = remove(&mut param, path);
            assert_eq!(first_missing(&param), Some(removed), "{path}");
        }
    }

    #[test]
    fn empty_values_count_as_missing() {
        let mut param = minimal();
        param["order_id"] = json!(" ");
        assert_eq!(first_missing(&param).as_deref(), Some("order_id"));
        let mut param = minimal();
        param["book_train_details"][0]["book_ticket_details"] = json!([]);
        assert_eq!(
            first_missing(&param).as_deref(),
            Some("book_train_details[0].book_ticket_details")
        );
        let mut param = minimal();
        param["purchase_type"] = json!(2);
        assert_eq!(first_missing(&param).as_deref(), Some("purchase_type"));
    }

    #[test]
    fn the_table_is_the_seed_count() {
        // 5 order fields, 11 train fields, 8 ticket fields, 5 passenger
        // fields are 必须 in seed 003; no path twice.
        let unique: std::collections::HashSet<_> = REQUIRED.iter().collect();
        assert_eq!(unique.len(), REQUIRED.len());
        let depth = |path: &&str| path.matches('.').count();
        let counts = [0, 1, 2, 3].map(|d| REQUIRED.iter().filter(|p| depth(p) == d).count());
        assert_eq!(counts, [5, 11, 8, 5]);
    }
}
