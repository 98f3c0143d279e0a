//! Panhe's JSON for the 12306 account endpoints, spelled as seed 002
//! spells it. Only the adapter sees these types.
//!
//! The seed's readings, where it is unclear:
//! - the 账号注册 table has a row without a field name ("string | 是 |
//!   邮箱"): sent as `email`, as the frequent-passenger list spells it;
//! - 找回密码-获取验证码 lists `appkey` with a lower-case k where every other
//!   endpoint says `appKey`: railgate sends `appKey` everywhere (the one
//!   spelling of the transport), to confirm with Panhe;
//! - numbers that the examples quote (`"cardType": "1"`) are sent as the
//!   tables type them (int) and read in either form.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// The account every account call names: both encrypted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials<'a> {
    /// 12306账号-密文.
    pub train_account: &'a str,
    /// 12306密码-密文.
    pub train_password: &'a str,
}

/// 账号注册.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest<'a> {
    /// The new account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 姓名.
    pub name: &'a str,
    /// 证件类型.
    pub card_type: i32,
    /// 证件号.
    pub card_no: &'a str,
    /// 手机号.
    pub mobile: &'a str,
    /// 旅客类型.
    pub passenger_type: i32,
    /// 邮箱 (cardType 3 and 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    /// 性别 (cardType other than 1 and 9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<i32>,
    /// 国家地区 (cardType 2 and 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
    /// 证件有效期截止日期 yyyy-MM-dd (cardType other than 1 and 9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_valid_end_date: Option<String>,
    /// 出生日期 yyyy-MM-dd (cardType other than 1 and 9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// 短信验证码 (after texting 999 to 12306).
    pub msg_code: &'a str,
}

/// `data` of 账号注册.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterData {
    /// 是否注册成功.
    pub reg_submit_is_pass: bool,
    /// 提示消息.
    #[serde(default)]
    pub note: Option<String>,
}

/// 登录校验.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckLoginRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 登录账号绑定的证件号后4位 (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_digits: Option<&'a str>,
}

/// `data` of 登录校验.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckLoginData {
    /// 是否通过.
    pub is_pass: bool,
    /// 失败提示消息 ("已通过" when it passed).
    #[serde(default)]
    pub error_msg: Option<String>,
}

/// 短信验证: validateType 2, login verification (1, registration, is
/// retired by the seed: registration takes the code itself).
pub const VALIDATE_LOGIN: i32 = 2;

/// 短信验证.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifySmsRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 验证码.
    pub msg_code: &'a str,
    /// 验证类型.
    pub validate_type: i32,
}

/// 人脸认证.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyFaceRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 照片集合, Base64.
    pub photos: Vec<String>,
}

/// 获取常旅客 and 修改账号本人信息's account part.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOnly<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
}

/// One entry of 获取常旅客.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedPassenger {
    /// 序号.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub id: i64,
    /// 姓名.
    pub name: String,
    /// 证件类型.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub card_type: i32,
    /// 证件号 (masked).
    #[serde(default)]
    pub card_no: String,
    /// 手机号.
    #[serde(default)]
    pub mobile: Option<String>,
    /// 旅客类型.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub passenger_type: i32,
    /// 出生日期 (masked `****-**-**` in the example).
    #[serde(default)]
    pub birthday: Option<String>,
    /// 性别 (0 unknown, 1 male, 2 female).
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub sex: Option<i32>,
    /// 国籍.
    #[serde(default)]
    pub country: Option<String>,
    /// 身份核验状态 (0–5).
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub identity_verify_status: i32,
    /// 手机核验状态 (0 pending, 1 verified).
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub mobile_verify_status: i32,
    /// 乘客是否账号用户本人.
    #[serde(default)]
    pub is_user_self: bool,
}

/// 增/改常旅客.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavePassengerRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 0 adds; > 0 updates that passenger.
    pub id: i64,
    /// 姓名.
    pub name: &'a str,
    /// 证件类型.
    pub card_type: i32,
    /// 证件号.
    pub card_no: &'a str,
    /// 手机号.
    pub mobile: &'a str,
    /// 旅客类型.
    pub passenger_type: i32,
    /// 出生日期 (cardType 2, 3, 4, 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// 国家/地区代码 (cardType 2, 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
    /// 证件有效期截止日期 (cardType 2, 3, 4, 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_valid_end_date: Option<String>,
    /// 性别 (cardType 2, 3, 4, 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<i32>,
}

/// `data` of 增/改常旅客.
#[serde_as]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavePassengerData {
    /// 身份核验状态.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub identity_verify_status: i32,
    /// 手机核验状态.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub mobile_verify_status: i32,
    /// The code to text to 12306 while the phone is pending.
    #[serde(default)]
    pub verification_code: Option<String>,
}

/// 修改账号本人信息.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateHolderRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 旅客类型.
    pub passenger_type: i32,
}

/// 删除常旅客.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePassengerRequest<'a> {
    /// The account.
    #[serde(flatten)]
    pub credentials: Credentials<'a>,
    /// 姓名.
    pub name: &'a str,
    /// 证件类型.
    pub card_type: i32,
    /// 证件号.
    pub card_no: &'a str,
}

/// 找回密码-获取验证码.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetCodeRequest<'a> {
    /// 请求ID, the caller's, unique per recovery.
    #[serde(rename = "requestID")]
    pub request_id: &'a str,
    /// 证件类型.
    pub card_type: i32,
    /// 证件号.
    pub card_no: &'a str,
    /// 手机号.
    pub mobile: &'a str,
}

/// 找回密码-回填验证码.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest<'a> {
    /// The requestID of step 1.
    #[serde(rename = "requestID")]
    pub request_id: &'a str,
    /// 新密码-密文.
    pub train_password: &'a str,
    /// 短信验证码.
    pub verification_code: &'a str,
}

/// 修改密码, both steps (step 2 adds the code).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest<'a> {
    /// 12306账号-密文.
    pub train_account: &'a str,
    /// 原密码-密文.
    pub old_train_password: &'a str,
    /// 新密码-密文.
    pub new_train_password: &'a str,
    /// 确认新密码-密文.
    pub confirm_train_password: &'a str,
    /// 短信验证码 (step 2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::panhe::wire::Envelope;

    const CLEAR: Credentials<'static> = Credentials {
        train_account: "x2mQh9UH4YM3GxH+0UIdRw==",
        train_password: "V6Sne4lXqv08WD0j2xfdQQ==",
    };

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/src/providers/panhe/testdata/accounts/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    #[test]
    fn the_seeds_passenger_list_reads() {
        let envelope: Envelope<Vec<ListedPassenger>> =
            serde_json::from_str(&fixture("passengers.json")).unwrap();
        let passengers = envelope.data.unwrap();
        assert_eq!(passengers.len(), 1);
        let first = &passengers[0];
        assert_eq!(first.id, 1691138393);
        assert_eq!(first.name, "张小华");
        assert_eq!(first.card_type, 1);
        assert_eq!(first.card_no, "2308***********029");
        assert_eq!(first.identity_verify_status, 1);
        assert_eq!(first.mobile_verify_status, 1);
        assert_eq!(first.sex, Some(2));
        assert!(!first.is_user_self);
    }

    #[test]
    fn the_seeds_answers_read() {
        let saved: Envelope<SavePassengerData> =
            serde_json::from_str(&fixture("save_passenger.json")).unwrap();
        let saved = saved.data.unwrap();
        assert_eq!(
            (saved.identity_verify_status, saved.mobile_verify_status),
            (1, 0)
        );
        assert_eq!(saved.verification_code.as_deref(), Some("41039186"));

        let login: Envelope<CheckLoginData> =
            serde_json::from_str(&fixture("check_login_failed.json")).unwrap();
        let login = login.data.unwrap();
        assert!(!login.is_pass);
        assert_eq!(
            login.error_msg.as_deref(),
            Some("请您用手机尾号2467发送短信666至12306")
        );

        let registered: Envelope<RegisterData> =
            serde_json::from_str(&fixture("register.json")).unwrap();
        assert!(registered.data.unwrap().reg_submit_is_pass);
    }

    /// The seed's request examples, field for field (its placeholders
    /// aside, and its quoted numbers sent as the tables type them).
    #[test]
    fn requests_are_spelled_as_the_seed_spells_them() {
        let change = ChangePasswordRequest {
            train_account: CLEAR.train_account,
            old_train_password: CLEAR.train_password,
            new_train_password: "Wmv70Z79f//uT+/ggruPuQ==",
            confirm_train_password: "Wmv70Z79f//uT+/ggruPuQ==",
            verification_code: Some("028307"),
        };
        let expected: serde_json::Value =
            serde_json::from_str(&fixture("change_password_request.json")).unwrap();
        let mut sent = serde_json::to_value(&change).unwrap();
        sent["appKey"] = expected["appKey"].clone();
        assert_eq!(sent, expected);

        let reset = ResetPasswordRequest {
            request_id: "dcf1d40f58d04a47ba91e89833788165",
            train_password: "登录密码-密文",
            verification_code: "177560",
        };
        let expected: serde_json::Value =
            serde_json::from_str(&fixture("reset_password_request.json")).unwrap();
        let mut sent = serde_json::to_value(&reset).unwrap();
        sent["appKey"] = expected["appKey"].clone();
        assert_eq!(sent, expected);

        let save = SavePassengerRequest {
            credentials: Credentials {
                train_account: "用户",
                train_password: "密码",
            },
            id: 0,
            name: "张三",
            card_type: 1,
            card_no: "**************",
            mobile: "150*********",
            passenger_type: 1,
            birthday: None,
            country_code: None,
            card_valid_end_date: None,
            sex: None,
        };
        let mut expected: serde_json::Value =
            serde_json::from_str(&fixture("save_passenger_request.json")).unwrap();
        expected["cardType"] = serde_json::json!(1);
        let mut sent = serde_json::to_value(&save).unwrap();
        sent["appKey"] = expected["appKey"].clone();
        assert_eq!(sent, expected);
    }
}
