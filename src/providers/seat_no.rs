//! 12306's seat text, which every provider passes on as is: "03车厢,01A座"
//! (Panhe), "07车厢,009号" (Juhe's order detail and issue callback).

/// Splits seat text into coach and seat ("07车厢,009号" → "07", "009").
/// Text in another shape is kept whole as the seat, never dropped.
pub fn split_seat_no(text: &str) -> (Option<String>, Option<String>) {
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    match text.split_once([',', '，']) {
        Some((coach, seat)) if coach.ends_with("车厢") => (
            Some(coach.trim_end_matches("车厢").trim().to_owned()),
            Some(seat.trim().trim_end_matches(['座', '号']).to_owned()),
        ),
        _ => (None, Some(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(coach: Option<&str>, seat: Option<&str>) -> (Option<String>, Option<String>) {
        (coach.map(str::to_owned), seat.map(str::to_owned))
    }

    #[test]
    fn splits_both_providers_shapes() {
        assert_eq!(
            split_seat_no("07车厢,009号"),
            parts(Some("07"), Some("009"))
        );
        assert_eq!(
            split_seat_no("02车厢,007号"),
            parts(Some("02"), Some("007"))
        );
        assert_eq!(
            split_seat_no("03车厢,01A座"),
            parts(Some("03"), Some("01A"))
        );
        assert_eq!(
            split_seat_no("03车厢，01A座"),
            parts(Some("03"), Some("01A"))
        );
    }

    #[test]
    fn keeps_other_text_whole_and_blank_as_nothing() {
        assert_eq!(split_seat_no("无座"), parts(None, Some("无座")));
        assert_eq!(split_seat_no("  "), parts(None, None));
        assert_eq!(split_seat_no(""), parts(None, None));
    }
}
