//! Personal data: passenger names, identity document numbers and phone
//! numbers, plus the neutral document, fare and sex codes that go with them.
//!
//! The value types mask themselves in `Debug` and `Display`, so an order, a
//! passenger or an error that carries them can be logged as is. The raw
//! value is reachable only through `expose()` (for the one request that
//! sends it to a provider) and through serde (for the order store, which
//! must keep it to send it again; see each type's `Serialize` note).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a personal-data value was refused. Never carries the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonalDataError {
    /// Empty after trimming.
    #[error("{0} is required")]
    Empty(&'static str),
    /// Longer than any real value of its kind.
    #[error("{what} is longer than {max} characters")]
    TooLong {
        /// Which value.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// Contains characters that value cannot have.
    #[error("{0} contains characters it cannot have")]
    BadCharacters(&'static str),
    /// Not a phone number railgate accepts.
    #[error(
        "phone number must be a mainland mobile number (11 digits starting with 1) or +<country code><number>"
    )]
    BadPhone,
}

/// Implements the masking `Debug`/`Display`, `expose`, and raw serde for a
/// personal-data newtype. Deserialization re-validates through `new`.
macro_rules! personal_value {
    ($name:ident) => {
        impl $name {
            /// The raw value, for the provider request that needs it. Never
            /// log it, put it in an error, or return it to a caller.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name))
                    .field(&self.masked())
                    .finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.masked())
            }
        }

        /// Writes the RAW value: only the order store (which must keep it to
        /// send it to a provider again) serializes personal data. Never
        /// serialize it into a log, a trace or a response.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        /// Reads a raw value back, validating it like `new`.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::new(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Trims, refuses empty and overlong values and those with control or
/// invisible formatting characters.
fn clean(raw: String, what: &'static str, max: usize) -> Result<String, PersonalDataError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(PersonalDataError::Empty(what));
    }
    if trimmed.chars().count() > max {
        return Err(PersonalDataError::TooLong { what, max });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(PersonalDataError::BadCharacters(what));
    }
    Ok(if trimmed.len() == raw.len() {
        raw
    } else {
        trimmed.to_owned()
    })
}

/// Characters that print nothing but change how text around them reads:
/// the bidirectional overrides, embeddings, isolates and marks (U+202E
/// makes "ABC" display as "CBA"), zero-width spaces and joiners, and the
/// byte-order mark. No name on a ticket needs them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// `keep_start` characters, one `*` per hidden character, `keep_end`
/// characters. Everything is hidden when the value is too short to keep
/// both ends and still hide at least as much as it shows.
fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 2 * (keep_start + keep_end) {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    let mut out: String = chars[..keep_start].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// A passenger's or contact's full name as on the identity document.
///
/// Masking keeps the first character and, for names of three or more
/// characters, the last; every other character becomes `*`: "张三" → "张*",
/// "张三丰" → "张*丰", "欧阳娜娜" → "欧**娜". A one-character name is "*".
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// At most 64 characters (12306 allows 30; transliterated foreign names
    /// run longer); trimmed; no control or bidi-override characters.
    pub fn new(raw: String) -> Result<Self, PersonalDataError> {
        clean(raw, "name", 64).map(PersonName)
    }

    /// The masked form, safe for logs and responses.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        match chars.len() {
            0 | 1 => "*".repeat(chars.len()),
            2 => format!("{}*", chars[0]),
            count => {
                let mut out = String::new();
                out.push(chars[0]);
                out.extend(std::iter::repeat_n('*', count - 2));
                out.push(chars[count - 1]);
                out
            }
        }
    }
}

personal_value!(PersonName);

/// An identity document number (resident ID, passport, travel permit...).
///
/// Masking keeps the first 4 and last 3 characters, as Panhe's own order
/// detail does ("3411***********96X"); a number shorter than 14 characters
/// (passports, permits) keeps 2 and 2 ("E1*****78"); below 8 characters
/// it is all `*`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// ASCII letters and digits only (every document type the providers
    /// accept), at most 32; trimmed. Checksums depend on the document type
    /// and are checked by [`IdNumber::is_valid_resident_id`].
    pub fn new(raw: String) -> Result<Self, PersonalDataError> {
        let value = clean(raw, "id number", 32)?;
        if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(PersonalDataError::BadCharacters("id number"));
        }
        Ok(IdNumber(value))
    }

    /// The masked form, safe for logs and responses.
    pub fn masked(&self) -> String {
        if self.0.chars().count() >= 14 {
            mask_middle(&self.0, 4, 3)
        } else {
            mask_middle(&self.0, 2, 2)
        }
    }

    /// Whether this is a well-formed 18-character resident ID number
    /// (GB 11643-1999): 17 digits, then a check character computed with
    /// ISO 7064 MOD 11-2 (`X` for 10, either case).
    pub fn is_valid_resident_id(&self) -> bool {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        let bytes = self.0.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return false;
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(digit, weight)| u32::from(digit - b'0') * weight)
            .sum();
        let expected = CHECK[(sum % 11) as usize];
        char::from(bytes[17]).to_ascii_uppercase() == expected
    }
}

personal_value!(IdNumber);

/// A mobile phone number.
///
/// Accepted forms: a mainland mobile number (11 digits starting with 1),
/// which is what 12306 and both providers expect; or an international
/// number `+<country code><number>` (8 to 15 digits, E.164), because
/// passport and travel-permit holders may have no mainland number; whether
/// a provider takes it is the adapter's call. Spaces and dashes are
/// removed. Masking keeps the first 3 and last 4 digits of a mainland
/// number ("157****0587"), and the `+`, first 3 and last 2 digits of an
/// international one ("+852******78").
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Validates and normalizes (separators removed).
    pub fn new(raw: String) -> Result<Self, PersonalDataError> {
        let value = clean(raw, "phone number", 32)?;
        let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let valid = match compact.strip_prefix('+') {
            Some(digits) => {
                (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            }
            None => {
                compact.len() == 11
                    && compact.starts_with('1')
                    && compact.bytes().all(|b| b.is_ascii_digit())
            }
        };
        if !valid {
            return Err(PersonalDataError::BadPhone);
        }
        Ok(PhoneNumber(compact))
    }

    /// Whether this is a mainland mobile number (not `+...`).
    pub fn is_mainland_mobile(&self) -> bool {
        !self.0.starts_with('+')
    }

    /// The masked form, safe for logs and responses.
    pub fn masked(&self) -> String {
        match self.0.strip_prefix('+') {
            Some(digits) => format!("+{}", mask_middle(digits, 3, 2)),
            None => format!("{}****{}", &self.0[..3], &self.0[7..]),
        }
    }
}

personal_value!(PhoneNumber);

/// Generates `ALL`, `as_str` and `from_name` for a fieldless enum. The
/// names are stable: the order store keeps them.
macro_rules! named_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, for exhaustive mapping tests.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable lowercase name, used in storage and logs.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses [`Self::as_str`].
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Identity document type (证件类型), as in `railgate.v1.IdType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdType {
    /// 中华人民共和国居民身份证.
    ResidentIdCard,
    /// 护照.
    Passport,
    /// 港澳居民来往内地通行证.
    HkMacaoTravelPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanTravelPermit,
    /// 外国人永久居留身份证.
    ForeignPermanentResidentId,
    /// 港澳台居民居住证.
    HkMacaoTaiwanResidencePermit,
}

named_enum!(IdType {
    ResidentIdCard => "resident_id_card",
    Passport => "passport",
    HkMacaoTravelPermit => "hk_macao_travel_permit",
    TaiwanTravelPermit => "taiwan_travel_permit",
    ForeignPermanentResidentId => "foreign_permanent_resident_id",
    HkMacaoTaiwanResidencePermit => "hk_macao_taiwan_residence_permit",
});

/// Passenger / fare type (票种), as in `railgate.v1.PassengerType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassengerType {
    /// 成人.
    Adult,
    /// 儿童.
    Child,
    /// 学生.
    Student,
    /// 残疾军人、伤残人民警察.
    DisabledMilitary,
}

named_enum!(PassengerType {
    Adult => "adult",
    Child => "child",
    Student => "student",
    DisabledMilitary => "disabled_military",
});

/// Sex, required by providers for some document types; as in
/// `railgate.v1.Sex` (unspecified is `None` where it is optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

named_enum!(Sex {
    Male => "male",
    Female => "female",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> PersonName {
        PersonName::new(raw.into()).unwrap()
    }

    fn id(raw: &str) -> IdNumber {
        IdNumber::new(raw.into()).unwrap()
    }

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::new(raw.into()).unwrap()
    }

    #[test]
    fn names_keep_first_and_last_character() {
        assert_eq!(name("张三").masked(), "张*");
        assert_eq!(name("张三丰").masked(), "张*丰");
        assert_eq!(name("欧阳娜娜").masked(), "欧**娜");
        assert_eq!(name("李").masked(), "*");
        assert_eq!(name("JOHN SMITH").masked(), "J********H");
        assert_eq!(name("  张三 ").expose(), "张三");
    }

    #[test]
    fn names_refuse_control_and_bidi_override_characters() {
        for raw in [
            "张\u{202E}三",
            "ADAM\u{2066}EVE",
            "李\u{200B}四",
            "\u{FEFF}王五",
            "赵\n六",
            "JOHN\u{200F}SMITH",
        ] {
            assert_eq!(
                PersonName::new(raw.to_owned()),
                Err(PersonalDataError::BadCharacters("name")),
                "{raw:?}"
            );
        }
        // Middle dots of minority and foreign names are ordinary text.
        assert_eq!(name("阿依古丽·买买提").expose(), "阿依古丽·买买提");
    }

    #[test]
    fn id_numbers_mask_like_panhe() {
        assert_eq!(id("34112219900101296X").masked(), "3411***********96X");
        assert_eq!(id("E12345678").masked(), "E1*****78");
        assert_eq!(id("1234567").masked(), "*******");
    }

    #[test]
    fn phones_mask_the_middle() {
        assert_eq!(phone("15712340587").masked(), "157****0587");
        assert_eq!(phone("157-1234-0587").expose(), "15712340587");
        assert_eq!(phone("+852 9123 4578").masked(), "+852******78");
        assert!(phone("15712340587").is_mainland_mobile());
        assert!(!phone("+85291234578").is_mainland_mobile());
    }

    #[test]
    fn debug_and_display_never_show_the_raw_value() {
        let values = [
            (format!("{:?}", name("张三丰")), "张三丰"),
            (format!("{}", name("张三丰")), "张三丰"),
            (
                format!("{:?}", id("34112219900101296X")),
                "34112219900101296X",
            ),
            (
                format!("{}", id("34112219900101296X")),
                "34112219900101296X",
            ),
            (format!("{:?}", phone("15712340587")), "15712340587"),
            (format!("{}", phone("15712340587")), "15712340587"),
        ];
        for (shown, raw) in values {
            assert!(!shown.contains(raw), "{shown}");
        }
        assert_eq!(format!("{:?}", name("张三")), "PersonName(\"张*\")");
    }

    #[test]
    fn refuses_bad_values_without_quoting_them() {
        assert_eq!(
            PersonName::new("  ".into()),
            Err(PersonalDataError::Empty("name"))
        );
        assert_eq!(
            IdNumber::new("3411 2219".into()),
            Err(PersonalDataError::BadCharacters("id number"))
        );
        assert!(matches!(
            IdNumber::new("1".repeat(33)),
            Err(PersonalDataError::TooLong { max: 32, .. })
        ));
        for bad in [
            "1571234058",
            "25712340587",
            "1571234058a",
            "+12345",
            "+1234567890123456",
        ] {
            let error = PhoneNumber::new(bad.into()).unwrap_err();
            assert_eq!(error, PersonalDataError::BadPhone, "{bad}");
            assert!(!error.to_string().contains(bad));
        }
    }

    #[test]
    fn resident_id_checksum() {
        // A published GB 11643 example and a lowercase check character.
        assert!(id("11010519491231002X").is_valid_resident_id());
        assert!(id("11010519491231002x").is_valid_resident_id());
        assert!(id("440524188001010014").is_valid_resident_id());
        assert!(!id("110105194912310021").is_valid_resident_id());
        assert!(!id("E12345678").is_valid_resident_id());
    }

    #[test]
    fn serde_round_trips_the_raw_value_and_validates() {
        let json = serde_json::to_string(&phone("15712340587")).unwrap();
        assert_eq!(json, "\"15712340587\"");
        let back: PhoneNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, phone("15712340587"));
        assert!(serde_json::from_str::<PhoneNumber>("\"12\"").is_err());
        assert!(serde_json::from_str::<PersonName>("\"\"").is_err());
    }

    #[test]
    fn enum_names_round_trip() {
        for value in IdType::ALL {
            assert_eq!(IdType::from_name(value.as_str()), Some(*value));
        }
        for value in PassengerType::ALL {
            assert_eq!(PassengerType::from_name(value.as_str()), Some(*value));
        }
        for value in Sex::ALL {
            assert_eq!(Sex::from_name(value.as_str()), Some(*value));
        }
        assert_eq!(IdType::from_name("driving_licence"), None);
    }
}
