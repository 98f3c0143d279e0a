//! Classifies Panhe failures. Panhe has no error codes: a failure is
//! `success:false` with a Chinese `msg`, so the reason is read from the
//! message. Unrecognised messages are `Other`, and the caller still gets the
//! provider's words in the error metadata.

use crate::providers::RejectReason;

/// Message fragments and the reason each signals, most specific first.
const RULES: &[(&[&str], RejectReason)] = &[
    (
        &["appKey", "appkey", "APPKEY", "签名", "sign"],
        RejectReason::AuthFailed,
    ),
    // 12306 accounts. Only the SMS instruction and "验证码错误" are the
    // seed's words; the rest are read by keyword.
    (
        &["短信666", "666至12306"],
        RejectReason::TrainAccountSmsRequired,
    ),
    (
        &["验证码已过期", "验证码过期", "验证码已失效", "验证码失效"],
        RejectReason::VerificationCodeExpired,
    ),
    (
        &["验证码错误", "验证码不正确", "验证码有误", "验证码无效"],
        RejectReason::VerificationCodeInvalid,
    ),
    (&["人脸"], RejectReason::FaceVerificationFailed),
    (
        &[
            "常旅客已达上限",
            "常旅客数量",
            "最多有15个",
            "最多添加15",
            "超过15个",
        ],
        RejectReason::FrequentPassengerLimit,
    ),
    (
        &["常旅客不存在", "乘客不存在", "联系人不存在"],
        RejectReason::FrequentPassengerNotFound,
    ),
    (
        &[
            "密码错误",
            "密码输入错误",
            "用户名或密码",
            "已被锁定",
            "未登录",
            "登录失败",
        ],
        RejectReason::TrainAccountRejected,
    ),
    (&["频繁", "次数超限", "限流"], RejectReason::RateLimited),
    (&["身份", "核验"], RejectReason::PassengerIdentityUnverified),
    (
        &["余票不足", "已售完", "无票", "售罄"],
        RejectReason::SoldOut,
    ),
    (
        &["距离发车", "临近发车", "即将发车"],
        RejectReason::TooCloseToDeparture,
    ),
    (&["车站", "站点", "站名"], RejectReason::UnknownStation),
    (&["日期", "预售期"], RejectReason::DateOutOfRange),
    (&["车次"], RejectReason::TrainNotFound),
    (&["参数", "不能为空", "格式"], RejectReason::InvalidRequest),
];

/// The reason a `success:false` message signals.
pub fn classify_failure(message: &str) -> RejectReason {
    RULES
        .iter()
        .find(|(fragments, _)| fragments.iter().any(|fragment| message.contains(fragment)))
        .map_or(RejectReason::Other, |(_, reason)| *reason)
}

/// The reason a refusal of a request that sent `sent` signals, read from
/// Panhe's own words: every value the request sent (a train code, a
/// station or passenger name, which Panhe's messages quote) is cut out
/// first, longest first, so text a client chose cannot steer the reason.
/// Values shorter than two characters stay (they would cut Panhe's words).
pub fn classify_refusal(message: &str, sent: &[String]) -> RejectReason {
    // Panhe may change a value's ASCII case as it quotes it (the simulator
    // upper-cases train codes): compare without it. The rules' ASCII
    // fragments have lower-case forms.
    let mut values: Vec<String> = sent
        .iter()
        .map(|value| value.trim().to_ascii_lowercase())
        .filter(|value| value.chars().count() >= 2)
        .collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    let mut own = message.to_ascii_lowercase();
    for value in &values {
        if own.contains(value.as_str()) {
            own = own.replace(value.as_str(), " ");
        }
    }
    classify_failure(&own)
}

/// createOrder refused because its customerOrderNo was used before (the
/// seed: "单号值必须唯一,否则会被系统判定为重复下单进行拦截"). The simulator
/// says "重复下单:商户订单号<c>已存在,订单号<orderNo>"; the real wording is
/// not documented, so [`duplicate_order`] reads it loosely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOrder {
    /// Panhe's number of the order that already exists, when the message
    /// names exactly one.
    pub existing_order_no: Option<String>,
}

/// Labels before Panhe's own order number. "订单号" is also the tail of
/// "商户订单号" and "12306订单号", which name other numbers.
const ORDER_NO_LABELS: &[&str] = &["订单号", "orderNo"];
const OTHER_NUMBER_PREFIXES: &[&str] = &["商户", "12306"];
/// Between a label and its value.
const LABEL_SEPARATORS: &[char] = &[':', '：', '=', ' ', '为', '是'];

/// Reads a createOrder refusal `message` (unmasked: masking would blur the
/// number) as a duplicate of `customer_order_no`, or `None` if it is some
/// other refusal. "重复下单" says so outright; otherwise the message must
/// name our customerOrderNo as already existing. A passenger's unfinished
/// 12306 order ("存在未完成订单") is a different refusal and stays `None`.
pub fn duplicate_order(message: &str, customer_order_no: &str) -> Option<DuplicateOrder> {
    let duplicate = message.contains("重复下单")
        || (!customer_order_no.is_empty()
            && message.contains(customer_order_no)
            && message.contains("已存在"));
    duplicate.then(|| DuplicateOrder {
        existing_order_no: existing_order_no(message, customer_order_no),
    })
}

/// The one order number the message names: a labelled value first, else
/// the only order-number-like token. Several candidates are ambiguous.
fn existing_order_no(message: &str, customer_order_no: &str) -> Option<String> {
    let plausible = |token: &&str| {
        (6..=40).contains(&token.len())
            && token.bytes().any(|byte| byte.is_ascii_digit())
            && !token.eq_ignore_ascii_case(customer_order_no)
    };
    let labelled = distinct(labelled_values(message).filter(plausible));
    if !labelled.is_empty() {
        return single(labelled);
    }
    single(distinct(
        message
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(plausible),
    ))
}

/// Values right after an order-number label that does not belong to
/// another number.
fn labelled_values(message: &str) -> impl Iterator<Item = &str> {
    ORDER_NO_LABELS.iter().flat_map(move |label| {
        message.match_indices(label).filter_map(move |(at, _)| {
            let before = &message[..at];
            if OTHER_NUMBER_PREFIXES
                .iter()
                .any(|prefix| before.ends_with(prefix))
            {
                return None;
            }
            let value = message[at + label.len()..].trim_start_matches(LABEL_SEPARATORS);
            let end = value
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(value.len());
            Some(&value[..end])
        })
    })
}

fn distinct<'a>(tokens: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for token in tokens {
        if !seen.contains(&token) {
            seen.push(token);
        }
    }
    seen
}

fn single(candidates: Vec<&str>) -> Option<String> {
    match candidates.as_slice() {
        [only] => Some((*only).to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_known_messages() {
        let cases = [
            ("appKey无效", RejectReason::AuthFailed),
            ("签名校验失败", RejectReason::AuthFailed),
            ("请求过于频繁,请稍后重试", RejectReason::RateLimited),
            (
                "乘客身份信息未通过核验",
                RejectReason::PassengerIdentityUnverified,
            ),
            ("余票不足,占座失败", RejectReason::SoldOut),
            (
                "距离发车时间太近,无法下单",
                RejectReason::TooCloseToDeparture,
            ),
            ("出发车站不存在:北京难", RejectReason::UnknownStation),
            ("出发日期不在预售期内", RejectReason::DateOutOfRange),
            ("车次不存在:G99999", RejectReason::TrainNotFound),
            ("参数fromDate不能为空", RejectReason::InvalidRequest),
            (
                "只有占位中和占位成功状态下才允许取消,当前订单状态为:出票中",
                RejectReason::Other,
            ),
            (
                "请您用手机尾号2467发送短信666至12306",
                RejectReason::TrainAccountSmsRequired,
            ),
            ("验证码错误", RejectReason::VerificationCodeInvalid),
            (
                "验证码已过期,请重新获取",
                RejectReason::VerificationCodeExpired,
            ),
            ("人脸认证失败", RejectReason::FaceVerificationFailed),
            (
                "常旅客已达上限,同一账号下最多有15个常旅客",
                RejectReason::FrequentPassengerLimit,
            ),
            ("常旅客不存在", RejectReason::FrequentPassengerNotFound),
            (
                "密码输入错误。如果输错次数超过4次,用户将被锁定。",
                RejectReason::TrainAccountRejected,
            ),
        ];
        for (message, reason) in cases {
            assert_eq!(classify_failure(message), reason, "{message}");
        }
    }

    #[test]
    fn text_the_request_sent_cannot_steer_the_reason() {
        let hostile = "x' OR 1=1;--&appKey=evil#";
        let message = format!("车次不存在:{hostile}");
        let shouted = format!("车次不存在:{}", hostile.to_ascii_uppercase());
        assert_eq!(
            classify_refusal(&shouted, &[hostile.to_owned()]),
            RejectReason::TrainNotFound,
            "case changed in the quote"
        );
        assert_eq!(
            classify_refusal("APPKEY无效", &[]),
            RejectReason::AuthFailed
        );
        // Read whole, the client's text wins: that is the bug.
        assert_eq!(classify_failure(&message), RejectReason::AuthFailed);
        let sent = vec![hostile.to_owned(), "北京南".to_owned()];
        assert_eq!(
            classify_refusal(&message, &sent),
            RejectReason::TrainNotFound
        );
        for (field, reason) in [
            ("余票不足", RejectReason::TrainNotFound),
            ("签名", RejectReason::TrainNotFound),
            ("身份核验", RejectReason::TrainNotFound),
        ] {
            let message = format!("车次不存在:{field}");
            assert_eq!(
                classify_refusal(&message, &[field.to_owned()]),
                reason,
                "{field}"
            );
        }
        // A station name quoted in a station refusal still reads as one.
        assert_eq!(
            classify_refusal("出发车站不存在:北京难", &["北京难".to_owned()]),
            RejectReason::UnknownStation
        );
        // A longer value goes first, so a value inside it does not split it.
        assert_eq!(
            classify_refusal(
                "乘客张三签名不符",
                &["张三签名不符".to_owned(), "张三".to_owned()]
            ),
            RejectReason::Other
        );
        // One-character values stay: they would cut Panhe's own words.
        assert_eq!(
            classify_refusal("余票不足", &["余".to_owned()]),
            RejectReason::SoldOut
        );
    }

    const MINE: &str = "RG0123456789abcdef01234567";

    fn existing(message: &str) -> Option<Option<String>> {
        duplicate_order(message, MINE).map(|duplicate| duplicate.existing_order_no)
    }

    #[test]
    fn reads_the_simulators_duplicate_refusal() {
        let message = format!("重复下单:商户订单号{MINE}已存在,订单号T26050110000010001");
        assert_eq!(
            existing(&message),
            Some(Some("T26050110000010001".to_owned()))
        );
    }

    #[test]
    fn reads_other_wordings_of_a_duplicate() {
        let cases = [
            ("重复下单,订单号：T2605011000001", Some("T2605011000001")),
            ("重复下单 orderNo=T2605011000001", Some("T2605011000001")),
            // Our number as the only label-free token is not the answer.
            (&*format!("商户订单号{MINE}已存在"), None),
            ("重复下单,请勿重复提交", None),
            // No label: the one order-number-like token.
            ("重复下单(T2605011000001)", Some("T2605011000001")),
            // The 12306 number is not Panhe's.
            (
                "重复下单,订单号T2605011000001,12306订单号EF48476727",
                Some("T2605011000001"),
            ),
            // Short numbers (dates, times) are not order numbers.
            (
                "重复下单:订单号T2605011000001,创建于2026-05-01 10:00",
                Some("T2605011000001"),
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(
                existing(message),
                Some(expected.map(str::to_owned)),
                "{message}"
            );
        }
    }

    #[test]
    fn two_candidates_are_ambiguous() {
        assert_eq!(
            existing("重复下单,订单号T2605011000001、订单号T2605011000002"),
            Some(None)
        );
        assert_eq!(
            existing("重复下单 T2605011000001 T2605011000002"),
            Some(None)
        );
        // The same number twice is one candidate.
        assert_eq!(
            existing("重复下单,订单号T2605011000001(订单号T2605011000001)"),
            Some(Some("T2605011000001".to_owned()))
        );
    }

    #[test]
    fn other_refusals_are_not_duplicates() {
        for message in [
            "乘客身份信息未通过核验",
            "该乘客已存在未完成的订单,请先处理",
            "订单号T2605011000001已存在",
            "",
        ] {
            assert_eq!(existing(message), None, "{message}");
        }
    }
}
