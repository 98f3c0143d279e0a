//! The error tables checked against seed 000's error code list and seed
//! 001's msgCode dictionary, and the classifier against the seeds' own
//! failure examples.

use super::*;
use crate::providers::juhe::wire::{DataDictionary, Envelope};
use std::collections::BTreeMap;

/// Seed 000's error code section, verbatim.
const SEED_ERROR_CODES: &str = include_str!("testdata/error_codes.txt");

/// (code, description) rows of the seed's error tables.
fn seed_error_rows() -> Vec<(i64, String)> {
    SEED_ERROR_CODES
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let code: i64 = words.next()?.parse().ok()?;
            Some((code, words.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn system_errors_are_the_seeds() {
    let seed: Vec<(i64, String)> = seed_error_rows()
        .into_iter()
        .filter(|(code, _)| *code < 100_000)
        .collect();
    assert_eq!(seed.len(), SYSTEM_ERRORS.len());
    for ((code, text, _), (seed_code, seed_text)) in SYSTEM_ERRORS.iter().zip(&seed) {
        assert_eq!(code, seed_code);
        assert!(seed_text.starts_with(text), "{code}: {seed_text}");
    }
}

#[test]
fn service_errors_are_the_seeds() {
    let seed: Vec<(i64, String)> = seed_error_rows()
        .into_iter()
        .filter(|(code, _)| *code >= 200_000)
        .collect();
    assert_eq!(seed.len(), SERVICE_ERRORS.len());
    for ((suffix, text, _), (seed_code, seed_text)) in SERVICE_ERRORS.iter().zip(&seed) {
        assert_eq!(225_700 + i64::from(*suffix), *seed_code);
        assert_eq!(text, seed_text);
    }
}

#[test]
fn msg_codes_are_the_dictionarys() {
    let envelope: Envelope =
        serde_json::from_str(include_str!("testdata/data_dictionary.json")).unwrap();
    let dictionary: DataDictionary = serde_json::from_value(envelope.result).unwrap();
    let ours: BTreeMap<String, String> = MSG_CODES
        .iter()
        .map(|(code, text, _)| (code.to_string(), text.to_string()))
        .collect();
    assert_eq!(ours, dictionary.msg_code.data);
}

#[test]
fn every_system_error_classifies_by_table() {
    let expected = [
        (10001, RejectReason::AuthFailed, false),
        (10009, RejectReason::AuthFailed, false),
        (10011, RejectReason::RateLimited, true),
        (10012, RejectReason::QuotaExhausted, false),
        (10013, RejectReason::QuotaExhausted, false),
        (10014, RejectReason::ProviderUnavailable, true),
        (10020, RejectReason::ProviderUnavailable, true),
        // 接口停用: waiting does not switch the API back on.
        (10021, RejectReason::AuthFailed, false),
    ];
    for (code, reason, retryable) in expected {
        // The message never overrides a system code's table entry.
        let classified = classify_error(code, "参数错误");
        assert_eq!(classified, reason, "{code}");
        assert_eq!(classified.is_retryable(), retryable, "{code}");
    }
    for (code, text, reason) in SYSTEM_ERRORS {
        assert_eq!(classify_error(code, text), reason, "{code}");
    }
}

#[test]
fn service_errors_classify_by_their_last_two_digits() {
    assert_eq!(
        classify_error(225_700, "网络繁忙,请稍后重试"),
        RejectReason::ProviderUnavailable
    );
    assert_eq!(classify_error(225_702, ""), RejectReason::OrderNotFound);
    assert_eq!(classify_error(225_703, ""), RejectReason::DuplicateOrder);
    assert_eq!(
        classify_error(225_704, "缺少参数"),
        RejectReason::InvalidRequest
    );
    assert_eq!(classify_error(225_704, ""), RejectReason::InvalidRequest);
    assert_eq!(classify_error(225_701, "发生了什么"), RejectReason::Other);
    assert_eq!(
        classify_error(225_701, "该坐席已售完"),
        RejectReason::SoldOut
    );
    assert_eq!(
        classify_error(225_701, "距离发车时间太近,无法执行此操作"),
        RejectReason::TooCloseToDeparture
    );
    // Seed 001's own examples, from module 238.
    let cancel: Envelope =
        serde_json::from_str(include_str!("testdata/cancel_order_failed.json")).unwrap();
    assert_eq!(
        classify_error(cancel.error_code, cancel.reason.as_deref().unwrap()),
        RejectReason::OrderStateConflict
    );
    let refund: Envelope =
        serde_json::from_str(include_str!("testdata/apply_refund_failed.json")).unwrap();
    // 223804 参数错误:订单号或passengerId不存在: the order or passenger is
    // not there (NOT_FOUND), not a malformed request.
    assert_eq!(
        classify_error(refund.error_code, refund.reason.as_deref().unwrap()),
        RejectReason::OrderNotFound
    );
}

#[test]
fn undocumented_error_codes_are_still_refusals() {
    assert_eq!(classify_error(10006, ""), RejectReason::Other);
    assert_eq!(classify_error(225_799, ""), RejectReason::Other);
    assert_eq!(
        classify_error(-1, "系统繁忙"),
        RejectReason::ProviderUnavailable
    );
    assert_eq!(
        classify_error(12345, "请求过于频繁"),
        RejectReason::RateLimited
    );
}

#[test]
fn messages_classify_most_specific_first() {
    let cases = [
        (
            "站站查询结果已过期,请重新查询",
            Some(RejectReason::OfferExpired),
        ),
        ("querykey无效", Some(RejectReason::OfferExpired)),
        ("错误的请求KEY", Some(RejectReason::AuthFailed)),
        (
            "乘客身份信息未通过验证_订票失败",
            Some(RejectReason::PassengerIdentityUnverified),
        ),
        (
            "12306账号登录失败",
            Some(RejectReason::TrainAccountRejected),
        ),
        (
            "乘客已预订过该车次,无法重复预订",
            Some(RejectReason::PassengerNotAllowed),
        ),
        ("订单号已经存在", Some(RejectReason::DuplicateOrder)),
        ("订单号不存在", Some(RejectReason::OrderNotFound)),
        ("抢票取消失败", Some(RejectReason::OrderStateConflict)),
        ("出票失败", None),
        ("", None),
    ];
    for (message, reason) in cases {
        assert_eq!(classify_message(message), reason, "{message}");
    }
}

#[test]
fn msg_codes_classify_from_the_table() {
    assert_eq!(
        classify_msg_code("100", "出票成功"),
        Some(MsgOutcome::Success)
    );
    assert_eq!(
        classify_msg_code("209", ""),
        Some(MsgOutcome::Failure(RejectReason::SoldOut))
    );
    assert_eq!(
        classify_msg_code(" 403 ", ""),
        Some(MsgOutcome::Failure(RejectReason::TrainAccountRejected))
    );
    assert_eq!(
        classify_msg_code("104", ""),
        Some(MsgOutcome::Failure(RejectReason::RateLimited))
    );
    for (code, _, outcome) in MSG_CODES {
        if code != 101 {
            assert_eq!(
                classify_msg_code(&code.to_string(), ""),
                Some(outcome),
                "{code}"
            );
        }
    }
    for unknown in ["", "0", "106", "500", "abc"] {
        assert_eq!(classify_msg_code(unknown, ""), None, "{unknown:?}");
    }
}

#[test]
fn msg_code_101_is_a_generic_failure_read_from_its_message() {
    // The seed's three failure callbacks all say 101.
    assert_eq!(
        classify_msg_code("101", "出票失败"),
        Some(MsgOutcome::Failure(RejectReason::Other))
    );
    assert_eq!(
        classify_msg_code("101", "抢票单过期"),
        Some(MsgOutcome::Failure(RejectReason::Other))
    );
    assert_eq!(
        classify_msg_code("101", "参数无效"),
        Some(MsgOutcome::Failure(RejectReason::InvalidRequest))
    );
    assert_eq!(
        classify_msg_code("101", "该坐席已售完"),
        Some(MsgOutcome::Failure(RejectReason::SoldOut))
    );
}

#[test]
fn every_msg_code_failure_has_a_specific_reason_but_the_catch_alls() {
    let catch_alls = [319, 320, 999];
    for (code, text, outcome) in MSG_CODES {
        if let MsgOutcome::Failure(reason) = outcome {
            assert_eq!(
                reason == RejectReason::Other,
                catch_alls.contains(&code),
                "{code} {text}"
            );
        }
    }
}
