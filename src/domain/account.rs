//! 12306 accounts in provider-neutral terms: a login check and what it
//! asks of the traveller next, frequent passengers with their verification
//! status, and 12306's password rule.
//!
//! railgate holds none of it: credentials come with each call and go to
//! the provider; nothing here is stored.

use super::{IdType, PassengerType, Sex};
use chrono::NaiveDate;

/// 12306's identity verification status of a passenger (身份核验状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityStatus {
    /// 未通过.
    Failed,
    /// 已通过.
    Passed,
    /// 未知.
    Unknown,
    /// 待核验.
    Pending,
    /// 请报验: the passenger must verify in person.
    ReportRequired,
    /// 预通过.
    PrePassed,
}

impl IdentityStatus {
    /// Whether 12306 sells tickets to a passenger in this status: verified,
    /// or past the preliminary check (预通过, which 12306 treats as passed
    /// until its final check says otherwise).
    pub const fn can_travel(self) -> bool {
        matches!(self, IdentityStatus::Passed | IdentityStatus::PrePassed)
    }

    /// Stable lower-case name, for error metadata.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityStatus::Failed => "failed",
            IdentityStatus::Passed => "passed",
            IdentityStatus::Unknown => "unknown",
            IdentityStatus::Pending => "pending",
            IdentityStatus::ReportRequired => "report_required",
            IdentityStatus::PrePassed => "pre_passed",
        }
    }
}

/// A frequent passenger (常用联系人) of a 12306 account, as the provider
/// lists it. The document number comes masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrequentPassenger {
    /// The provider's id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Document type.
    pub id_type: IdType,
    /// Document number, masked by the provider (`2308***********029`).
    pub id_number_masked: String,
    /// Mobile phone number.
    pub phone: String,
    /// Fare type.
    pub passenger_type: PassengerType,
    /// Identity verification.
    pub identity: IdentityStatus,
    /// Whether the phone number is verified.
    pub phone_verified: bool,
    /// Whether this is the account holder.
    pub is_holder: bool,
    /// Date of birth, when the provider gives it unmasked.
    pub birth_date: Option<NaiveDate>,
    /// Sex, when known.
    pub sex: Option<Sex>,
    /// Country code, when given.
    pub country_code: Option<String>,
}

impl FrequentPassenger {
    /// Whether `id_number` is the number this passenger's masked one
    /// shows: same length, and every character the mask leaves visible
    /// equal (ASCII case aside: an `x` check digit is an `X`).
    pub fn shows_number(&self, id_number: &str) -> bool {
        masked_number_shows(&self.id_number_masked, id_number)
    }
}

/// Whether `masked` (a provider's masked document number, `*` for each
/// hidden character, length kept) shows `id_number`: same length, every
/// visible character equal (ASCII case aside: an `x` check digit is an
/// `X`).
pub fn masked_number_shows(masked: &str, id_number: &str) -> bool {
    let masked: Vec<char> = masked.chars().collect();
    let given: Vec<char> = id_number.trim().chars().collect();
    masked.len() == given.len()
        && masked
            .iter()
            .zip(&given)
            .all(|(shown, real)| *shown == '*' || shown.eq_ignore_ascii_case(real))
}

/// A passenger to add or update on an account.
#[derive(Debug, Clone)]
pub struct PassengerDetails {
    /// 0 adds; the provider's id updates that passenger.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Document type.
    pub id_type: IdType,
    /// Document number.
    pub id_number: String,
    /// Mobile phone number.
    pub phone: String,
    /// Fare type.
    pub passenger_type: PassengerType,
    /// Date of birth (documents 2, 3, 4, 8).
    pub birth_date: Option<NaiveDate>,
    /// Sex (documents 2, 3, 4, 8).
    pub sex: Option<Sex>,
    /// Country code (documents 2, 8).
    pub country_code: Option<String>,
    /// Document expiry (documents 2, 3, 4, 8).
    pub id_expiry_date: Option<NaiveDate>,
}

/// A new account's holder, for registration.
#[derive(Debug, Clone)]
pub struct HolderDetails {
    /// Everything a passenger has (id is unused).
    pub person: PassengerDetails,
    /// E-mail (documents 3, 4).
    pub email: Option<String>,
}

/// What 12306 answered to an added or updated passenger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassengerSaved {
    /// Identity verification now.
    pub identity: IdentityStatus,
    /// Whether the phone is verified.
    pub phone_verified: bool,
    /// The code the passenger texts to 12306 when the phone is not.
    pub phone_verification_code: Option<String>,
}

/// The answer of a login check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCheck {
    /// Whether the account is logged in.
    pub passed: bool,
    /// 12306's message.
    pub message: String,
    /// What the traveller must do next.
    pub next_step: LoginNextStep,
}

/// What a failed login check asks of the traveller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginNextStep {
    /// Nothing: logged in.
    None,
    /// Text `text` to `recipient` from the phone ending in
    /// `phone_last_digits`, then submit the code 12306 answers.
    SendSms {
        /// What to send ("666").
        text: String,
        /// Where to ("12306").
        recipient: String,
        /// The phone's last digits as 12306 gave them.
        phone_last_digits: String,
    },
    /// Face verification.
    VerifyFace,
    /// User name or password wrong, or the account locked.
    CheckCredentials,
    /// Give the last four characters of the holder's document number.
    GiveIdDigits,
    /// Anything else: the message says what.
    SeeMessage,
}

/// What a delete of a frequent passenger did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Removed.
    Deleted,
    /// Refused: the passenger was verified less than a month ago and can
    /// be deleted from this date.
    TooSoon {
        /// The first day the delete is allowed.
        deletable_from: NaiveDate,
    },
}

/// Why a password breaks 12306's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer than six characters.
    #[error("must have at least 6 characters")]
    TooShort,
    /// A character other than a letter, digit or underscore.
    #[error("may hold only letters, digits and underscores")]
    ForbiddenCharacter,
    /// Only one of letters, digits and underscores.
    #[error("must mix at least two of letters, digits and underscores")]
    OneKindOnly,
}

/// 12306's password rule (seed 002, 账号注册 and 找回密码): at least six
/// characters, only letters, digits and underscores, and at least two of
/// those three kinds.
pub fn check_password(password: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < 6 {
        return Err(PasswordProblem::TooShort);
    }
    if !password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(PasswordProblem::ForbiddenCharacter);
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_alphabetic()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.contains('_'),
    ];
    if kinds.iter().filter(|present| **present).count() < 2 {
        return Err(PasswordProblem::OneKindOnly);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_12306s_rule() {
        assert_eq!(check_password("abc12"), Err(PasswordProblem::TooShort));
        assert_eq!(
            check_password("abc123!"),
            Err(PasswordProblem::ForbiddenCharacter)
        );
        assert_eq!(
            check_password("密码abc123"),
            Err(PasswordProblem::ForbiddenCharacter)
        );
        assert_eq!(check_password("abcdefg"), Err(PasswordProblem::OneKindOnly));
        assert_eq!(check_password("1234567"), Err(PasswordProblem::OneKindOnly));
        assert_eq!(check_password("______"), Err(PasswordProblem::OneKindOnly));
        for good in ["abc123", "abc_de", "123_45", "A1b2C3d4"] {
            assert_eq!(check_password(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn only_verified_and_pre_passed_passengers_travel() {
        use IdentityStatus::*;
        let travel: Vec<_> = [Failed, Passed, Unknown, Pending, ReportRequired, PrePassed]
            .into_iter()
            .filter(|status| status.can_travel())
            .collect();
        assert_eq!(travel, [Passed, PrePassed]);
    }

    #[test]
    fn a_masked_number_matches_the_number_it_shows() {
        let passenger = FrequentPassenger {
            id: 1,
            name: "张小华".into(),
            id_type: IdType::ResidentIdCard,
            id_number_masked: "1101***********02X".into(),
            phone: String::new(),
            passenger_type: PassengerType::Adult,
            identity: IdentityStatus::Passed,
            phone_verified: true,
            is_holder: false,
            birth_date: None,
            sex: None,
            country_code: None,
        };
        assert!(passenger.shows_number("11010519491231002X"));
        assert!(passenger.shows_number("11010519491231002x"));
        assert!(!passenger.shows_number("11010519491231003X"));
        assert!(!passenger.shows_number("1101051949123100X"));
        assert!(!passenger.shows_number("44052418800101001X"));
    }
}
