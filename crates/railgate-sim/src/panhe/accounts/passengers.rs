//! 获取常旅客, 增/改常旅客, 修改账号本人信息 and 删除常旅客, and the
//! passenger fields 账号注册 shares with 增/改常旅客.

use serde::Serialize;

use super::Outcome;
use super::model::{
    IDENTITY_VERIFIED, MAX_PASSENGERS, Passenger, PassengerDetails, id_birthday_and_sex,
};
use crate::identity::id18_is_valid;
use crate::panhe::orders::detail::mask_card_no;
use crate::panhe::orders::model::{CARD_TYPES, code_name};
use crate::panhe::params::Params;
use crate::panhe::wire::Failure;
use crate::panhe::{PanheSimConfig, SimState};

/// 旅客类型 (passengerType).
pub const PASSENGER_TYPES: [(i64, &str); 4] = [
    (1, "成人"),
    (2, "儿童"),
    (3, "学生"),
    (4, "残疾军人、伤残人民警察"),
];

/// Which table the passenger fields follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// 账号注册: email (cardType 3, 4), sex 0–2, countryCode (2, 8),
    /// cardValidEndDate and birthday (cardType other than 1 and 9), in
    /// that order.
    Register,
    /// 增/改常旅客: birthday, countryCode (2, 8), cardValidEndDate, sex
    /// 1–2, the others required for cardType 2, 3, 4 and 8.
    Save,
}

/// The conditional fields in each table's order.
#[derive(Debug, Clone, Copy)]
enum Conditional {
    Email,
    Sex,
    CountryCode,
    CardValidEndDate,
    Birthday,
}

impl Form {
    fn conditional(self) -> &'static [Conditional] {
        use Conditional::*;
        match self {
            Form::Register => &[Email, Sex, CountryCode, CardValidEndDate, Birthday],
            Form::Save => &[Birthday, CountryCode, CardValidEndDate, Sex],
        }
    }
}

/// name, cardType, cardNo, mobile, passengerType, then the table's
/// conditional fields, each checked in table order.
pub(super) fn details(
    params: &Params,
    form: Form,
    config: &PanheSimConfig,
) -> Result<PassengerDetails, Failure> {
    let name = params.required_str("name")?.to_owned();
    let card_type = params.required_int("cardType")?;
    let card_type_name = card_type_name(params, card_type)?;
    let card_no = params.required_str("cardNo")?.to_ascii_uppercase();
    if matches!(card_type, 1 | 9) && !id18_is_valid(&card_no) {
        return Err(Failure(format!(
            "参数{}格式错误,证件号码校验不通过",
            params.field("cardNo")
        )));
    }
    let mobile = params.required_str("mobile")?.to_owned();
    check_mobile(params, &mobile)?;
    let passenger_type = passenger_type(params)?;
    let required_for = |field: &str| {
        Failure(format!(
            "参数{}不能为空(证件类型为{card_type_name}时必填)",
            params.field(field)
        ))
    };
    let (id_birthday, id_sex) = if matches!(card_type, 1 | 9) {
        id_birthday_and_sex(&card_no)
    } else {
        (None, None)
    };
    let not_id_card = !matches!(card_type, 1 | 9);
    let mut details = PassengerDetails {
        name,
        card_type,
        card_no,
        mobile,
        passenger_type,
        birthday: id_birthday,
        sex: id_sex.unwrap_or(0),
        country: "CN".into(),
        email: String::new(),
        address: String::new(),
        card_valid_end: None,
    };
    for field in form.conditional() {
        match field {
            Conditional::Email => {
                let key = config.register_email_field.as_str();
                match params.optional_str(key)? {
                    None if matches!(card_type, 3 | 4) => return Err(required_for(key)),
                    None => {}
                    Some(email) if !email.contains('@') => {
                        return Err(Failure(format!(
                            "参数{}格式错误,应为邮箱地址",
                            params.field(key)
                        )));
                    }
                    Some(email) => email.clone_into(&mut details.email),
                }
            }
            Conditional::Sex => match params.optional_int("sex")? {
                None if not_id_card => return Err(required_for("sex")),
                None => {}
                Some(sex @ (1 | 2)) => details.sex = sex,
                Some(0) if form == Form::Register => details.sex = 0,
                Some(other) => {
                    let expected = match form {
                        Form::Register => "0(未知)、1(男)或2(女)",
                        Form::Save => "1(男)或2(女)",
                    };
                    return Err(Failure(format!(
                        "参数{}格式错误,应为{expected}:{other}",
                        params.field("sex")
                    )));
                }
            },
            Conditional::CountryCode => match params.optional_str("countryCode")? {
                None if matches!(card_type, 2 | 8) => return Err(required_for("countryCode")),
                None => {}
                Some(code) => details.country = code.to_ascii_uppercase(),
            },
            Conditional::CardValidEndDate => match params.optional_date("cardValidEndDate")? {
                None if not_id_card => return Err(required_for("cardValidEndDate")),
                end => details.card_valid_end = end,
            },
            Conditional::Birthday => match params.optional_date("birthday")? {
                None if not_id_card => return Err(required_for("birthday")),
                None => {}
                Some(birthday) => details.birthday = Some(birthday),
            },
        }
    }
    Ok(details)
}

/// A cardType of the seed's table.
pub(super) fn card_type_name(params: &Params, card_type: i64) -> Result<&'static str, Failure> {
    code_name(&CARD_TYPES, card_type).ok_or_else(|| {
        Failure(format!(
            "参数{}格式错误,不支持的证件类型:{card_type}",
            params.field("cardType")
        ))
    })
}

fn passenger_type(params: &Params) -> Result<i64, Failure> {
    let passenger_type = params.required_int("passengerType")?;
    code_name(&PASSENGER_TYPES, passenger_type)
        .map(|_| passenger_type)
        .ok_or_else(|| {
            Failure(format!(
                "参数{}格式错误,不支持的旅客类型:{passenger_type}",
                params.field("passengerType")
            ))
        })
}

/// 11 digits starting with 1.
pub(super) fn check_mobile(params: &Params, mobile: &str) -> Result<(), Failure> {
    let valid = mobile.len() == 11
        && mobile.starts_with('1')
        && mobile.bytes().all(|byte| byte.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Failure(format!(
            "参数{}格式错误,应为11位手机号",
            params.field("mobile")
        )))
    }
}

/// One passenger of 获取常旅客, in the seed's example's field order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PassengerRow {
    id: i64,
    name: String,
    card_type: i64,
    /// First 4 and last 3 characters (`2308***********029`).
    card_no: String,
    /// Unmasked, as in the example.
    mobile: String,
    passenger_type: i64,
    /// `****-**-**` as in the example; empty when unknown.
    birthday: String,
    sex: i64,
    country: String,
    email: String,
    address: String,
    identity_verify_status: i64,
    mobile_verify_status: i64,
    is_user_self: bool,
}

/// 获取常旅客: `{trainAccount, trainPassword}`; the holder first, then the
/// others in the order they were added.
pub(super) fn list(state: &SimState, params: &Params) -> Outcome<Vec<PassengerRow>> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.logged_in(state.config(), now, train_account, password)?;
    let rows = account
        .passengers
        .iter()
        .map(|passenger| {
            let details = &passenger.details;
            PassengerRow {
                id: passenger.id,
                name: details.name.clone(),
                card_type: details.card_type,
                card_no: mask_card_no(&details.card_no),
                mobile: details.mobile.clone(),
                passenger_type: details.passenger_type,
                birthday: if details.birthday.is_some() {
                    "****-**-**".into()
                } else {
                    String::new()
                },
                sex: details.sex,
                country: details.country.clone(),
                email: details.email.clone(),
                address: details.address.clone(),
                identity_verify_status: passenger.identity_status(now),
                mobile_verify_status: passenger.mobile_status(now),
                is_user_self: passenger.is_user_self,
            }
        })
        .collect();
    Ok(rows)
}

/// `data` of 增/改常旅客.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SaveAnswer {
    identity_verify_status: i64,
    mobile_verify_status: i64,
    /// The 8-digit code while the mobile is unverified, else null.
    verification_code: Option<String>,
}

/// 增/改常旅客: id 0 adds, id > 0 updates that passenger (never the
/// holder). Changing the name or the document restarts the identity
/// check; changing the mobile restarts the mobile check with a new code.
pub(super) fn save(state: &SimState, params: &Params) -> Outcome<SaveAnswer> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let id = params.required_int("id")?;
    if id < 0 {
        return Err(Failure(format!(
            "参数{}格式错误,应为0(新增)或常旅客序号:{id}",
            params.field("id")
        ))
        .into());
    }
    let config = state.config();
    let details = details(params, Form::Save, config)?;
    let now = state.provider_now();
    let mut book = state.accounts();
    let code = book.random_digits(8);
    let new_id = if id == 0 { book.next_passenger_id() } else { 0 };
    let account = book.logged_in(config, now, train_account, password)?;
    let duplicate = |passenger: &Passenger| {
        passenger.id != id
            && passenger
                .details
                .same_card(details.card_type, &details.card_no)
    };
    if account.passengers.iter().any(duplicate) {
        return Err(Failure(format!(
            "{}的证件信息已存在于常旅客中,请勿重复添加",
            details.name
        ))
        .into());
    }
    let saved = if id == 0 {
        let counted = if config.passenger_cap_counts_holder {
            account.passengers.len()
        } else {
            account.passengers.len() - 1
        };
        if counted >= MAX_PASSENGERS {
            return Err(Failure(format!(
                "常旅客数量已达上限,同一账号下最多{MAX_PASSENGERS}个常旅客,请删除后再添加"
            ))
            .into());
        }
        let passenger = Passenger::new(new_id, details, false, now, config, code);
        account.passengers.push(passenger);
        account.passengers.last().expect("just pushed")
    } else {
        let passenger = account
            .passengers
            .iter_mut()
            .find(|passenger| passenger.id == id)
            .ok_or_else(|| Failure(format!("常旅客不存在:id={id}")))?;
        if passenger.is_user_self {
            return Err(Failure(
                "该常旅客为12306账号本人,无法通过增/改常旅客接口修改,请使用修改账号本人信息接口"
                    .into(),
            )
            .into());
        }
        let old = std::mem::replace(&mut passenger.details, details);
        let new = &passenger.details;
        let identity_changed = old.name != new.name || !new.same_card(old.card_type, &old.card_no);
        let mobile_changed = old.mobile != new.mobile;
        if identity_changed {
            passenger.restart_identity_check(now, config);
        }
        if mobile_changed {
            passenger.verification_code = code;
            passenger.restart_mobile_check(now, config);
        }
        &*passenger
    };
    Ok(SaveAnswer {
        identity_verify_status: saved.identity_status(now),
        mobile_verify_status: saved.mobile_status(now),
        verification_code: saved.pending_code(now),
    })
}

/// 修改账号本人信息: `{trainAccount, trainPassword, passengerType}`, the
/// only field of the holder that may change.
pub(super) fn update_holder(state: &SimState, params: &Params) -> Outcome<bool> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let passenger_type = passenger_type(params)?;
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.logged_in(state.config(), now, train_account, password)?;
    account.holder_mut().details.passenger_type = passenger_type;
    Ok(true)
}

/// 删除常旅客: `{trainAccount, trainPassword, name, cardType, cardNo}`.
/// A passenger added less than a month ago may not be deleted if verified
/// (or whatever its status, with `delete_lock_verified_only` off):
/// `张三2021年10月15日前不允许删除!`. Success is `data:null`.
pub(super) fn delete(state: &SimState, params: &Params) -> Outcome<()> {
    let train_account = params.required_str("trainAccount")?;
    let password = params.required_str("trainPassword")?;
    let name = params.required_str("name")?;
    let card_type = params.required_int("cardType")?;
    card_type_name(params, card_type)?;
    let card_no = params.required_str("cardNo")?;
    let config = state.config();
    let now = state.provider_now();
    let mut book = state.accounts();
    let account = book.logged_in(config, now, train_account, password)?;
    let index = account
        .passengers
        .iter()
        .position(|passenger| {
            passenger.details.name == name && passenger.details.same_card(card_type, card_no)
        })
        .ok_or_else(|| Failure(format!("常旅客不存在:{name}")))?;
    let passenger = &account.passengers[index];
    if passenger.is_user_self {
        return Err(Failure("12306账号本人不能删除".into()).into());
    }
    let locked =
        !config.delete_lock_verified_only || passenger.identity_status(now) == IDENTITY_VERIFIED;
    let from = passenger.deletable_from();
    if locked && now.date() < from {
        return Err(Failure(format!(
            "{name}{}前不允许删除!",
            from.format("%Y年%m月%d日")
        ))
        .into());
    }
    account.passengers.remove(index);
    Ok(())
}
