//! Request parameters: the checks every endpoint shares (content type, a
//! JSON object, `appKey`) and typed getters whose failures name the field
//! the way Panhe does (`参数passengers[0].cardNo不能为空`).

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use super::SimState;
use super::wire::Failure;

/// A request body's (or a nested object's) fields.
pub(super) struct Params {
    fields: Map<String, Value>,
    /// Prefix for field names in messages: `passengers[1].` for a nested
    /// passenger, empty at the top level.
    prefix: String,
}

/// A money amount as sent: its value in fen and the texts it may have been
/// signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Amount {
    pub fen: i64,
    /// The spellings a client may have put into the md5 sign: the JSON
    /// text as sent, the normalized decimal (`127`, `81.5`) and two
    /// decimals (`127.00`).
    pub sign_texts: Vec<String>,
}

impl Params {
    /// Content type, JSON object, then `appKey`: the order a real gateway
    /// would check them in, each failure in Panhe's envelope.
    pub(super) fn parse(
        state: &SimState,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Params, Failure> {
        Params::parse_request(state, headers, body, None, &["appKey"])
    }

    /// [`Params::parse`] with two extensions the account endpoints need:
    /// the app key may be spelled any of `key_names` (the first one names it
    /// in messages), and with `query` the URL's query string carries
    /// parameters too (seed 002: "跟在url后传参...需要utf8 urlencode"). A
    /// request with an empty body and a query string is read from the query
    /// alone; otherwise the body must be JSON as usual and the query fills
    /// in the fields the body lacks.
    pub(super) fn parse_request(
        state: &SimState,
        headers: &HeaderMap,
        body: &[u8],
        query: Option<&str>,
        key_names: &[&str],
    ) -> Result<Params, Failure> {
        let from_query: Map<String, Value> = query
            .map(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let mut fields = if from_query.is_empty() || !body.iter().all(u8::is_ascii_whitespace) {
            json_object(headers, body)?
        } else {
            Map::new()
        };
        for (name, value) in from_query {
            fields.entry(name).or_insert(value);
        }
        let params = Params {
            fields,
            prefix: String::new(),
        };
        let key_name = key_names.first().copied().unwrap_or("appKey");
        let key = key_names
            .iter()
            .find_map(|name| match params.fields.get(*name) {
                None | Some(Value::Null) => None,
                Some(Value::String(key)) if key.is_empty() => None,
                Some(value) => Some(value),
            });
        match key {
            None => Err(Failure(format!("{key_name}不能为空"))),
            Some(Value::String(key)) if *key == state.config.app_key => Ok(params),
            Some(_) => Err(Failure(format!("{key_name}无效"))),
        }
    }

    /// Parameters from a JSON object literal, without the `appKey` check
    /// (for unit tests of the rules).
    #[cfg(test)]
    pub(super) fn from_value(value: Value) -> Params {
        match value {
            Value::Object(fields) => Params {
                fields,
                prefix: String::new(),
            },
            other => panic!("not an object: {other}"),
        }
    }

    /// The field's name as messages spell it.
    pub(super) fn field(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        match self.fields.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn missing(&self, name: &str) -> Failure {
        Failure(format!("参数{}不能为空", self.field(name)))
    }

    fn malformed(&self, name: &str, expected: &str) -> Failure {
        Failure(format!("参数{}格式错误,应为{expected}", self.field(name)))
    }

    /// A required, non-blank string parameter, trimmed.
    pub(super) fn required_str(&self, name: &str) -> Result<&str, Failure> {
        self.optional_str(name)?.ok_or_else(|| self.missing(name))
    }

    /// An optional string: missing, null and blank are all `None`.
    pub(super) fn optional_str(&self, name: &str) -> Result<Option<&str>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim())),
            Some(_) => Err(self.malformed(name, "字符串")),
        }
    }

    /// A required `yyyy-MM-dd` date.
    pub(super) fn required_date(&self, name: &str) -> Result<NaiveDate, Failure> {
        let text = self.required_str(name)?;
        parse_date(text).ok_or_else(|| {
            Failure(format!(
                "参数{}格式错误,应为yyyy-MM-dd:{text}",
                self.field(name)
            ))
        })
    }

    /// An optional `yyyy-MM-dd` date.
    pub(super) fn optional_date(&self, name: &str) -> Result<Option<NaiveDate>, Failure> {
        match self.optional_str(name)? {
            None => Ok(None),
            Some(_) => self.required_date(name).map(Some),
        }
    }

    /// A required date and time to the minute: `yyyy-MM-dd HH:mm`, seconds
    /// tolerated (`HH:mm:ss`, as order detail writes them).
    pub(super) fn required_datetime(&self, name: &str) -> Result<NaiveDateTime, Failure> {
        let text = self.required_str(name)?;
        ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .ok_or_else(|| {
                Failure(format!(
                    "参数{}格式错误,应为yyyy-MM-dd HH:mm:{text}",
                    self.field(name)
                ))
            })
    }

    /// Whether the body has the field at all (even empty or null).
    pub(super) fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// A required boolean (see [`Params::optional_bool`]).
    pub(super) fn required_bool(&self, name: &str) -> Result<bool, Failure> {
        self.optional_bool(name)?.ok_or_else(|| self.missing(name))
    }

    /// An optional boolean: `true`/`false`, or the strings `"true"`/`"false"`.
    pub(super) fn optional_bool(&self, name: &str) -> Result<Option<bool>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.trim() == "true" => Ok(Some(true)),
            Some(Value::String(text)) if text.trim() == "false" => Ok(Some(false)),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(_) => Err(self.malformed(name, "true或false")),
        }
    }

    /// A required integer; a numeric string (`"1"`, as the seed's own
    /// register example sends `cardType`) is accepted too.
    pub(super) fn required_int(&self, name: &str) -> Result<i64, Failure> {
        match self.get(name) {
            None => Err(self.missing(name)),
            Some(Value::Number(number)) => {
                number.as_i64().ok_or_else(|| self.malformed(name, "整数"))
            }
            Some(Value::String(text)) if text.trim().is_empty() => Err(self.missing(name)),
            Some(Value::String(text)) => text
                .trim()
                .parse()
                .map_err(|_| self.malformed(name, "整数")),
            Some(_) => Err(self.malformed(name, "整数")),
        }
    }

    /// An optional integer.
    pub(super) fn optional_int(&self, name: &str) -> Result<Option<i64>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(_) => self.required_int(name).map(Some),
        }
    }

    /// An optional amount in yuan (number or numeric string), at most two
    /// decimals.
    pub(super) fn optional_amount(&self, name: &str) -> Result<Option<Amount>, Failure> {
        // Seed 002 types payAmount decimal (确认出票) and float (确认改签),
        // and its example sends `"payAmount": 127`: a JSON number or null,
        // never a string.
        let raw = match self.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(number)) => number.to_string(),
            Some(_) => return Err(self.malformed(name, "数字金额")),
        };
        let decimal: Decimal = raw
            .parse()
            .or_else(|_| Decimal::from_scientific(&raw))
            .map_err(|_| self.malformed(name, "金额"))?;
        let fen = (decimal * Decimal::ONE_HUNDRED)
            .normalize()
            .to_i64()
            .filter(|fen| Decimal::from(*fen) == decimal * Decimal::ONE_HUNDRED)
            .ok_or_else(|| self.malformed(name, "最多两位小数的金额"))?;
        let mut sign_texts = vec![
            raw,
            decimal.normalize().to_string(),
            format!("{}.{:02}", fen / 100, (fen % 100).abs()),
        ];
        sign_texts.dedup();
        Ok(Some(Amount { fen, sign_texts }))
    }

    /// A required, non-empty array, as sent.
    pub(super) fn required_array(&self, name: &str) -> Result<&[Value], Failure> {
        match self.get(name) {
            None => Err(self.missing(name)),
            Some(Value::Array(items)) if items.is_empty() => Err(self.missing(name)),
            Some(Value::String(text)) if text.trim().is_empty() => Err(self.missing(name)),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.malformed(name, "数组")),
        }
    }

    /// A required, non-empty array of objects, each as nested parameters.
    pub(super) fn required_objects(&self, name: &str) -> Result<Vec<Params>, Failure> {
        let items = match self.get(name) {
            None => return Err(self.missing(name)),
            Some(Value::Array(items)) if items.is_empty() => return Err(self.missing(name)),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(self.malformed(name, "数组")),
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(fields) => Ok(Params {
                    fields: fields.clone(),
                    prefix: format!("{}[{index}].", self.field(name)),
                }),
                _ => Err(Failure(format!(
                    "参数{}[{index}]格式错误,应为对象",
                    self.field(name)
                ))),
            })
            .collect()
    }
}

/// A JSON object body, sent as `application/json` (any charset).
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Failure> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return Err(Failure("请求Content-Type必须为application/json".into()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Failure("请求参数格式错误:请求体必须是JSON对象".into())),
        Err(error) => Err(Failure(format!("请求参数格式错误:{error}"))),
    }
}

/// `yyyy-MM-dd`, exactly ten characters (`2026-5-3` is refused).
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn amounts_keep_every_spelling_a_sign_may_use() {
        let params = Params::from_value(
            json!({"a": 127, "b": 81.5, "c": 31.0, "d": 1.234, "e": null, "f": "31.00"}),
        );
        let a = params.optional_amount("a").unwrap().unwrap();
        assert_eq!(a.fen, 12700);
        assert!(a.sign_texts.contains(&"127".to_owned()));
        assert!(a.sign_texts.contains(&"127.00".to_owned()));
        let b = params.optional_amount("b").unwrap().unwrap();
        assert_eq!(b.fen, 8150);
        assert!(b.sign_texts.contains(&"81.5".to_owned()));
        assert!(b.sign_texts.contains(&"81.50".to_owned()));
        let c = params.optional_amount("c").unwrap().unwrap();
        assert_eq!(c.fen, 3100);
        assert!(c.sign_texts.contains(&"31".to_owned()));
        assert!(c.sign_texts.contains(&"31.00".to_owned()));
        assert!(params.optional_amount("d").is_err());
        // Seed 002 types it a number: a string is refused.
        assert!(params.optional_amount("f").is_err());
        assert_eq!(params.optional_amount("e").unwrap(), None);
        assert_eq!(params.optional_amount("missing").unwrap(), None);
    }

    #[test]
    fn nested_fields_are_named_with_their_path() {
        let params = Params::from_value(json!({"passengers": [{"name": "张三"}, {"name": ""}]}));
        let passengers = params.required_objects("passengers").unwrap();
        assert_eq!(passengers[0].required_str("name").unwrap(), "张三");
        let failure = passengers[1].required_str("name").unwrap_err();
        assert_eq!(failure.0, "参数passengers[1].name不能为空");
        let failure = passengers[0].required_int("cardType").unwrap_err();
        assert_eq!(failure.0, "参数passengers[0].cardType不能为空");
    }

    #[test]
    fn integers_and_booleans_accept_their_string_forms() {
        let params = Params::from_value(
            json!({"n": "4", "m": 4, "x": "four", "t": "true", "f": false, "s": "yes"}),
        );
        assert_eq!(params.required_int("n").unwrap(), 4);
        assert_eq!(params.required_int("m").unwrap(), 4);
        assert!(params.required_int("x").unwrap_err().0.contains("整数"));
        assert_eq!(params.optional_bool("t").unwrap(), Some(true));
        assert_eq!(params.optional_bool("f").unwrap(), Some(false));
        assert_eq!(params.optional_bool("none").unwrap(), None);
        assert!(params.optional_bool("s").is_err());
    }

    #[test]
    fn datetimes_are_to_the_minute_with_optional_seconds() {
        let params = Params::from_value(
            json!({"a": "2026-05-03 06:10", "b": "2026-05-03 06:10:00", "c": "2026-05-03"}),
        );
        let expected = NaiveDate::from_ymd_opt(2026, 5, 3)
            .unwrap()
            .and_hms_opt(6, 10, 0)
            .unwrap();
        assert_eq!(params.required_datetime("a").unwrap(), expected);
        assert_eq!(params.required_datetime("b").unwrap(), expected);
        assert!(
            params
                .required_datetime("c")
                .unwrap_err()
                .0
                .contains("HH:mm")
        );
    }
}
