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
/// `passengers` is the number of passengers in the request.
pub fn channel_from_proto(
    channel: Option<pb::Channel>,
    passengers: usize,
    violations: &mut Vec<Violation>,
) -> Option<Channel> {
    match channel?.kind? {
        pb::channel::Kind::Alitrip(alitrip) => alitrip_channel(alitrip, passengers, violations),
    }
}

fn alitrip_channel(
    alitrip: pb::AlitripChannel,
    passengers: usize,
    violations: &mut Vec<Violation>,
) -> Option<Channel> {
    const FIELD: &str = "channel.alitrip";
    let before = violations.len();
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
    for (index, id) in alitrip.passenger_ids.iter().enumerate() {
        require_id(&format!("passenger_ids[{index}]"), id);
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

    #[test]
    fn converts_a_complete_alitrip_channel() {
        let mut violations = Vec::new();
        let channel = channel_from_proto(alitrip(&["p1", "p2"]), 2, &mut violations);
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
        assert_eq!(channel_from_proto(None, 1, &mut violations), None);
        let empty = Some(pb::Channel { kind: None });
        assert_eq!(channel_from_proto(empty, 1, &mut violations), None);
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
        assert_eq!(channel_from_proto(request, 3, &mut violations), None);
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
}
