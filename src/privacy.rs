//! Masking of personal data before it reaches a log line, a trace or an
//! error message. Provider messages are free text and sometimes quote ID
//! numbers and phone numbers (Juhe's failMsg does), so they pass through
//! [`mask_free_text`] before leaving the adapter boundary.

/// Masks every run of 6 or more digits (an ID number, a phone number, a
/// ticket number), keeping the first 3 and last 2 characters so support
/// staff can still tell two numbers apart. `X`/`x` count as digits inside
/// such a run (the check character of a resident ID).
pub fn mask_free_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if chars[index].is_ascii_digit() {
            let start = index;
            while index < chars.len()
                && (chars[index].is_ascii_digit() || matches!(chars[index], 'X' | 'x'))
            {
                index += 1;
            }
            let run = &chars[start..index];
            if run.len() >= 6 {
                out.extend(&run[..3]);
                out.extend(std::iter::repeat_n('*', run.len() - 5));
                out.extend(&run[run.len() - 2..]);
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[index]);
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_id_and_phone_numbers() {
        assert_eq!(
            mask_free_text("未通过身份效验 魏XX 32038219900101391X"),
            "未通过身份效验 魏XX 320*************1X"
        );
        assert_eq!(mask_free_text("手机 15012341234"), "手机 150******34");
    }

    #[test]
    fn leaves_short_numbers_and_text_alone() {
        assert_eq!(mask_free_text("车次G1234不存在"), "车次G1234不存在");
        assert_eq!(mask_free_text("2026-11-24 07:00"), "2026-11-24 07:00");
        assert_eq!(mask_free_text(""), "");
    }
}
