//! Classifies Juhe failures: the envelope's `error_code` (seed 000's system
//! errors 100xx and service errors 2257xx) and the callbacks' `msgCode`
//! (seed 001's dictionary, 100–417 and 999). Each maps to a neutral
//! [`RejectReason`], which carries the gRPC code and whether a retry may
//! help ([`RejectReason::is_retryable`]).
//!
//! Service errors follow Juhe's format `2 MMM xx`: 2 for service level,
//! MMM the API's module, xx the error. Seed 000 documents module 257; the
//! examples in seed 001 come from module 238 (223801 抢票取消失败, 223804
//! 参数错误) and agree with 257's table on `xx`, so any module is read by
//! its last two digits.

use crate::providers::RejectReason;

/// System-level errors (seed 000 系统级错误码) and their reasons.
pub const SYSTEM_ERRORS: [(i64, &str, RejectReason); 14] = [
    (10001, "错误的请求KEY", RejectReason::AuthFailed),
    (10002, "该KEY无请求权限", RejectReason::AuthFailed),
    (10003, "KEY过期", RejectReason::AuthFailed),
    (10004, "错误的OPENID", RejectReason::AuthFailed),
    (10005, "应用未审核超时,请提交认证", RejectReason::AuthFailed),
    (10007, "未知的请求源", RejectReason::AuthFailed),
    (10008, "被禁止的IP", RejectReason::AuthFailed),
    (10009, "被禁止的KEY", RejectReason::AuthFailed),
    (10011, "当前IP请求超过限制", RejectReason::RateLimited),
    (10012, "请求超过次数限制", RejectReason::QuotaExhausted),
    (10013, "测试KEY超过请求限制", RejectReason::QuotaExhausted),
    // For a mutating call the outcome is unknown: Juhe says to check the
    // order rather than send it again (see SUBMIT_OUTCOME_UNKNOWN).
    (10014, "系统内部异常", RejectReason::ProviderUnavailable),
    (10020, "接口维护", RejectReason::ProviderUnavailable),
    // The API is switched off for railgate's key: no retry helps, the
    // operator must act, as with a refused key.
    (10021, "接口停用", RejectReason::AuthFailed),
];

/// Error codes after which a submitOrder may still have created the order:
/// seed 000's 10014 系统内部异常 says "请务必联系客服或通过订单查询接口检测订单,
/// 避免造成损失" (check the order through order detail), and 225700
/// 网络繁忙 gives no sign the order was not taken. railgate then reads
/// orderDetail by its own outOrderNo instead of failing the order.
pub const SUBMIT_OUTCOME_UNKNOWN: [&str; 2] = ["10014", "225700"];

/// Whether a submitOrder refusal with this `error_code` leaves the order's
/// existence unknown ([`SUBMIT_OUTCOME_UNKNOWN`]).
pub fn submit_outcome_unknown(code: &str) -> bool {
    SUBMIT_OUTCOME_UNKNOWN.contains(&code)
}

/// How a service error's `xx` is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRule {
    /// Always this reason.
    Fixed(RejectReason),
    /// The `reason` text says what happened; this when it says nothing
    /// railgate recognises.
    ByMessage(RejectReason),
}

/// Service-level errors (seed 000 服务级错误码) by their last two digits.
pub const SERVICE_ERRORS: [(u8, &str, ServiceRule); 5] = [
    (
        0,
        "网络繁忙,请稍后重试",
        ServiceRule::Fixed(RejectReason::ProviderUnavailable),
    ),
    (
        1,
        "供应商错误信息提示,具体看接口返回",
        ServiceRule::ByMessage(RejectReason::Other),
    ),
    (
        2,
        "订单号不存在",
        ServiceRule::Fixed(RejectReason::OrderNotFound),
    ),
    (
        3,
        "订单号已经存在",
        ServiceRule::Fixed(RejectReason::DuplicateOrder),
    ),
    (
        4,
        "各种参数错误,具体看接口返回",
        ServiceRule::ByMessage(RejectReason::InvalidRequest),
    ),
];

/// What a callback's msgCode reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgOutcome {
    /// 100 请求成功.
    Success,
    /// A failure and its reason.
    Failure(RejectReason),
}

use MsgOutcome::{Failure, Success};
use RejectReason::{
    AuthFailed, DateOutOfRange, DuplicateOrder, InvalidRequest, OfferExpired, OrderNotFound,
    OrderStateConflict, Other, PassengerIdentityUnverified, PassengerNotAllowed,
    ProviderUnavailable, QuotaExhausted, RateLimited, SoldOut, TooCloseToDeparture,
    TrainAccountRejected, TrainNotFound,
};

/// Callback msgCodes (seed 001 dictionary `msgCode`) and their outcomes.
pub const MSG_CODES: [(u16, &str, MsgOutcome); 66] = [
    (100, "请求成功", Success),
    (101, "参数无效", Failure(InvalidRequest)),
    (102, "签名验证失败", Failure(AuthFailed)),
    (103, "该IP没有权限访问此接口", Failure(AuthFailed)),
    (104, "请求过于频繁,请稍后重试", Failure(RateLimited)),
    (105, "没有权限访问此接口", Failure(AuthFailed)),
    (201, "该订单不存在", Failure(OrderNotFound)),
    (
        202,
        "当前订单状态不允许执行此操作",
        Failure(OrderStateConflict),
    ),
    // 12306 does not sell at night; the same call works in the morning.
    (203, "当前时间不支持此服务", Failure(ProviderUnavailable)),
    (204, "坐席无效", Failure(InvalidRequest)),
    (205, "发车日期无效", Failure(DateOutOfRange)),
    (206, "取消次数过多,取消请求已锁定", Failure(QuotaExhausted)),
    (207, "订单已过期", Failure(OrderStateConflict)),
    (208, "车次号无效", Failure(TrainNotFound)),
    (209, "该坐席已售完", Failure(SoldOut)),
    (
        210,
        "该账号有未完成的订单,无法继续执行此操作",
        Failure(TrainAccountRejected),
    ),
    (211, "分销商身份验证无效", Failure(AuthFailed)),
    (212, "该订单未付款,无法出票", Failure(OrderStateConflict)),
    (213, "坐席价格错误", Failure(InvalidRequest)),
    (
        214,
        "占座排队中,请等待占座结果",
        Failure(OrderStateConflict),
    ),
    (215, "站站查询结果已过期,请重新查询", Failure(OfferExpired)),
    (
        216,
        "距离发车时间太近,无法执行此操作",
        Failure(TooCloseToDeparture),
    ),
    // Only standing room was left and the order refused it.
    (217, "实际占座为无座,乘客制定不接受无座", Failure(SoldOut)),
    (
        218,
        "测试订单不允许预定20天以内发车的车次",
        Failure(DateOutOfRange),
    ),
    (219, "抢票单已达预约上限", Failure(QuotaExhausted)),
    (
        220,
        "抢票单乘客数,车次数,坐席数超过配置上限",
        Failure(InvalidRequest),
    ),
    (221, "抢票取消失败", Failure(OrderStateConflict)),
    (222, "抢票功能关闭", Failure(ProviderUnavailable)),
    (301, "该订单中无此乘客", Failure(InvalidRequest)),
    (
        302,
        "乘客身份信息涉嫌被他人冒用",
        Failure(PassengerIdentityUnverified),
    ),
    (
        303,
        "当前车票状态不允许执行此操作",
        Failure(OrderStateConflict),
    ),
    (304, "乘客信息不正确", Failure(PassengerIdentityUnverified)),
    (
        305,
        "乘客已预订过与该行程有冲突的车票",
        Failure(PassengerNotAllowed),
    ),
    (
        306,
        "乘客已被法院依法限制高消费",
        Failure(PassengerNotAllowed),
    ),
    (
        307,
        "乘客已预订过该车次,无法重复预订",
        Failure(PassengerNotAllowed),
    ),
    (
        308,
        "乘客身份信息未通过验证",
        Failure(PassengerIdentityUnverified),
    ),
    (309, "出票5分钟内无法提交退票", Failure(OrderStateConflict)),
    (
        310,
        "距离发车时间太近,无法申请退票",
        Failure(TooCloseToDeparture),
    ),
    (
        311,
        "订单中包含儿童票,如需退票请先退儿童票",
        Failure(OrderStateConflict),
    ),
    (312, "不支持网上退票", Failure(OrderStateConflict)),
    (
        313,
        "订单中包含儿童票,该乘客无法改签",
        Failure(OrderStateConflict),
    ),
    (
        314,
        "距离发车时间太近,无法改签",
        Failure(TooCloseToDeparture),
    ),
    (
        315,
        "要改签的车次不在预售期内,无法改签",
        Failure(DateOutOfRange),
    ),
    (316, "该订单不支持改签", Failure(OrderStateConflict)),
    (317, "改签次数过多,改签请求已锁定", Failure(QuotaExhausted)),
    (
        318,
        "当天取消改签次数过多,取消请求已锁定",
        Failure(QuotaExhausted),
    ),
    (319, "购保失败", Failure(Other)),
    (320, "退保失败", Failure(Other)),
    (
        401,
        "购票所使用的12306账号未进行手机核验",
        Failure(TrainAccountRejected),
    ),
    (
        402,
        "购票所使用的12306账号被封,无法执行此操作",
        Failure(TrainAccountRejected),
    ),
    (403, "12306账号登录失败", Failure(TrainAccountRejected)),
    (
        404,
        "12306账号尚未激活,请用注册时的邮箱激活后重试",
        Failure(TrainAccountRejected),
    ),
    (
        405,
        "12306账号未通过身份信息核验,请核验后重试",
        Failure(TrainAccountRejected),
    ),
    (406, "12306账号已被锁定", Failure(TrainAccountRejected)),
    (407, "登录验证码错误", Failure(TrainAccountRejected)),
    (408, "12306账号格式不正确", Failure(TrainAccountRejected)),
    (
        409,
        "12306账号常用联系人已达上限,无法继续添加",
        Failure(TrainAccountRejected),
    ),
    (
        410,
        "当日获取短信验证码次数已达上限",
        Failure(QuotaExhausted),
    ),
    (411, "邮箱已被注册", Failure(TrainAccountRejected)),
    (412, "用户名已被注册", Failure(TrainAccountRejected)),
    (413, "手机号码已被注册", Failure(TrainAccountRejected)),
    (414, "证件号码已被注册", Failure(TrainAccountRejected)),
    (415, "12306账号不可用", Failure(TrainAccountRejected)),
    (416, "手机号或证件号码不正确", Failure(TrainAccountRejected)),
    (417, "该联系人已存在", Failure(TrainAccountRejected)),
    (999, "未知的失败原因", Failure(Other)),
];

/// Fragments of Juhe's free-text reasons and the reason each signals, most
/// specific first. Used where the code itself says "see the message".
const MESSAGE_RULES: &[(&[&str], RejectReason)] = &[
    (&["查询结果已过期", "queryKey", "querykey"], OfferExpired),
    (&["KEY", "key", "权限"], AuthFailed),
    (&["频繁"], RateLimited),
    (
        &["订单号已经存在", "订单号已存在", "订单已存在"],
        DuplicateOrder,
    ),
    // Seed 001's applyRefundOrder example: 223804 "参数错误:订单号或passengerId
    // 不存在" names a parameter error, but what it says is "not found".
    (
        &["订单号不存在", "订单不存在", "订单号或passengerId不存在"],
        OrderNotFound,
    ),
    (&["12306账号"], TrainAccountRejected),
    (
        &["冒用", "身份信息", "身份效验", "身份核验"],
        PassengerIdentityUnverified,
    ),
    (&["限制高消费", "重复预订", "有冲突"], PassengerNotAllowed),
    (&["已售完", "余票不足", "无票"], SoldOut),
    (&["发车时间太近", "临近发车"], TooCloseToDeparture),
    (&["预售期", "发车日期"], DateOutOfRange),
    (&["取消失败", "状态不允许", "已过期"], OrderStateConflict),
    (&["网络繁忙", "系统繁忙", "维护"], ProviderUnavailable),
    (&["参数", "不能为空", "格式"], InvalidRequest),
];

/// The reason a free-text message signals, if railgate recognises it: a
/// documented msgCode text it contains, else a fragment rule.
pub fn classify_message(message: &str) -> Option<RejectReason> {
    let from_table = MSG_CODES
        .iter()
        .find_map(|(_, text, outcome)| match outcome {
            Failure(reason) if message.contains(text) => Some(*reason),
            _ => None,
        });
    from_table.or_else(|| {
        MESSAGE_RULES
            .iter()
            .find(|(fragments, _)| fragments.iter().any(|fragment| message.contains(fragment)))
            .map(|(_, reason)| *reason)
    })
}

/// The reason for an envelope with a non-zero `error_code`. An undocumented
/// code is still a refusal: `Other`, with Juhe's code and words kept by the
/// caller.
pub fn classify_error(error_code: i64, message: &str) -> RejectReason {
    if let Some((_, _, reason)) = SYSTEM_ERRORS
        .iter()
        .find(|(code, _, _)| *code == error_code)
    {
        return *reason;
    }
    if (200_000..300_000).contains(&error_code) {
        let suffix = (error_code % 100) as u8;
        if let Some((_, _, rule)) = SERVICE_ERRORS.iter().find(|(known, _, _)| *known == suffix) {
            return match rule {
                ServiceRule::Fixed(reason) => *reason,
                ServiceRule::ByMessage(fallback) => classify_message(message).unwrap_or(*fallback),
            };
        }
    }
    classify_message(message).unwrap_or(Other)
}

/// What a callback's msgCode reports; `None` for an undocumented code. The
/// seed's failure callbacks all send 101 (出票失败, 抢票单过期, 参数无效),
/// so 101 is a generic failure whose reason comes from `msgInfo`.
pub fn classify_msg_code(msg_code: &str, msg_info: &str) -> Option<MsgOutcome> {
    let code: u16 = msg_code.trim().parse().ok()?;
    let (_, _, outcome) = MSG_CODES.iter().find(|(known, _, _)| *known == code)?;
    Some(match outcome {
        Failure(InvalidRequest) if code == 101 => {
            Failure(classify_message(msg_info).unwrap_or(Other))
        }
        other => *other,
    })
}

#[cfg(test)]
#[path = "codes_tests.rs"]
mod tests;
