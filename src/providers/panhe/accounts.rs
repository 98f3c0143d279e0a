//! Panhe's 12306 account endpoints (seed 002): register, login check, SMS
//! and face verification, frequent passengers, password recovery and
//! change. Credentials arrive already encrypted ([`TrainCredentials`]);
//! nothing here keeps them.

use super::account_wire::{
    AccountOnly, ChangePasswordRequest, CheckLoginData, CheckLoginRequest, Credentials,
    DeletePassengerRequest, ListedPassenger, RegisterData, RegisterRequest, ResetCodeRequest,
    ResetPasswordRequest, SavePassengerData, SavePassengerRequest, UpdateHolderRequest,
    VALIDATE_LOGIN, VerifyFaceRequest, VerifySmsRequest,
};
use super::booking::TrainCredentials;
use super::client::{unwrap_acknowledgement, unwrap_answer};
use super::order_sync::{
    id_type_from_code, id_type_to_code, passenger_type_from_code, passenger_type_to_code,
    sex_from_code, sex_to_code,
};
use super::wire::BareEnvelope;
use super::{PROVIDER, PanheAdapter};
use crate::domain::account::{
    DeleteOutcome, FrequentPassenger, HolderDetails, IdentityStatus, LoginCheck, LoginNextStep,
    PassengerDetails, PassengerSaved,
};
use crate::domain::{IdType, PassengerType};
use crate::providers::ProviderError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::NaiveDate;
use secrecy::ExposeSecret;
use serde::Serialize;

const DATE: &str = "%Y-%m-%d";

fn credentials(credentials: &TrainCredentials) -> Credentials<'_> {
    Credentials {
        train_account: credentials.account.expose_secret(),
        train_password: credentials.password.expose_secret(),
    }
}

fn date(value: Option<NaiveDate>) -> Option<String> {
    value.map(|value| value.format(DATE).to_string())
}

impl PanheAdapter {
    /// 账号注册. `Ok((registered, note))`: 12306's refusals (name taken,
    /// phone used) are an answer, not an error.
    pub async fn register_account(
        &self,
        account: &TrainCredentials,
        holder: &HolderDetails,
        sms_code: &str,
    ) -> Result<(bool, String), ProviderError> {
        let person = &holder.person;
        let request = RegisterRequest {
            credentials: credentials(account),
            name: &person.name,
            card_type: id_type_to_code(person.id_type),
            card_no: &person.id_number,
            mobile: &person.phone,
            passenger_type: passenger_type_to_code(person.passenger_type),
            email: holder.email.as_deref(),
            sex: person.sex.map(sex_to_code),
            country_code: person.country_code.as_deref(),
            card_valid_end_date: date(person.id_expiry_date),
            birthday: date(person.birth_date),
            msg_code: sms_code,
        };
        let path = &self.client.paths.account_register;
        let body = self.client.post(path, &request).await?;
        registration(&body, path, &request)
    }

    /// 登录校验, with what a failure asks of the traveller.
    pub async fn check_login(
        &self,
        account: &TrainCredentials,
        id_last_digits: Option<&str>,
    ) -> Result<LoginCheck, ProviderError> {
        let request = CheckLoginRequest {
            credentials: credentials(account),
            last_digits: id_last_digits,
        };
        let path = &self.client.paths.check_login;
        let body = self.client.post(path, &request).await?;
        login_check(&body, path, &request)
    }

    /// 短信验证 of a login (validateType 2).
    pub async fn verify_sms(
        &self,
        account: &TrainCredentials,
        code: &str,
    ) -> Result<(), ProviderError> {
        let request = VerifySmsRequest {
            credentials: credentials(account),
            msg_code: code,
            validate_type: VALIDATE_LOGIN,
        };
        self.acknowledged(&self.client.paths.verify_sms, &request)
            .await
    }

    /// 人脸认证 with `photos` (files; sent Base64).
    pub async fn verify_face(
        &self,
        account: &TrainCredentials,
        photos: &[Vec<u8>],
    ) -> Result<(), ProviderError> {
        let request = VerifyFaceRequest {
            credentials: credentials(account),
            photos: photos.iter().map(|photo| BASE64.encode(photo)).collect(),
        };
        self.acknowledged(&self.client.paths.verify_face, &request)
            .await
    }

    /// 获取常旅客.
    pub async fn frequent_passengers(
        &self,
        account: &TrainCredentials,
    ) -> Result<Vec<FrequentPassenger>, ProviderError> {
        let request = AccountOnly {
            credentials: credentials(account),
        };
        let path = &self.client.paths.list_passengers;
        let body = self.client.post(path, &request).await?;
        listed_passengers(&body, path, &request)
    }

    /// 增/改常旅客: id 0 adds.
    pub async fn save_passenger(
        &self,
        account: &TrainCredentials,
        passenger: &PassengerDetails,
    ) -> Result<PassengerSaved, ProviderError> {
        let request = SavePassengerRequest {
            credentials: credentials(account),
            id: passenger.id,
            name: &passenger.name,
            card_type: id_type_to_code(passenger.id_type),
            card_no: &passenger.id_number,
            mobile: &passenger.phone,
            passenger_type: passenger_type_to_code(passenger.passenger_type),
            birthday: date(passenger.birth_date),
            country_code: passenger.country_code.as_deref(),
            card_valid_end_date: date(passenger.id_expiry_date),
            sex: passenger.sex.map(sex_to_code),
        };
        let path = &self.client.paths.save_passenger;
        let body = self.client.post(path, &request).await?;
        passenger_saved(&body, path, &request)
    }

    /// 修改账号本人信息: the holder's passenger type, the one field 12306
    /// lets them change.
    pub async fn update_account_holder(
        &self,
        account: &TrainCredentials,
        passenger_type: PassengerType,
    ) -> Result<(), ProviderError> {
        let request = UpdateHolderRequest {
            credentials: credentials(account),
            passenger_type: passenger_type_to_code(passenger_type),
        };
        self.acknowledged(&self.client.paths.update_account_holder, &request)
            .await
    }

    /// 删除常旅客. A passenger verified less than a month ago is refused
    /// with the date it may be deleted from.
    pub async fn delete_passenger(
        &self,
        account: &TrainCredentials,
        name: &str,
        id_type: IdType,
        id_number: &str,
    ) -> Result<DeleteOutcome, ProviderError> {
        let request = DeletePassengerRequest {
            credentials: credentials(account),
            name,
            card_type: id_type_to_code(id_type),
            card_no: id_number,
        };
        let path = &self.client.paths.delete_passenger;
        let body = self.client.post(path, &request).await?;
        deletion(&body, path, &request)
    }

    /// 找回密码-获取验证码: 12306 texts a code to `phone`.
    pub async fn request_password_reset(
        &self,
        request_id: &str,
        id_type: IdType,
        id_number: &str,
        phone: &str,
    ) -> Result<(), ProviderError> {
        let request = ResetCodeRequest {
            request_id,
            card_type: id_type_to_code(id_type),
            card_no: id_number,
            mobile: phone,
        };
        self.acknowledged(&self.client.paths.password_reset_code, &request)
            .await
    }

    /// 找回密码-回填验证码: `new_password` is encrypted.
    pub async fn reset_password(
        &self,
        request_id: &str,
        new_password: &str,
        code: &str,
    ) -> Result<(), ProviderError> {
        let request = ResetPasswordRequest {
            request_id,
            train_password: new_password,
            verification_code: code,
        };
        self.acknowledged(&self.client.paths.password_reset, &request)
            .await
    }

    /// 修改密码: step 1 without `code` (12306 texts one), step 2 with it.
    /// Every value is encrypted.
    pub async fn change_password(
        &self,
        account: &TrainCredentials,
        new_password: &str,
        code: Option<&str>,
    ) -> Result<(), ProviderError> {
        let request = ChangePasswordRequest {
            train_account: account.account.expose_secret(),
            old_train_password: account.password.expose_secret(),
            new_train_password: new_password,
            confirm_train_password: new_password,
            verification_code: code,
        };
        let path = match code {
            None => &self.client.paths.password_change_code,
            Some(_) => &self.client.paths.password_change,
        };
        self.acknowledged(path, &request).await
    }

    /// Sends `request` to an endpoint that answers only success or not.
    async fn acknowledged<B: serde::Serialize>(
        &self,
        path: &str,
        request: &B,
    ) -> Result<(), ProviderError> {
        let body = self.client.post(path, request).await?;
        unwrap_acknowledgement(&body, path, request)
    }
}

// The readers of the answers, each `body` being the answer to `request`
// sent to `path`. Public for the fuzz targets (`crate::fuzzing`).

/// Reads the 账号注册 answer: whether 12306 took the registration, and its
/// note.
pub fn registration<B: Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<(bool, String), ProviderError> {
    let data: RegisterData = unwrap_answer(body, path, request)?;
    Ok((data.reg_submit_is_pass, data.note.unwrap_or_default()))
}

/// Reads the 登录校验 answer, with what a failure asks of the traveller.
pub fn login_check<B: Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<LoginCheck, ProviderError> {
    let data: CheckLoginData = unwrap_answer(body, path, request)?;
    let message = data.error_msg.unwrap_or_default();
    let next_step = if data.is_pass {
        LoginNextStep::None
    } else {
        next_step(&message)
    };
    Ok(LoginCheck {
        passed: data.is_pass,
        message,
        next_step,
    })
}

/// Reads the 获取常旅客 answer.
pub fn listed_passengers<B: Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<Vec<FrequentPassenger>, ProviderError> {
    let listed: Option<Vec<ListedPassenger>> = match unwrap_answer(body, path, request) {
        Ok(listed) => Some(listed),
        // An account without passengers may come back as data:null.
        Err(ProviderError::Malformed { .. }) if is_bare_success(body) => None,
        Err(error) => return Err(error),
    };
    listed
        .unwrap_or_default()
        .into_iter()
        .map(frequent_passenger)
        .collect()
}

/// Reads the 增/改常旅客 answer.
pub fn passenger_saved<B: Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<PassengerSaved, ProviderError> {
    let data: SavePassengerData = unwrap_answer(body, path, request)?;
    Ok(PassengerSaved {
        identity: identity_status(data.identity_verify_status),
        phone_verified: data.mobile_verify_status == 1,
        phone_verification_code: data.verification_code.filter(|code| !code.is_empty()),
    })
}

/// Reads the 删除常旅客 answer: deleted, or refused until a date.
pub fn deletion<B: Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<DeleteOutcome, ProviderError> {
    // Read before unwrapping: the refusal names the passenger, and the
    // date is all railgate passes on.
    if let Ok(BareEnvelope {
        success: false,
        msg: Some(message),
    }) = serde_json::from_slice::<BareEnvelope>(body)
        && let Some(deletable_from) = deletable_from(&message)
    {
        return Ok(DeleteOutcome::TooSoon { deletable_from });
    }
    unwrap_acknowledgement(body, path, request)?;
    Ok(DeleteOutcome::Deleted)
}

fn is_bare_success(body: &[u8]) -> bool {
    serde_json::from_slice::<BareEnvelope>(body).is_ok_and(|envelope| envelope.success)
}

fn frequent_passenger(listed: ListedPassenger) -> Result<FrequentPassenger, ProviderError> {
    let unknown = |field: &'static str, value: i32| ProviderError::UnknownCode {
        provider: PROVIDER,
        field,
        value: value.to_string(),
    };
    Ok(FrequentPassenger {
        id: listed.id,
        id_type: id_type_from_code(listed.card_type)
            .ok_or_else(|| unknown("cardType", listed.card_type))?,
        passenger_type: passenger_type_from_code(listed.passenger_type)
            .ok_or_else(|| unknown("passengerType", listed.passenger_type))?,
        name: listed.name,
        id_number_masked: listed.card_no,
        phone: listed.mobile.unwrap_or_default(),
        identity: identity_status(listed.identity_verify_status),
        phone_verified: listed.mobile_verify_status == 1,
        is_holder: listed.is_user_self,
        // Masked in the seed's example ("****-**-**"): then unknown.
        birth_date: listed
            .birthday
            .and_then(|birthday| NaiveDate::parse_from_str(&birthday, DATE).ok()),
        sex: listed.sex.and_then(sex_from_code),
        country_code: listed.country.filter(|country| !country.is_empty()),
    })
}

/// 身份核验状态 (0 未通过, 1 已通过, 2 未知, 3 待核验, 4 请报验, 5 预通过).
/// A code outside the table reads as 未知: it then keeps the passenger
/// from booking, which is the safe side.
pub fn identity_status(code: i32) -> IdentityStatus {
    match code {
        0 => IdentityStatus::Failed,
        1 => IdentityStatus::Passed,
        3 => IdentityStatus::Pending,
        4 => IdentityStatus::ReportRequired,
        5 => IdentityStatus::PrePassed,
        _ => IdentityStatus::Unknown,
    }
}

/// What a failed login check's message asks for. 12306's SMS instruction
/// reads "请您用手机尾号2467发送短信666至12306" (seed 002); the other
/// messages are not documented, so they are read by keyword.
pub fn next_step(message: &str) -> LoginNextStep {
    if let Some(sms) = sms_instruction(message) {
        return sms;
    }
    if message.contains("人脸") {
        LoginNextStep::VerifyFace
    } else if message.contains("证件号")
        && (message.contains("后4位") || message.contains("后四位"))
    {
        LoginNextStep::GiveIdDigits
    } else if ["密码", "用户名", "锁定", "账号不存在", "账户不存在"]
        .iter()
        .any(|fragment| message.contains(fragment))
    {
        LoginNextStep::CheckCredentials
    } else {
        LoginNextStep::SeeMessage
    }
}

/// "…尾号<digits>发送短信<text>至<recipient>".
fn sms_instruction(message: &str) -> Option<LoginNextStep> {
    let after = |marker: &str| {
        message
            .find(marker)
            .map(|start| &message[start + marker.len()..])
    };
    let leading = |text: &str, keep: fn(char) -> bool| -> String {
        text.chars().take_while(|c| keep(*c)).collect()
    };
    let text = leading(after("发送短信")?, |c| c.is_ascii_alphanumeric());
    let recipient = leading(after("至")?, |c| c.is_ascii_digit());
    if text.is_empty() || recipient.is_empty() {
        return None;
    }
    let phone_last_digits = after("尾号")
        .map(|rest| leading(rest, |c| c.is_ascii_digit()))
        .unwrap_or_default();
    Some(LoginNextStep::SendSms {
        text,
        recipient,
        phone_last_digits,
    })
}

/// The date in "张三2021年10月15日前不允许删除!" (seed 002's refusal of a
/// delete within a month of verification).
pub fn deletable_from(message: &str) -> Option<NaiveDate> {
    let end = message.find("前不允许删除")?;
    let head = &message[..end];
    let year_at = head.rfind('年')?;
    let digits_before = |text: &str| -> String {
        let tail: String = text
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        tail.chars().rev().collect()
    };
    let year: i32 = digits_before(&head[..year_at]).parse().ok()?;
    let rest = &head[year_at + '年'.len_utf8()..];
    let (month, rest) = rest.split_once('月')?;
    let day = rest.strip_suffix('日')?;
    NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Sex;

    #[test]
    fn the_seeds_sms_instruction_is_a_typed_next_step() {
        assert_eq!(
            next_step("请您用手机尾号2467发送短信666至12306"),
            LoginNextStep::SendSms {
                text: "666".into(),
                recipient: "12306".into(),
                phone_last_digits: "2467".into(),
            }
        );
    }

    #[test]
    fn other_login_failures_by_keyword() {
        assert_eq!(next_step("人脸核验未通过"), LoginNextStep::VerifyFace);
        assert_eq!(next_step("请输入证件号后4位"), LoginNextStep::GiveIdDigits);
        assert_eq!(
            next_step("密码输入错误。如果输错次数超过4次,用户将被锁定。"),
            LoginNextStep::CheckCredentials
        );
        assert_eq!(next_step("系统繁忙"), LoginNextStep::SeeMessage);
        // An instruction without its parts is not one.
        assert_eq!(next_step("请发送短信至"), LoginNextStep::SeeMessage);
    }

    #[test]
    fn identity_codes_follow_the_seeds_table() {
        let table: Vec<_> = (0..=6).map(identity_status).collect();
        assert_eq!(
            table,
            [
                IdentityStatus::Failed,
                IdentityStatus::Passed,
                IdentityStatus::Unknown,
                IdentityStatus::Pending,
                IdentityStatus::ReportRequired,
                IdentityStatus::PrePassed,
                IdentityStatus::Unknown,
            ]
        );
    }

    #[test]
    fn the_seeds_delete_refusal_gives_its_date() {
        assert_eq!(
            deletable_from("张三2021年10月15日前不允许删除!"),
            NaiveDate::from_ymd_opt(2021, 10, 15)
        );
        assert_eq!(
            deletable_from("李四2026年1月5日前不允许删除!"),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
        assert_eq!(deletable_from("删除失败"), None);
        assert_eq!(deletable_from("2021年13月40日前不允许删除"), None);
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/src/providers/panhe/testdata/accounts/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// The seed's answers, as the adapter reads them.
    #[test]
    fn the_seeds_answers_read_as_outcomes() {
        use crate::providers::RejectReason;
        let sent = AccountOnly {
            credentials: Credentials {
                train_account: "user",
                train_password: "password",
            },
        };
        assert!(unwrap_acknowledgement(&fixture("delete_done.json"), "/p", &sent).is_ok());
        let refused: BareEnvelope =
            serde_json::from_slice(&fixture("delete_too_soon.json")).unwrap();
        assert_eq!(
            refused.msg.as_deref().and_then(deletable_from),
            NaiveDate::from_ymd_opt(2021, 10, 15)
        );
        let reason = |name: &str| match unwrap_acknowledgement(&fixture(name), "/p", &sent) {
            Err(ProviderError::Rejected { reason, .. }) => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            reason("sms_wrong.json"),
            RejectReason::VerificationCodeInvalid
        );
        assert_eq!(
            reason("face_failed.json"),
            RejectReason::FaceVerificationFailed
        );
        let passed: CheckLoginData =
            super::super::client::unwrap_envelope(&fixture("check_login_passed.json"), "/p")
                .unwrap();
        assert!(passed.is_pass);
        let refused: RegisterData =
            super::super::client::unwrap_envelope(&fixture("register_refused.json"), "/p").unwrap();
        assert!(!refused.reg_submit_is_pass);
        assert_eq!(refused.note.as_deref(), Some("该注册名已存在"));
    }

    #[test]
    fn listed_passengers_map_every_field() {
        let listed: ListedPassenger = serde_json::from_str(
            r#"{"id": "7", "name": "张小华", "cardType": "2", "cardNo": "E1***67",
                "mobile": "15012341234", "passengerType": 3, "birthday": "1990-02-03",
                "sex": 1, "country": "CN", "identityVerifyStatus": 5,
                "mobileVerifyStatus": 0, "isUserSelf": true}"#,
        )
        .unwrap();
        let passenger = frequent_passenger(listed).unwrap();
        assert_eq!(passenger.id, 7);
        assert_eq!(passenger.id_type, IdType::Passport);
        assert_eq!(passenger.passenger_type, PassengerType::Student);
        assert_eq!(passenger.identity, IdentityStatus::PrePassed);
        assert_eq!(passenger.birth_date, NaiveDate::from_ymd_opt(1990, 2, 3));
        assert_eq!(passenger.sex, Some(Sex::Male));
        assert!(!passenger.phone_verified);
        assert!(passenger.is_holder);
    }

    #[test]
    fn an_unknown_card_type_is_refused() {
        let listed: ListedPassenger = serde_json::from_str(
            r#"{"id": 7, "name": "x", "cardType": 6, "cardNo": "", "passengerType": 1,
                "identityVerifyStatus": 1, "mobileVerifyStatus": 1}"#,
        )
        .unwrap();
        assert!(matches!(
            frequent_passenger(listed),
            Err(ProviderError::UnknownCode {
                field: "cardType",
                ..
            })
        ));
    }
}
