//! Reading a callback body leniently, and its inbox dedupe key.
//!
//! Panhe does not document the body, so railgate takes only what it needs
//! to find the order, from JSON or a form, at the top level or inside a
//! `data` member (Panhe's response envelope is `{data, success, msg}`):
//! `orderNo` (Panhe's order number) and, if present, `customerOrderNo`.
//! Names match ignoring case and `_` (`order_no` works too); values may be
//! strings or numbers. Everything else is ignored, and the body is never
//! logged (it may name passengers).

use md5::{Digest, Md5};
use serde_json::Value;

/// Longest order number accepted (Panhe's are 18 characters).
const MAX_ORDER_NO_LEN: usize = 64;

/// What a callback says, as far as railgate reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    /// The provider's order number.
    pub order_no: String,
    /// The order number railgate sent, if the body repeats it.
    pub customer_order_no: Option<String>,
}

/// The order numbers in `body`, or `None` when it has no usable `orderNo`.
pub(crate) fn parse(body: &[u8]) -> Option<Notice> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let fields = if text.starts_with('{') {
        serde_json::from_str::<Value>(text).ok()?
    } else {
        form_to_json(text)
    };
    let order_no = field(&fields, "orderno").filter(|value| plausible(value))?;
    let customer_order_no = field(&fields, "customerorderno").filter(|value| plausible(value));
    Some(Notice {
        order_no,
        customer_order_no,
    })
}

/// The inbox key of a callback: its route, order number and a digest of
/// the exact body. Retries and copies of one notification are identical
/// and collapse; two status changes of one order differ (Panhe's body
/// names the new status) and are both processed.
pub(crate) fn dedupe_key(kind: &str, order_no: &str, body: &[u8]) -> String {
    format!("{kind}:{order_no}:{:x}", Md5::digest(body))
}

/// `name` (already lowercase without `_`) at the top level, else inside
/// `data` (an object, or a JSON string of one).
fn field(fields: &Value, name: &str) -> Option<String> {
    if let Some(value) = direct(fields, name) {
        return Some(value);
    }
    let data = fields
        .as_object()?
        .iter()
        .find_map(|(key, value)| (normalize(key) == "data").then_some(value))?;
    match data {
        Value::String(text) => direct(&serde_json::from_str(text).ok()?, name),
        other => direct(other, name),
    }
}

fn direct(fields: &Value, name: &str) -> Option<String> {
    fields
        .as_object()?
        .iter()
        .find(|(key, _)| normalize(key) == name)
        .and_then(|(_, value)| match value {
            Value::String(text) => Some(text.trim().to_owned()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// An order number railgate can look up and log: short, visible ASCII.
fn plausible(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_ORDER_NO_LEN
        && value.bytes().all(|byte| byte.is_ascii_graphic())
}

/// `a=1&b=x%20y` as a JSON object of strings (later duplicates win).
fn form_to_json(text: &str) -> Value {
    let mut object = serde_json::Map::new();
    for pair in text.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        object.insert(percent_decode(key), Value::String(percent_decode(value)));
    }
    Value::Object(object)
}

/// Form decoding: `+` is a space, `%XX` a byte; bad escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'+' {
            out.push(b' ');
        } else if byte == b'%'
            && let Some(decoded) = hex_pair(&bytes[index + 1..])
        {
            out.push(decoded);
            index += 2;
        } else {
            out.push(byte);
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(bytes: &[u8]) -> Option<u8> {
    let digit = |byte: u8| (byte as char).to_digit(16);
    match bytes {
        [high, low, ..] => Some((digit(*high)? * 16 + digit(*low)?) as u8),
        _ => None,
    }
}
