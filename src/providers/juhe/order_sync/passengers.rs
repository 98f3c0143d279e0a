//! Which ticket a Juhe payload's passenger entry is about. Juhe names a
//! passenger by its own passengerId once it has one, and otherwise by name
//! and document, both often masked (`魏XX`, `320382XXXXXXX3916`,
//! `xxxxxxxxxxxxxxx`), and lists passengers in the order submitted.

use crate::domain::{IdType, Ticket};

/// How one payload entry names its passenger.
#[derive(Debug, Clone, Copy, Default)]
pub struct WirePassenger<'a> {
    /// Juhe's passengerId, when the payload has one.
    pub passenger_id: Option<&'a str>,
    /// The ticket number, when the payload has one.
    pub ticket_number: Option<&'a str>,
    /// Name as shown (maybe masked).
    pub name: &'a str,
    /// Document type, when the payload has a known one.
    pub id_type: Option<IdType>,
    /// Document number as shown (maybe masked, maybe blank).
    pub id_number: Option<&'a str>,
}

/// The ticket index for each entry of `wire`, claiming each ticket at most
/// once: first by passengerId or ticket number, then by name and document
/// (masked characters match anything), then by position.
pub fn match_tickets(tickets: &[Ticket], wire: &[WirePassenger<'_>]) -> Vec<Option<usize>> {
    let mut matched: Vec<Option<usize>> = vec![None; wire.len()];
    let mut claimed = vec![false; tickets.len()];
    // (entry position, ticket index, ticket, entry) → whether they match.
    type Pass = dyn Fn(usize, usize, &Ticket, &WirePassenger<'_>) -> bool;
    let passes: [&Pass; 3] = [
        &|_, _, ticket, entry| same_ids(ticket, entry),
        &|_, _, ticket, entry| compatible_ids(ticket, entry) && same_identity(ticket, entry),
        &|position, index, ticket, entry| position == index && compatible_ids(ticket, entry),
    ];
    for pass in passes {
        for (position, entry) in wire.iter().enumerate() {
            if matched[position].is_some() {
                continue;
            }
            let found = tickets
                .iter()
                .enumerate()
                .find(|(index, ticket)| !claimed[*index] && pass(position, *index, ticket, entry))
                .map(|(index, _)| index);
            if let Some(index) = found {
                claimed[index] = true;
                matched[position] = Some(index);
            }
        }
    }
    matched
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// The entry carries the ticket's passengerId or ticket number.
fn same_ids(ticket: &Ticket, entry: &WirePassenger<'_>) -> bool {
    let same_passenger = non_blank(entry.passenger_id)
        .is_some_and(|id| ticket.provider_passenger_id.as_deref() == Some(id));
    let same_ticket = non_blank(entry.ticket_number)
        .is_some_and(|number| ticket.ticket_number.as_deref() == Some(number));
    same_passenger || same_ticket
}

/// The entry does not carry a passengerId other than the ticket's.
fn compatible_ids(ticket: &Ticket, entry: &WirePassenger<'_>) -> bool {
    match (
        non_blank(entry.passenger_id),
        ticket.provider_passenger_id.as_deref(),
    ) {
        (Some(wire), Some(known)) => wire == known,
        _ => true,
    }
}

fn same_identity(ticket: &Ticket, entry: &WirePassenger<'_>) -> bool {
    let passenger = &ticket.passenger;
    shown_matches(entry.name, passenger.name.expose())
        && entry
            .id_type
            .is_none_or(|id_type| id_type == passenger.id_type)
        && non_blank(entry.id_number)
            .is_none_or(|shown| shown_matches(shown, passenger.id_number.expose()))
}

fn is_mask(c: char) -> bool {
    matches!(c, '*' | 'X' | 'x')
}

/// Whether a value as Juhe shows it could be `raw`: equal apart from
/// masked characters, or, when the mask changed the length
/// (`320382XXXXXXX3916` for an 18-character number), the same unmasked
/// start and end. A blank shown value says nothing and matches.
pub fn shown_matches(shown: &str, raw: &str) -> bool {
    let shown: Vec<char> = shown.trim().chars().collect();
    let raw: Vec<char> = raw.trim().chars().collect();
    if shown.is_empty() {
        return true;
    }
    let same = |shown: &char, raw: &char| shown.eq_ignore_ascii_case(raw);
    if shown.len() == raw.len() {
        return shown
            .iter()
            .zip(&raw)
            .all(|(shown, raw)| is_mask(*shown) || same(shown, raw));
    }
    if !shown.iter().any(|c| is_mask(*c)) {
        return false;
    }
    let head = shown.iter().take_while(|c| !is_mask(**c)).count();
    let tail = shown.iter().rev().take_while(|c| !is_mask(**c)).count();
    raw.len() >= head + tail
        && shown[..head].iter().zip(&raw).all(|(s, r)| same(s, r))
        && shown[shown.len() - tail..]
            .iter()
            .zip(&raw[raw.len() - tail..])
            .all(|(s, r)| same(s, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdNumber, Passenger, PassengerType, PersonName, SeatClass};

    fn ticket(name: &str, id: &str) -> Ticket {
        Ticket::new(
            Passenger {
                name: PersonName::new(name.into()).unwrap(),
                id_type: IdType::ResidentIdCard,
                id_number: IdNumber::new(id.into()).unwrap(),
                passenger_type: PassengerType::Adult,
                phone: None,
                birth_date: None,
                sex: None,
                country_code: None,
                id_expiry_date: None,
            },
            SeatClass::HardSeat,
            None,
        )
    }

    fn named<'a>(name: &'a str, id: &'a str) -> WirePassenger<'a> {
        WirePassenger {
            name,
            id_number: Some(id),
            ..WirePassenger::default()
        }
    }

    #[test]
    fn masked_values_match_their_raw_values() {
        assert!(shown_matches("320382XXXXXXX3916", "320382199001013916"));
        assert!(shown_matches("320382XXXXXXXX3916", "320382199001013916"));
        assert!(shown_matches("xxxxxxxxxxxxxxxxxx", "320382199001013916"));
        assert!(shown_matches("魏XX", "魏大伟"));
        assert!(shown_matches("1599****577", "15991234577"));
        assert!(shown_matches("", "anything"));
        assert!(!shown_matches("320382XXXXXXX3917", "320382199001013916"));
        assert!(!shown_matches("魏XX", "李大伟"));
        assert!(!shown_matches("张三", "张四"));
        assert!(!shown_matches("3203821990", "320382199001013916"));
        assert!(
            shown_matches("XXXXXXXXXX", "320382"),
            "a fully masked value says nothing"
        );
    }

    #[test]
    fn matches_by_identity_before_position() {
        let tickets = [
            ticket("李三", "341122199202021958"),
            ticket("张飞", "34112219900101196X"),
        ];
        // Listed in the other order, masked.
        let wire = [
            named("张X", "341122XXXXXXXX196X"),
            named("李X", "341122XXXXXXXX1958"),
        ];
        assert_eq!(match_tickets(&tickets, &wire), [Some(1), Some(0)]);
    }

    #[test]
    fn ids_win_and_unknown_entries_fall_back_to_position() {
        let mut tickets = [
            ticket("李三", "341122199202021958"),
            ticket("张飞", "34112219900101196X"),
        ];
        tickets[1].provider_passenger_id = Some("615151438".into());
        tickets[0].ticket_number = Some("E5667813811020007".into());
        let by_ids = [
            WirePassenger {
                passenger_id: Some("615151438"),
                name: "XXX",
                ..WirePassenger::default()
            },
            WirePassenger {
                ticket_number: Some("E5667813811020007"),
                name: "XXX",
                ..WirePassenger::default()
            },
        ];
        assert_eq!(match_tickets(&tickets, &by_ids), [Some(1), Some(0)]);
        // Fully masked: only the position says which.
        let masked = [named("XXX", "XXXXXXXXXXXXXXXXXX")];
        let fresh = [ticket("王小明", "341122199202021958")];
        assert_eq!(match_tickets(&fresh, &masked), [Some(0)]);
    }

    #[test]
    fn a_foreign_passenger_id_claims_nothing() {
        let mut tickets = [ticket("李三", "341122199202021958")];
        tickets[0].provider_passenger_id = Some("1".into());
        let wire = [WirePassenger {
            passenger_id: Some("2"),
            name: "李三",
            ..WirePassenger::default()
        }];
        assert_eq!(match_tickets(&tickets, &wire), [None]);
        let extra = [named("李三", ""), named("赵四", "")];
        let fresh = [ticket("李三", "341122199202021958")];
        assert_eq!(match_tickets(&fresh, &extra), [Some(0), None]);
    }
}
