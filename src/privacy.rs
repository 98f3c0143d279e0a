//! Masking of personal data before it reaches a log line, a trace or an
//! error message. Provider messages are free text and sometimes quote ID
//! numbers and phone numbers (Juhe's failMsg does), so they pass through
//! [`mask_free_text`] before leaving the adapter boundary. Messages about
//! one order may also name its passengers (Juhe's failMsg and msgDetail
//! do), which [`mask_free_text_naming`] masks as well.

use crate::domain::PersonName;

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

/// [`mask_free_text`], after masking every occurrence of each of `names`
/// the way [`PersonName::masked`] shows it ("张三丰" → "张*丰"). Longer
/// names go first, so a name that contains another is masked whole.
pub fn mask_free_text_naming<'a>(
    text: &str,
    names: impl IntoIterator<Item = &'a PersonName>,
) -> String {
    let mut names: Vec<&PersonName> = names.into_iter().collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.expose().chars().count()));
    let mut masked = text.to_owned();
    for name in names {
        if masked.contains(name.expose()) {
            masked = masked.replace(name.expose(), &name.masked());
        }
    }
    mask_free_text(&masked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> PersonName {
        PersonName::new(raw.into()).unwrap()
    }

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

    #[test]
    fn masks_every_occurrence_of_every_name() {
        let names = [name("张三"), name("欧阳娜娜")];
        assert_eq!(
            mask_free_text_naming(
                "添加乘客 张三 未通过身份效验 32038219900101391X, 张三|欧阳娜娜",
                &names
            ),
            "添加乘客 张* 未通过身份效验 320*************1X, 张*|欧**娜"
        );
    }

    #[test]
    fn a_name_containing_another_is_masked_whole() {
        let names = [name("张三"), name("张三丰")];
        assert_eq!(mask_free_text_naming("张三丰和张三", &names), "张*丰和张*");
    }

    #[test]
    fn text_without_the_names_only_loses_its_numbers() {
        let names = [name("李四")];
        assert_eq!(
            mask_free_text_naming("出票失败 15012341234", &names),
            "出票失败 150******34"
        );
        assert_eq!(mask_free_text_naming("", &names), "");
    }
}
