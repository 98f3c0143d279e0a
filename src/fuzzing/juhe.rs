//! Juhe's answers, read by the adapter's own readers: 站站查询 (and the
//! data dictionary), both shapes of the order detail (applied to orders),
//! and the answers of submitOrder, cancelOrder, applyRefund and
//! addCallbackUrl.

use super::panhe::check_offer_ids;
use super::samples::juhe_orders;
use crate::providers::juhe::adapter::submitted_order_no;
use crate::providers::juhe::client::unwrap_envelope;
use crate::providers::juhe::mapping::parse_date;
use crate::providers::juhe::order_sync::{apply_grab_detail, apply_issued_detail};
use crate::providers::juhe::order_wire::{
    CancelOrderResult, GrabOrderDetail, IssuedOrderDetail, RefundApplication, SubmitOrderResult,
};
use crate::providers::juhe::search::search_answer;
use crate::providers::juhe::wire::{DataDictionary, SearchResult};
use crate::stations::StationDirectory;
use chrono::{Datelike, NaiveDate};
use serde::de::IgnoredAny;

/// 站站查询 for the answer's own date when it names one railgate could
/// search (else the seed's), and the data dictionary. Every offer id
/// written for an accepted answer must decode to its train and seat class.
pub fn juhe_search(data: &[u8]) {
    if let Ok(result) = unwrap_envelope::<SearchResult>(data, "/search.php") {
        let date = result
            .train_date
            .as_deref()
            .and_then(parse_date)
            .filter(|date| (2000..=2100).contains(&date.year()))
            .or(NaiveDate::from_ymd_opt(2015, 5, 14))
            .unwrap_or_default();
        if let Ok(answer) = search_answer(result, date, StationDirectory::embedded()) {
            check_offer_ids(&answer);
        }
    }
    let _ = unwrap_envelope::<DataDictionary>(data, "/dataDictionary.php");
}

/// 订单详情 in both shapes, each applied to a just-submitted, a grabbing
/// and an issued order numbered as the detail says.
pub fn juhe_order_detail(data: &[u8]) {
    if let Ok(detail) = unwrap_envelope::<GrabOrderDetail>(data, "/orderDetail.php") {
        for mut order in juhe_orders("2016120501") {
            let _ = apply_grab_detail(&mut order, &detail);
        }
    }
    if let Ok(detail) = unwrap_envelope::<IssuedOrderDetail>(data, "/orderDetail.php") {
        for mut order in juhe_orders(&detail.out_order_no) {
            let _ = apply_issued_detail(&mut order, &detail);
        }
    }
}

/// The answers of submitOrder (checked against the order submitted),
/// cancelOrder, applyRefundOrder and addCallbackUrl.
pub fn juhe_mutation(data: &[u8]) {
    if let Ok(result) = unwrap_envelope::<SubmitOrderResult>(data, "/submitOrder.php") {
        let _ = submitted_order_no(result, "2016120501");
    }
    let _ = unwrap_envelope::<CancelOrderResult>(data, "/cancelOrder.php");
    let _ = unwrap_envelope::<RefundApplication>(data, "/applyRefundOrder.php");
    let _ = unwrap_envelope::<IgnoredAny>(data, "/addCallbackUrl.php");
}
