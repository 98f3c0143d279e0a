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
        ];
        for (message, reason) in cases {
            assert_eq!(classify_failure(message), reason, "{message}");
        }
    }
}
