//! Book's grab dates and departure window: parsed with the request, then
//! each alternative date's offers found by searching the provider again
//! for the same trains and classes (see `orders::grab_dates`).

use super::ApiState;
use super::status::{ApiError, Violation};
use crate::domain::time::parse_travel_date;
use crate::domain::{Offer, SeatClass};
use crate::orders::BookCommand;
use crate::orders::grab_dates::{DatedOffers, DepartureWindow};
use crate::orders::grab_party::PartyRule;
use crate::proto as pb;
use crate::providers::SearchQuery;
use chrono::NaiveTime;

/// Most alternative dates one grab Book may list (one order each).
pub const MAX_GRAB_DATES: usize = 6;

/// The window and the alternative dates (their offers still to find).
pub(super) fn parse(
    state: &ApiState,
    grab: &pb::GrabOptions,
    violations: &mut Vec<Violation>,
) -> (DepartureWindow, Vec<DatedOffers>) {
    let mut time = |field: &str, text: &str| -> Option<NaiveTime> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        NaiveTime::parse_from_str(text, "%H:%M")
            .map_err(|_| violations.push(Violation::new(field, "must be a time of day, \"HH:MM\"")))
            .ok()
    };
    let window = DepartureWindow {
        after: time("grab.depart_after", &grab.depart_after),
        before: time("grab.depart_before", &grab.depart_before),
    };
    if let (Some(after), Some(before)) = (window.after, window.before)
        && after > before
    {
        violations.push(Violation::new(
            "grab.depart_before",
            "must not be earlier than grab.depart_after",
        ));
    }
    if grab.alternative_dates.len() > MAX_GRAB_DATES {
        violations.push(Violation::new(
            "grab.alternative_dates",
            format!("must list at most {MAX_GRAB_DATES} dates"),
        ));
        return (window, Vec::new());
    }
    let today = state.clock.today();
    let mut dated: Vec<DatedOffers> = Vec::new();
    for (index, text) in grab.alternative_dates.iter().enumerate() {
        let field = format!("grab.alternative_dates[{index}]");
        match parse_travel_date(text, today) {
            Ok(date) if dated.iter().any(|other| other.date == date) => {
                violations.push(Violation::new(field, "is listed twice"));
            }
            Ok(date) => dated.push(DatedOffers {
                date,
                offers: Vec::new(),
            }),
            Err(error) => violations.push(Violation::new(field, error.to_string())),
        }
    }
    (window, dated)
}

/// With `accept_partial_party`, the fewest travellers worth the journey.
pub(super) fn party_rule(
    grab: &pb::GrabOptions,
    passengers: &[pb::Passenger],
    violations: &mut Vec<Violation>,
) -> Option<PartyRule> {
    let size = passengers.len();
    if !grab.accept_partial_party {
        if grab.min_seats != 0 {
            violations.push(Violation::new(
                "grab.min_seats",
                "needs grab.accept_partial_party (otherwise the whole party travels or none)",
            ));
        }
        return None;
    }
    if !grab.alternative_dates.is_empty() {
        violations.push(Violation::new(
            "grab.accept_partial_party",
            "cannot be combined with grab.alternative_dates yet",
        ));
    }
    if let Some(index) = passengers
        .iter()
        .position(|passenger| passenger.passenger_type == pb::PassengerType::Child as i32)
    {
        violations.push(Violation::new(
            format!("passengers[{index}].passenger_type"),
            "a child travels on an adult's order, so the party cannot be split",
        ));
    }
    let min_issued = match usize::try_from(grab.min_seats) {
        Ok(0) => 1,
        Ok(min) if min <= size.max(1) => min,
        _ => {
            violations.push(Violation::new(
                "grab.min_seats",
                format!("must be from 1 to the party's size ({size}); 0 means 1"),
            ));
            1
        }
    };
    Some(PartyRule {
        min_issued: u32::try_from(min_issued).unwrap_or(1),
    })
}

/// Checks the named offers against the window, then finds each
/// alternative date's offers: the same trains (by code) in the same
/// classes from the same provider, leaving within the window. A date on
/// which none runs is refused before anything is booked.
pub(super) async fn find_offers(
    state: &ApiState,
    command: &mut BookCommand,
) -> Result<(), ApiError> {
    let Some(grab) = command.grab.as_mut() else {
        return Ok(());
    };
    let mut violations = Vec::new();
    let named = std::iter::once(("offer_id".to_owned(), &command.offer)).chain(
        grab.alternatives
            .iter()
            .enumerate()
            .map(|(index, offer)| (format!("grab.alternative_offer_ids[{index}]"), offer)),
    );
    for (field, offer) in named {
        if !grab.window.contains(offer.departure) {
            violations.push(Violation::new(
                field,
                format!(
                    "leaves at {}, outside the window {}",
                    offer.departure.format("%H:%M"),
                    grab.window
                ),
            ));
        }
    }
    let wanted: Vec<(String, SeatClass)> = std::iter::once(&command.offer)
        .chain(&grab.alternatives)
        .map(|offer| (offer.train_code.clone(), offer.seat_class))
        .collect();
    let main_date = command.offer.departure.date();
    let (from, to) = (
        state.stations.by_name(&command.offer.from_station),
        state.stations.by_name(&command.offer.to_station),
    );
    for (index, dated) in grab.dated.iter_mut().enumerate() {
        let field = format!("grab.alternative_dates[{index}]");
        if dated.date == main_date {
            violations.push(Violation::new(field, "is the offer's own date"));
            continue;
        }
        let (Some(from), Some(to)) = (from, to) else {
            violations.push(Violation::new(
                field,
                "the offer's stations are not in the station list",
            ));
            continue;
        };
        let query = SearchQuery {
            from: from.clone(),
            to: to.clone(),
            date: dated.date,
        };
        let result = state
            .router
            .search(&query, &[command.offer.provider])
            .await?;
        dated.offers = same_trains(
            state,
            &result.trains,
            &wanted,
            command.offer.provider,
            &grab.window,
        );
        if dated.offers.is_empty() {
            violations.push(Violation::new(
                field,
                format!(
                    "none of the trains runs on {} within the window {} with the classes asked for",
                    dated.date, grab.window
                ),
            ));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidArgument(violations))
    }
}

/// The offers of `trains` that match `wanted` (train code and class) from
/// `provider` within `window`, in `wanted`'s order.
fn same_trains(
    state: &ApiState,
    trains: &[std::sync::Arc<crate::domain::TrainOption>],
    wanted: &[(String, SeatClass)],
    provider: crate::domain::ProviderId,
    window: &DepartureWindow,
) -> Vec<Offer> {
    let mut offers: Vec<Offer> = Vec::new();
    for (code, class) in wanted {
        let Some(train) = trains
            .iter()
            .find(|train| train.train_code == *code && window.contains(train.departure))
        else {
            continue;
        };
        let seat = train
            .seats
            .iter()
            .find(|seat| seat.seat_class == *class && seat.provider == provider);
        // Sealed by this router a moment ago: opening cannot fail but for
        // a clock jump, and then the train is left out.
        if let Some(offer) =
            seat.and_then(|seat| state.router.offer_seal().open(&seat.offer_id).ok())
            && !offers.iter().any(|known| known.encode() == offer.encode())
        {
            offers.push(offer);
        }
    }
    offers
}
