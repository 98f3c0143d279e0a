//! AccountService requests → domain values, every bad field listed. Values
//! a caller sent as credentials or codes are never quoted back.

use super::book_request::{MAX_ACCOUNT_FIELD, optional_date};
use super::convert_order::{id_type_from_proto, passenger_type_from_proto, sex_from_proto};
use super::status::{ApiError, Violation};
use crate::domain::account::{HolderDetails, PassengerDetails, check_password};
use crate::domain::{IdNumber, IdType, PersonName, PhoneNumber};
use crate::proto as pb;

/// 12306's limit on face photos: at most two, each at most 100 KB as a file.
pub const MAX_FACE_PHOTOS: usize = 2;
/// Largest face photo, in bytes (seed 002: "100k以内").
pub const MAX_FACE_PHOTO_BYTES: usize = 100 * 1024;
/// Longest verification code accepted (12306's are 6 to 8 digits).
const MAX_CODE_CHARS: usize = 16;
/// Longest password-recovery request id.
const MAX_REQUEST_ID_CHARS: usize = 64;

/// Collects violations while a request is read.
#[derive(Default)]
pub struct Checked {
    violations: Vec<Violation>,
}

impl Checked {
    /// Records a violation of `field`.
    pub fn problem(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push(Violation::new(field, description));
    }

    /// `value` if nothing was wrong, else every violation.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.violations.is_empty() => Ok(value),
            _ => Err(ApiError::InvalidArgument(self.violations)),
        }
    }

    /// The account's user name and password, both required.
    pub fn account(&mut self, account: Option<&pb::TrainAccount>) -> Option<(String, String)> {
        let Some(account) = account else {
            self.problem("account", "a 12306 user name and password are required");
            return None;
        };
        let user = account.username.trim();
        if user.is_empty() || account.password.is_empty() {
            self.problem("account", "a 12306 user name and password are required");
            return None;
        }
        if user.len() > MAX_ACCOUNT_FIELD || account.password.len() > MAX_ACCOUNT_FIELD {
            self.problem(
                "account",
                format!("user name and password are at most {MAX_ACCOUNT_FIELD} bytes each"),
            );
            return None;
        }
        Some((user.to_owned(), account.password.clone()))
    }

    /// A new password that keeps 12306's rule.
    pub fn new_password(&mut self, field: &str, password: &str) -> Option<String> {
        match check_password(password) {
            Ok(()) if password.len() <= MAX_ACCOUNT_FIELD => Some(password.to_owned()),
            Ok(()) => {
                self.problem(field, format!("is at most {MAX_ACCOUNT_FIELD} bytes"));
                None
            }
            Err(problem) => {
                self.problem(field, problem.to_string());
                None
            }
        }
    }

    /// A verification code: digits (and letters, should 12306 use them).
    pub fn code(&mut self, field: &str, code: &str) -> Option<String> {
        let code = code.trim();
        if code.is_empty()
            || code.chars().count() > MAX_CODE_CHARS
            || !code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            self.problem(
                field,
                format!(
                    "is required: the code 12306 sent (up to {MAX_CODE_CHARS} letters or digits)"
                ),
            );
            return None;
        }
        Some(code.to_owned())
    }

    /// A caller-made password-recovery id.
    pub fn request_id(&mut self, request_id: &str) -> Option<String> {
        let valid = !request_id.is_empty()
            && request_id.len() <= MAX_REQUEST_ID_CHARS
            && request_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.problem(
                "request_id",
                format!("is required: 1 to {MAX_REQUEST_ID_CHARS} characters of A-Z a-z 0-9 - _"),
            );
            return None;
        }
        Some(request_id.to_owned())
    }

    /// A document type (required).
    pub fn id_type(&mut self, field: &str, value: i32) -> Option<IdType> {
        let id_type = id_type_from_proto(value);
        if id_type.is_none() {
            self.problem(field, "is required (e.g. ID_TYPE_RESIDENT_ID_CARD)");
        }
        id_type
    }

    /// A document number, check digit included for resident ID cards.
    pub fn id_number(&mut self, field: &str, id_type: Option<IdType>, raw: &str) -> Option<String> {
        let number = match IdNumber::new(raw.to_owned()) {
            Ok(number) => number,
            Err(error) => {
                self.problem(field, error.to_string());
                return None;
            }
        };
        if id_type == Some(IdType::ResidentIdCard) && !number.is_valid_resident_id() {
            self.problem(field, "is not a valid resident ID number (check digit)");
            return None;
        }
        Some(number.expose().to_owned())
    }

    /// A person's name.
    pub fn name(&mut self, field: &str, raw: &str) -> Option<String> {
        match PersonName::new(raw.to_owned()) {
            Ok(name) => Some(name.expose().to_owned()),
            Err(error) => {
                self.problem(field, error.to_string());
                None
            }
        }
    }

    /// A mobile phone number.
    pub fn phone(&mut self, field: &str, raw: &str) -> Option<String> {
        match PhoneNumber::new(raw.to_owned()) {
            Ok(phone) => Some(phone.expose().to_owned()),
            Err(error) => {
                self.problem(field, error.to_string());
                None
            }
        }
    }

    /// Face photos: one or two, none empty, each within 12306's size.
    pub fn photos(&mut self, photos: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
        if photos.is_empty() || photos.len() > MAX_FACE_PHOTOS {
            self.problem("photos", format!("give 1 to {MAX_FACE_PHOTOS} photos"));
            return None;
        }
        let mut fine = true;
        for (index, photo) in photos.iter().enumerate() {
            if photo.is_empty() || photo.len() > MAX_FACE_PHOTO_BYTES {
                self.problem(
                    format!("photos[{index}]"),
                    format!(
                        "is {} bytes: 12306 takes photos of 1 to {MAX_FACE_PHOTO_BYTES} bytes (scale it down)",
                        photo.len()
                    ),
                );
                fine = false;
            }
        }
        fine.then_some(photos)
    }

    /// A frequent passenger's details (`prefix` names the message field).
    pub fn passenger(
        &mut self,
        prefix: &str,
        passenger: &pb::FrequentPassenger,
    ) -> Option<PassengerDetails> {
        let field = |name: &str| format!("{prefix}.{name}");
        if passenger.id < 0 {
            self.problem(
                field("id"),
                "is 0 to add, or an id from ListFrequentPassengers",
            );
        }
        let name = self.name(&field("name"), &passenger.name);
        let id_type = self.id_type(&field("id_type"), passenger.id_type);
        let id_number = self.id_number(&field("id_number"), id_type, &passenger.id_number);
        let phone = self.phone(&field("phone"), &passenger.phone);
        let passenger_type = passenger_type_from_proto(passenger.passenger_type);
        if passenger_type.is_none() {
            self.problem(field("passenger_type"), "is not a valid value");
        }
        let date = |checked: &mut Self, name: &str, text: &str| {
            optional_date(text)
                .map_err(|message| checked.problem(field(name), message))
                .ok()
                .flatten()
        };
        let birth_date = date(self, "birth_date", &passenger.birth_date);
        let id_expiry_date = date(self, "id_expiry_date", &passenger.id_expiry_date);
        let sex = sex_from_proto(passenger.sex);
        let country_code = Some(passenger.country_code.trim().to_ascii_uppercase())
            .filter(|code| !code.is_empty());
        // Seed 002, 增/改常旅客: birthday, sex and the expiry date for
        // documents 2, 3, 4 and 8; the country for 2 and 8.
        if let Some(id_type) = id_type {
            let foreign = matches!(
                id_type,
                IdType::Passport
                    | IdType::HkMacaoTravelPermit
                    | IdType::TaiwanTravelPermit
                    | IdType::ForeignPermanentResidentId
            );
            if foreign && (birth_date.is_none() || sex.is_none() || id_expiry_date.is_none()) {
                self.problem(
                    field("birth_date"),
                    "birth_date, sex and id_expiry_date are required for this document type",
                );
            }
            if matches!(
                id_type,
                IdType::Passport | IdType::ForeignPermanentResidentId
            ) && country_code.is_none()
            {
                self.problem(
                    field("country_code"),
                    "is required for passports and permanent resident IDs",
                );
            }
        }
        Some(PassengerDetails {
            id: passenger.id.max(0),
            name: name?,
            id_type: id_type?,
            id_number: id_number?,
            phone: phone?,
            passenger_type: passenger_type?,
            birth_date,
            sex,
            country_code,
            id_expiry_date,
        })
    }

    /// A new account's holder. Seed 002, 账号注册: sex, birthday and the
    /// expiry date for every document but 1 and 9, the country for 2 and 8,
    /// the e-mail for 3 and 4.
    pub fn holder(&mut self, holder: Option<&pb::AccountHolder>) -> Option<HolderDetails> {
        let Some(holder) = holder else {
            self.problem("holder", "is required: who the account belongs to");
            return None;
        };
        let as_passenger = pb::FrequentPassenger {
            id: 0,
            name: holder.name.clone(),
            id_type: holder.id_type,
            id_number: holder.id_number.clone(),
            phone: holder.phone.clone(),
            passenger_type: holder.passenger_type,
            birth_date: holder.birth_date.clone(),
            sex: holder.sex,
            country_code: holder.country_code.clone(),
            id_expiry_date: holder.id_expiry_date.clone(),
            ..pb::FrequentPassenger::default()
        };
        let person = self.passenger("holder", &as_passenger)?;
        let email = Some(holder.email.trim().to_owned()).filter(|email| !email.is_empty());
        let needs_email = matches!(
            person.id_type,
            IdType::HkMacaoTravelPermit | IdType::TaiwanTravelPermit
        );
        if needs_email && email.is_none() {
            self.problem("holder.email", "is required for travel permits");
        }
        if email
            .as_ref()
            .is_some_and(|email| !email.contains('@') || email.len() > 254)
        {
            self.problem("holder.email", "is not an e-mail address");
        }
        Some(HolderDetails { person, email })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::InvalidArgument(violations) => violations
                .into_iter()
                .map(|violation| violation.field)
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn photos_are_checked_before_anything_is_sent() {
        let mut checked = Checked::default();
        assert!(checked.photos(vec![vec![1; 10]]).is_some());
        assert!(
            checked
                .photos(vec![vec![1; MAX_FACE_PHOTO_BYTES]])
                .is_some()
        );
        assert!(checked.finish(Some(())).is_ok());

        let mut checked = Checked::default();
        assert!(
            checked
                .photos(vec![vec![1; MAX_FACE_PHOTO_BYTES + 1], Vec::new()])
                .is_none()
        );
        assert_eq!(
            fields(checked.finish(Some(())).unwrap_err()),
            ["photos[0]", "photos[1]"]
        );

        let mut checked = Checked::default();
        assert!(checked.photos(vec![vec![1]; 3]).is_none());
        assert!(checked.photos(Vec::new()).is_none());
        assert_eq!(
            fields(checked.finish(Some(())).unwrap_err()),
            ["photos", "photos"]
        );
    }

    #[test]
    fn a_passport_passenger_needs_its_extra_fields() {
        let passenger = pb::FrequentPassenger {
            name: "JOHN SMITH".into(),
            id_type: pb::IdType::Passport as i32,
            id_number: "E12345678".into(),
            phone: "13800138000".into(),
            ..Default::default()
        };
        let mut checked = Checked::default();
        checked.passenger("passenger", &passenger);
        assert_eq!(
            fields(checked.finish(Some(())).unwrap_err()),
            ["passenger.birth_date", "passenger.country_code"]
        );
    }

    #[test]
    fn a_travel_permit_holder_needs_an_email() {
        let holder = pb::AccountHolder {
            name: "陈大文".into(),
            id_type: pb::IdType::HkMacaoTravelPermit as i32,
            id_number: "H12345678".into(),
            phone: "13800138000".into(),
            sex: pb::Sex::Male as i32,
            birth_date: "1990-01-01".into(),
            id_expiry_date: "2030-01-01".into(),
            ..Default::default()
        };
        let mut checked = Checked::default();
        checked.holder(Some(&holder));
        assert_eq!(
            fields(checked.finish(Some(())).unwrap_err()),
            ["holder.email"]
        );
    }

    #[test]
    fn credentials_and_codes_are_never_quoted() {
        let mut checked = Checked::default();
        checked.account(Some(&pb::TrainAccount {
            username: "u".repeat(200),
            password: "secret-password".into(),
        }));
        checked.code("code", "12 34!");
        checked.new_password("new_password", "secret!");
        let error = checked.finish(Some(())).unwrap_err();
        let shown = format!("{:?}", tonic::Status::from(error));
        for secret in ["secret-password", "12 34!", "secret!", &"u".repeat(200)] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn request_ids_are_bounded_tokens() {
        let mut checked = Checked::default();
        assert!(
            checked
                .request_id("dcf1d40f58d04a47ba91e89833788165")
                .is_some()
        );
        assert!(checked.request_id("").is_none());
        assert!(checked.request_id("a b").is_none());
        assert!(checked.request_id(&"a".repeat(65)).is_none());
    }
}
