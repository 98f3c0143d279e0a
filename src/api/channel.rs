//! The downstream channel of a Book request: proto → domain, checked so
//! that the result callback the channel needs can be built later (a
//! missing alitrip passenger id would otherwise surface only when the
//! order is issued, as a dead-lettered notification).

use super::status::Violation;
use crate::domain::Channel;
use crate::proto as pb;

/// Longest id alitrip may pass (its order ids are numeric strings; this
/// only bounds what railgate stores).
const MAX_ID_LENGTH: usize = 64;

/// The domain channel of `channel`, or `None` with violations added.
/// `passengers` are the request's passengers: the channel's callback may
/// need more of them than booking does.
pub fn channel_from_proto(
    channel: Option<pb::Channel>,
    passengers: &[pb::Passenger],
    violations: &mut Vec<Violation>,
) -> Option<Channel> {
    match channel?.kind? {
        pb::channel::Kind::Alitrip(alitrip) => alitrip_channel(alitrip, passengers, violations),
    }
}

/// Bounds of `channel.alitrip.extra`: what alitrip passes through is a
/// handful of short attributes, and each is stored with the order.
const MAX_EXTRA_ENTRIES: usize = 32;
const MAX_EXTRA_KEY_BYTES: usize = 64;
const MAX_EXTRA_VALUE_BYTES: usize = 1024;

fn alitrip_channel(
    alitrip: pb::AlitripChannel,
    passengers: &[pb::Passenger],
    violations: &mut Vec<Violation>,
) -> Option<Channel> {
    const FIELD: &str = "channel.alitrip";
    let before = violations.len();
    for (index, passenger) in passengers.iter().enumerate() {
        alitrip_passenger(index, passenger, violations);
    }
    let passengers = passengers.len();
    let mut require_id = |field: &str, value: &str| {
        if value.trim().is_empty() || value.len() > MAX_ID_LENGTH {
            violations.push(Violation::new(
                format!("{FIELD}.{field}"),
                format!("is required, at most {MAX_ID_LENGTH} bytes"),
            ));
        }
    };
    require_id("order_id", &alitrip.order_id);
    require_id("purchase_type", &alitrip.purchase_type);
    // Counts before items: a list longer than the passengers is not read.
    if alitrip.passenger_ids.len() <= passengers {
        for (index, id) in alitrip.passenger_ids.iter().enumerate() {
            require_id(&format!("passenger_ids[{index}]"), id);
        }
    }
    if alitrip.extra.len() > MAX_EXTRA_ENTRIES {
        violations.push(Violation::new(
            format!("{FIELD}.extra"),
            format!(
                "has {} entries: at most {MAX_EXTRA_ENTRIES}",
                alitrip.extra.len()
            ),
        ));
    } else {
        let mut keys: Vec<&String> = alitrip.extra.keys().collect();
        keys.sort();
        for key in keys {
            let value = &alitrip.extra[key];
            if key.trim().is_empty() || key.len() > MAX_EXTRA_KEY_BYTES {
                violations.push(Violation::new(
                    format!("{FIELD}.extra"),
                    format!("keys are 1 to {MAX_EXTRA_KEY_BYTES} bytes"),
                ));
            } else if value.len() > MAX_EXTRA_VALUE_BYTES {
                violations.push(Violation::new(
                    format!("{FIELD}.extra[{key}]"),
                    format!("is longer than {MAX_EXTRA_VALUE_BYTES} bytes"),
                ));
            }
        }
    }
    if alitrip.passenger_ids.len() != passengers {
        violations.push(Violation::new(
            format!("{FIELD}.passenger_ids"),
            format!(
                "give alitrip's id of every passenger: {} ids for {passengers} passengers",
                alitrip.passenger_ids.len()
            ),
        ));
    }
    (violations.len() == before).then(|| Channel::Alitrip {
        order_id: alitrip.order_id.trim().to_owned(),
        purchase_type: alitrip.purchase_type.trim().to_owned(),
        extra: alitrip.extra.into_iter().collect(),
        passenger_ids: alitrip
            .passenger_ids
            .iter()
            .map(|id| id.trim().to_owned())
            .collect(),
    })
}

/// What seed 003's book callback requires of a passenger beyond booking:
/// `passenger_mobile` (必须), and for any document but the resident ID card
/// `country_code`, `birth_date` and `valid_date_end` ("证件为非身份证类型必传").
/// Refused here, at Book: later the callback could not be built and the
/// result would be dead-lettered.
fn alitrip_passenger(index: usize, passenger: &pb::Passenger, violations: &mut Vec<Violation>) {
    let field = |name: &str| format!("passengers[{index}].{name}");
    if passenger.phone.trim().is_empty() {
        violations.push(Violation::new(
            field("phone"),
            "is required for the alitrip channel (passenger_mobile)",
        ));
    }
    if passenger.id_type == pb::IdType::ResidentIdCard as i32 {
        return;
    }
    for (name, value, callback_field) in [
        ("country_code", &passenger.country_code, "country_code"),
        ("birth_date", &passenger.birth_date, "birth_date"),
        (
            "id_expiry_date",
            &passenger.id_expiry_date,
            "valid_date_end",
        ),
    ] {
        if value.trim().is_empty() {
            violations.push(Violation::new(
                field(name),
                format!(
                    "is required for the alitrip channel when the document is not a resident ID card ({callback_field})"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alitrip(passenger_ids: &[&str]) -> Option<pb::Channel> {
        Some(pb::Channel {
            kind: Some(pb::channel::Kind::Alitrip(pb::AlitripChannel {
                order_id: " 123456789 ".into(),
                purchase_type: "2".into(),
                extra: [("corp".to_owned(), "acme".to_owned())].into(),
                passenger_ids: passenger_ids.iter().map(|id| (*id).to_owned()).collect(),
            })),
        })
    }

    fn resident(phone: &str) -> pb::Passenger {
        pb::Passenger {
            name: "张三".into(),
            id_type: pb::IdType::ResidentIdCard as i32,
            id_number: "11010519491231002X".into(),
            phone: phone.into(),
            ..Default::default()
        }
    }

    fn passengers(count: usize) -> Vec<pb::Passenger> {
        vec![resident("13800138000"); count]
    }

    #[test]
    fn converts_a_complete_alitrip_channel() {
        let mut violations = Vec::new();
        let channel = channel_from_proto(alitrip(&["p1", "p2"]), &passengers(2), &mut violations);
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(
            channel,
            Some(Channel::Alitrip {
                order_id: "123456789".into(),
                purchase_type: "2".into(),
                extra: [("corp".to_owned(), "acme".to_owned())].into(),
                passenger_ids: vec!["p1".into(), "p2".into()],
            })
        );
    }

    #[test]
    fn no_channel_is_none_without_violations() {
        let mut violations = Vec::new();
        assert_eq!(
            channel_from_proto(None, &[resident("")], &mut violations),
            None
        );
        let empty = Some(pb::Channel { kind: None });
        assert_eq!(
            channel_from_proto(empty, &[resident("")], &mut violations),
            None
        );
        assert!(violations.is_empty());
    }

    #[test]
    fn names_every_missing_or_miscounted_id() {
        let mut violations = Vec::new();
        let mut request = alitrip(&["p1", " "]);
        if let Some(pb::Channel {
            kind: Some(pb::channel::Kind::Alitrip(alitrip)),
        }) = &mut request
        {
            alitrip.order_id.clear();
        }
        assert_eq!(
            channel_from_proto(request, &passengers(3), &mut violations),
            None
        );
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "channel.alitrip.order_id",
                "channel.alitrip.passenger_ids[1]",
                "channel.alitrip.passenger_ids",
            ]
        );
    }

    #[test]
    fn names_what_the_callback_will_need_of_each_passenger() {
        let passport = pb::Passenger {
            name: "JOHN SMITH".into(),
            id_type: pb::IdType::Passport as i32,
            id_number: "E12345678".into(),
            phone: "+85291234578".into(),
            country_code: "GB".into(),
            ..Default::default()
        };
        let mut violations = Vec::new();
        let channel = channel_from_proto(
            alitrip(&["p1", "p2"]),
            &[resident(" "), passport.clone()],
            &mut violations,
        );
        assert_eq!(channel, None);
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "passengers[0].phone",
                "passengers[1].birth_date",
                "passengers[1].id_expiry_date",
            ]
        );
        // Complete, the same passport holder is accepted.
        let complete = pb::Passenger {
            birth_date: "2015-06-01".into(),
            id_expiry_date: "2030-12-12".into(),
            ..passport
        };
        let mut violations = Vec::new();
        let channel = channel_from_proto(alitrip(&["p1"]), &[complete], &mut violations);
        assert!(channel.is_some() && violations.is_empty(), "{violations:?}");
    }
}
