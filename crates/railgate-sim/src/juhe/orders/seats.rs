//! Coach and seat numbers and ticket numbers, spelled as seed 001's
//! examples spell them: seat `07车厢,009号`, the order's 12306 number
//! (`ticketNo`) `E345091034`, a passenger's ticket (`pTicketNo`)
//! `E3450910341070009`: the order's number, `1`, the coach (2 digits) and
//! the seat (4 characters).

use std::hash::Hasher;

use super::model::{OrderBook, Ride, SoldSeat};
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

fn plan(seat: SeatClass) -> Plan {
    match seat {
        SeatClass::Business => Plan::Letters {
            first_coach: 1,
            coaches: 1,
            rows: 10,
            letters: &['A', 'C', 'F'],
        },
        SeatClass::First => Plan::Letters {
            first_coach: 2,
            coaches: 2,
            rows: 13,
            letters: &['A', 'C', 'D', 'F'],
        },
        SeatClass::Second => Plan::Letters {
            first_coach: 4,
            coaches: 13,
            rows: 18,
            letters: &['A', 'B', 'C', 'D', 'F'],
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

/// Allocate the next seat of a class (and berth tier) on a ride and number
/// its ticket. Seats never repeat within a train and date.
pub fn assign(
    book: &mut OrderBook,
    ride: &Ride,
    seat: SeatClass,
    berth: Option<Berth>,
    ticket_no: &str,
) -> SoldSeat {
    let counter = book
        .seat_counters
        .entry((ride.train_no.clone(), ride.date, seat, berth))
        .or_default();
    let index = *counter;
    *counter += 1;
    let (coach, seat_no, seat_part) = match plan(seat) {
        Plan::Letters {
            first_coach,
            coaches,
            rows,
            letters,
        } => {
            let per_coach = rows * letters.len() as u32;
            let coach = first_coach + (index / per_coach) % coaches;
            let within = index % per_coach;
            let row = within / letters.len() as u32 + 1;
            let letter = letters[(within % letters.len() as u32) as usize];
            (
                coach,
                format!("{coach:02}车厢,{row:02}{letter}号"),
                format!("{row:03}{letter}"),
            )
        }
        Plan::Numbered {
            first_coach,
            coaches,
            per_coach,
        } => {
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
            let berth = berth.unwrap_or(Berth::Upper);
            let tiers = seat.berths().len() as u32;
            let tier = match berth {
                Berth::Lower => 1,
                Berth::Middle => 2,
                Berth::Upper => tiers,
            };
            let coach = first_coach + (index / slots) % coaches;
            let number = (index % slots) * tiers + tier;
            (
                coach,
                format!("{coach:02}车厢,{number:03}号{}", berth_name(berth)),
                format!("{number:04}"),
            )
        }
        Plan::Standing { coach } => (
            coach,
            format!("{coach:02}车厢,无座"),
            format!("9{:03}", index % 1000),
        ),
    };
    SoldSeat {
        seat,
        berth,
        seat_no,
        p_ticket_no: format!("{ticket_no}1{coach:02}{seat_part}"),
    }
}

/// The order's 12306 number (`E345091034`), stable for a Juhe order number.
pub fn ticket_no(order_no: &str) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(order_no.as_bytes());
    format!("E{:09}", hasher.finish() % 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn ride() -> Ride {
        let date = NaiveDate::from_ymd_opt(2026, 5, 3).unwrap();
        Ride {
            train_no: "5l000G719900".into(),
            train_code: "G7199".into(),
            from_station: "苏州北".into(),
            to_station: "昆山南".into(),
            from_code: "suzhoubei".into(),
            to_code: "kunshannan".into(),
            date,
            depart: date.and_hms_opt(6, 57, 0).unwrap(),
            arrive: date.and_hms_opt(7, 8, 0).unwrap(),
            fares: Vec::new(),
        }
    }

    #[test]
    fn numbers_look_like_the_seeds() {
        let mut book = OrderBook::default();
        let ride = ride();
        let hard = assign(&mut book, &ride, SeatClass::HardSeat, None, "E345091034");
        assert_eq!(hard.seat_no, "01车厢,001号");
        assert_eq!(hard.p_ticket_no, "E3450910341010001");
        assert_eq!(hard.p_ticket_no.len(), "E3450910341070009".len());
        let second = assign(&mut book, &ride, SeatClass::HardSeat, None, "E345091034");
        assert_eq!(second.seat_no, "01车厢,002号");
        let seat = assign(&mut book, &ride, SeatClass::Second, None, "E345091034");
        assert_eq!(seat.seat_no, "04车厢,01A号");
        assert_eq!(seat.p_ticket_no, "E345091034104001A");
        let berth = assign(
            &mut book,
            &ride,
            SeatClass::HardSleeper,
            Some(Berth::Lower),
            "E345091034",
        );
        assert_eq!(berth.seat_no, "06车厢,001号下铺");
        let standing = assign(&mut book, &ride, SeatClass::NoSeat, None, "E345091034");
        assert_eq!(standing.seat_no, "05车厢,无座");
        assert_eq!(standing.p_ticket_no, "E3450910341059000");
    }

    #[test]
    fn ticket_numbers_are_e_and_nine_digits() {
        let no = ticket_no("TFT260501100000ABCDEF012345");
        assert_eq!(no.len(), "E345091034".len());
        assert!(no.starts_with('E') && no[1..].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(no, ticket_no("TFT260501100000ABCDEF012345"));
    }
}
