//! The providers' callback bodies, read as the callback ingress reads them.

use super::samples::juhe_orders;
use crate::callbacks::body;
use crate::callbacks::juhe::parse;
use crate::orders::JuheCallback;
use crate::providers::juhe::callback_wire::CallbackType;
use crate::providers::juhe::order_sync::{
    apply_grab_expired, apply_issue_callback, apply_refund_callback,
};

/// Panhe's (undocumented) callback body, JSON or a form: the order numbers
/// it names, which must be short visible ASCII, and its inbox key.
pub fn panhe_callback(data: &[u8]) {
    let Some(notice) = body::parse(data) else {
        return;
    };
    for number in std::iter::once(&notice.order_no).chain(&notice.customer_order_no) {
        assert!(
            !number.is_empty()
                && number.len() <= 64
                && number.bytes().all(|b| b.is_ascii_graphic()),
            "a callback's order number railgate would look up and log: {number:?}"
        );
    }
    let _ = body::dedupe_key("order", &notice.order_no, data);
}

/// Juhe's callback payload of each type (the URL says which), applied to
/// a just-submitted, a grabbing and an issued order of its number.
pub fn juhe_callback(data: &[u8]) {
    for kind in CallbackType::ALL {
        let Some(payload) = parse(kind, data) else {
            continue;
        };
        for mut order in juhe_orders(payload.out_order_no()) {
            let _ = match &payload {
                JuheCallback::Issue(callback) => apply_issue_callback(&mut order, callback),
                JuheCallback::Refund(callback) => apply_refund_callback(&mut order, callback),
                JuheCallback::GrabExpired(callback) => apply_grab_expired(&mut order, callback),
            };
        }
    }
}
