//! Coach and seat numbers, ticket numbers and the other identifiers 12306
//! hands out when seats are held, spelled as the seed's examples spell them:
//! seat `03车厢,01A座`, hard seat `06车厢,066号`, ticket
//! `EF48476727103001A` (12306 order number, batch digit, coach, seat), 12306
//! order `EF48476727`, transaction `202401251227022926631687`.

use std::hash::Hasher;

use chrono::NaiveDateTime;

use super::model::{OrderBook, Ride, Ticket};
use crate::fares::{Berth, SeatClass};

/// How one class's coaches are laid out.
enum Plan {
    /// Rows of lettered seats (G/C/D seat classes).
    Letters {
        first_coach: u32,
        coaches: u32,
        rows: u32,
        letters: &'static [char],
    },
    /// Numbered seats (硬座).
    Numbered {
        first_coach: u32,
        coaches: u32,
        per_coach: u32,
    },
    /// Berths: `slots` compartment sides per coach, one berth of each tier
    /// per slot, numbered `slot × tiers + tier`.
    Berths {
        first_coach: u32,
        coaches: u32,
        slots: u32,
    },
    /// Standing tickets (无座) in one coach.
    Standing { coach: u32 },
}

/// Seat letters of a class, for chooseSeats (`1A1D`).
pub fn seat_letters(seat: SeatClass) -> &'static [char] {
    match seat {
        SeatClass::Business => &['A', 'C', 'F'],
        SeatClass::First => &['A', 'C', 'D', 'F'],
        SeatClass::Second => &['A', 'B', 'C', 'D', 'F'],
        _ => &[],
    }
}

fn plan(seat: SeatClass) -> Plan {
    match seat {
        SeatClass::Business => Plan::Letters {
            first_coach: 1,
            coaches: 1,
            rows: 10,
            letters: seat_letters(seat),
        },
        SeatClass::First => Plan::Letters {
            first_coach: 2,
            coaches: 2,
            rows: 13,
            letters: seat_letters(seat),
        },
        SeatClass::Second => Plan::Letters {
            first_coach: 4,
            coaches: 13,
            rows: 18,
            letters: seat_letters(seat),
        },
        SeatClass::HardSeat => Plan::Numbered {
            first_coach: 1,
            coaches: 5,
            per_coach: 118,
        },
        SeatClass::NoSeat => Plan::Standing { coach: 5 },
        SeatClass::HardSleeper => Plan::Berths {
            first_coach: 6,
            coaches: 7,
            slots: 22,
        },
        SeatClass::SoftSleeper => Plan::Berths {
            first_coach: 13,
            coaches: 2,
            slots: 18,
        },
        SeatClass::SecondClassSleeper => Plan::Berths {
            first_coach: 8,
            coaches: 8,
            slots: 22,
        },
        SeatClass::FirstClassSleeper => Plan::Berths {
            first_coach: 2,
            coaches: 3,
            slots: 18,
        },
    }
}

fn berth_name(berth: Berth) -> &'static str {
    match berth {
        Berth::Lower => "下铺",
        Berth::Middle => "中铺",
        Berth::Upper => "上铺",
    }
}

/// Allocate the ticket's seat on its ride and number the ticket. Seats never
/// repeat within a train and date (each class and berth tier has a counter).
pub fn assign_seat(
    book: &mut OrderBook,
    ride: &Ride,
    ticket: &mut Ticket,
    order_no_12306: &str,
    batch: u32,
) {
    let key = (ride.train_no.clone(), ride.date, ticket.seat, ticket.berth);
    let counter = book.seat_counters.entry(key).or_default();
    let (coach, seat_no, seat_part) = match plan(ticket.seat) {
        Plan::Letters {
            first_coach,
            coaches,
            rows,
            letters,
        } => {
            // A chosen letter takes the next free seat with that letter.
            let mut index = *counter;
            if let Some(wanted) = ticket.chosen_letter {
                while letters[index as usize % letters.len()] != wanted {
                    index += 1;
                }
            }
            *counter = index + 1;
            let per_coach = rows * letters.len() as u32;
            let coach = first_coach + (index / per_coach) % coaches;
            let within = index % per_coach;
            let row = within / letters.len() as u32 + 1;
            let letter = letters[(within % letters.len() as u32) as usize];
            (
                coach,
                format!("{coach:02}车厢,{row:02}{letter}座"),
                format!("{row:03}{letter}"),
            )
        }
        Plan::Numbered {
            first_coach,
            coaches,
            per_coach,
        } => {
            let index = *counter;
            *counter += 1;
            let coach = first_coach + (index / per_coach) % coaches;
            let number = index % per_coach + 1;
            (
                coach,
                format!("{coach:02}车厢,{number:03}号"),
                format!("{number:04}"),
            )
        }
        Plan::Berths {
            first_coach,
            coaches,
            slots,
        } => {
            let berth = ticket.berth.unwrap_or(Berth::Upper);
            let tiers = ticket.seat.berths().len() as u32;
            let tier = match berth {
                Berth::Lower => 1,
                Berth::Middle => 2,
                Berth::Upper => tiers,
            };
            let index = *counter;
            *counter += 1;
            let coach = first_coach + (index / slots) % coaches;
            let number = (index % slots) * tiers + tier;
            (
                coach,
                format!("{coach:02}车厢,{number:03}号{}", berth_name(berth)),
                format!("{number:04}"),
            )
        }
        Plan::Standing { coach } => {
            let index = *counter;
            *counter += 1;
            (
                coach,
                format!("{coach:02}车厢,无座"),
                format!("9{:03}", index % 1000),
            )
        }
    };
    ticket.seat_no = Some(seat_no);
    ticket.ticket_no = Some(format!(
        "{order_no_12306}{}{coach:02}{seat_part}",
        batch % 10
    ));
}

fn hash(parts: &[&str]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    for part in parts {
        hasher.write(part.as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// A 12306 order number (`EF48476727`), stable for a Panhe order number.
pub fn order_no_12306(order_no: &str) -> String {
    let hash = hash(&[order_no]);
    let letter = char::from(b'A' + (hash % 26) as u8);
    format!("E{letter}{:08}", (hash >> 8) % 100_000_000)
}

/// The gate (`检票口2B`), stable for a train and station.
pub fn ticket_entrance(ride: &Ride) -> String {
    let hash = hash(&[&ride.train_no, &ride.from_station]);
    let side = if hash % 2 == 0 { 'A' } else { 'B' };
    format!("检票口{}{side}", (hash >> 1) % 20 + 1)
}

/// A payment or refund transaction number: time to the second plus ten
/// digits (`202401251227022926631687`).
pub fn transaction_no(at: NaiveDateTime, sequence: u64) -> String {
    let digits = hash(&[&sequence.to_string(), &at.to_string()]) % 10_000_000_000;
    format!("{}{digits:010}", at.format("%Y%m%d%H%M%S"))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::panhe::orders::model::{Passenger, RefundInfo, TicketStatus};

    fn ride() -> Ride {
        let date = NaiveDate::from_ymd_opt(2026, 5, 3).unwrap();
        Ride {
            train_no: "5l000G719900".into(),
            train_code: "G7199".into(),
            from_station: "苏州北".into(),
            to_station: "昆山南".into(),
            date,
            depart: date.and_hms_opt(6, 57, 0).unwrap(),
            arrive: date.and_hms_opt(7, 8, 0).unwrap(),
            fares: Vec::new(),
            supports_seat_choice: true,
        }
    }

    fn ticket(seat: SeatClass, berth: Option<Berth>, letter: Option<char>) -> Ticket {
        Ticket {
            passenger: Passenger {
                passenger_id: 1,
                name: "张飞".into(),
                card_type: 1,
                card_no: String::new(),
                mobile: String::new(),
                ticket_type: 1,
            },
            requested: seat,
            seat,
            berth,
            chosen_letter: letter,
            ticket_no: None,
            seat_no: None,
            status: TicketStatus::Holding,
            price_fen: 1300,
            refund: RefundInfo::default(),
            holds_inventory: false,
        }
    }

    #[test]
    fn numbers_look_like_the_seeds() {
        let mut book = OrderBook::default();
        let mut first = ticket(SeatClass::Second, None, None);
        assign_seat(&mut book, &ride(), &mut first, "EF48476727", 1);
        assert_eq!(first.seat_no.as_deref(), Some("04车厢,01A座"));
        assert_eq!(first.ticket_no.as_deref(), Some("EF48476727104001A"));
        let mut second = ticket(SeatClass::Second, None, None);
        assign_seat(&mut book, &ride(), &mut second, "EF48476727", 1);
        assert_eq!(second.seat_no.as_deref(), Some("04车厢,01B座"));
        // A chosen F skips to the next F.
        let mut chosen = ticket(SeatClass::Second, None, Some('F'));
        assign_seat(&mut book, &ride(), &mut chosen, "EF48476727", 1);
        assert_eq!(chosen.seat_no.as_deref(), Some("04车厢,01F座"));
        let mut hard = ticket(SeatClass::HardSeat, None, None);
        assign_seat(&mut book, &ride(), &mut hard, "EF48476727", 4);
        assert_eq!(hard.seat_no.as_deref(), Some("01车厢,001号"));
        assert_eq!(hard.ticket_no.as_deref(), Some("EF484767274010001"));
        let mut berth = ticket(SeatClass::HardSleeper, Some(Berth::Lower), None);
        assign_seat(&mut book, &ride(), &mut berth, "EF48476727", 1);
        assert_eq!(berth.seat_no.as_deref(), Some("06车厢,001号下铺"));
        let mut upper = ticket(SeatClass::SoftSleeper, Some(Berth::Upper), None);
        assign_seat(&mut book, &ride(), &mut upper, "EF48476727", 1);
        assert_eq!(upper.seat_no.as_deref(), Some("13车厢,002号上铺"));
        let mut standing = ticket(SeatClass::NoSeat, None, None);
        assign_seat(&mut book, &ride(), &mut standing, "EF48476727", 1);
        assert_eq!(standing.seat_no.as_deref(), Some("05车厢,无座"));
        assert_eq!(standing.ticket_no.as_deref(), Some("EF484767271059000"));
    }

    #[test]
    fn identifiers_have_the_seeds_shape() {
        let no = order_no_12306("T26050110000010001");
        assert_eq!(no.len(), 10);
        assert!(no.starts_with('E'));
        assert!(no[2..].chars().all(|c| c.is_ascii_digit()));
        assert_eq!(no, order_no_12306("T26050110000010001"));
        let at = NaiveDate::from_ymd_opt(2024, 1, 25)
            .unwrap()
            .and_hms_opt(12, 27, 2)
            .unwrap();
        let txn = transaction_no(at, 7);
        assert_eq!(txn.len(), 24);
        assert!(txn.starts_with("20240125122702"));
        assert!(ticket_entrance(&ride()).starts_with("检票口"));
    }
}
