//! Request parameters as a PHP endpoint sees them: the query string merged
//! with an `application/x-www-form-urlencoded` body (the body wins, like
//! `$_REQUEST`), the last of repeated names winning. Other bodies (JSON,
//! for one) are not read at all, so their parameters are simply missing.
//! Unknown parameters are ignored, as PHP ignores them. Getters name the
//! field in their failures the way the simulator words 225704.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use chrono::{NaiveDate, NaiveDateTime};

use super::wire::Failure;

/// A request's parameters, trimmed.
#[derive(Debug, Default, Clone)]
pub(super) struct Params {
    fields: HashMap<String, String>,
}

impl Params {
    /// Merge the query string and a form body.
    pub(super) fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
        let mut fields = HashMap::new();
        if let Some(query) = query {
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                fields.insert(name.into_owned(), value.trim().to_owned());
            }
        }
        let form = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if form {
            for (name, value) in form_urlencoded::parse(body) {
                fields.insert(name.into_owned(), value.trim().to_owned());
            }
        }
        Params { fields }
    }

    /// Parameters from pairs, for unit tests of the rules.
    #[cfg(test)]
    pub(super) fn from_pairs(pairs: &[(&str, &str)]) -> Params {
        Params {
            fields: pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    /// An optional parameter: missing and blank are both `None`.
    pub(super) fn optional(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// A required, non-blank parameter.
    pub(super) fn required(&self, name: &str) -> Result<&str, Failure> {
        self.optional(name)
            .ok_or_else(|| Failure::parameter(format!("{name}不能为空")))
    }

    /// An optional integer parameter.
    pub(super) fn optional_int(&self, name: &str) -> Result<Option<i64>, Failure> {
        self.optional(name)
            .map(|text| {
                text.parse()
                    .map_err(|_| Failure::parameter(format!("{name}格式错误,应为整数")))
            })
            .transpose()
    }

    /// A required `yyyyMMdd` date (search's `date`).
    pub(super) fn required_compact_date(&self, name: &str) -> Result<NaiveDate, Failure> {
        let text = self.required(name)?;
        (text.len() == 8)
            .then(|| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
            .flatten()
            .ok_or_else(|| Failure::parameter(format!("{name}格式错误,应为yyyyMMdd:{text}")))
    }

    /// A required `yyyy-MM-dd HH:mm:ss` time; `HH:mm` is tolerated.
    pub(super) fn required_datetime(&self, name: &str) -> Result<NaiveDateTime, Failure> {
        let text = self.required(name)?;
        parse_datetime(text).ok_or_else(|| {
            Failure::parameter(format!("{name}格式错误,应为yyyy-MM-dd HH:mm:ss:{text}"))
        })
    }
}

/// `yyyy-MM-dd HH:mm:ss`, or to the minute.
pub(super) fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// `yyyy-MM-dd`, exactly ten characters.
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        headers
    }

    #[test]
    fn the_body_overrides_the_query_string() {
        let params = Params::parse(
            Some("key=a&from=%E8%8B%8F%E5%B7%9E&type=1"),
            &form_headers(),
            "key=b&to=%E6%98%86%E5%B1%B1&passengers=%5B%7B%22a%22%3A1%7D%5D".as_bytes(),
        );
        assert_eq!(params.optional("key"), Some("b"));
        assert_eq!(params.optional("from"), Some("苏州"));
        assert_eq!(params.optional("to"), Some("昆山"));
        assert_eq!(params.optional("passengers"), Some("[{\"a\":1}]"));
        assert_eq!(params.optional_int("type").unwrap(), Some(1));
    }

    #[test]
    fn other_bodies_are_not_read() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let params = Params::parse(None, &headers, br#"{"key":"a"}"#);
        assert_eq!(params.optional("key"), None);
        let params = Params::parse(Some("key=q"), &HeaderMap::new(), b"key=b");
        assert_eq!(params.optional("key"), Some("q"));
    }

    #[test]
    fn getters_name_the_field() {
        let params = Params::from_pairs(&[
            ("blank", " "),
            ("n", "x"),
            ("d", "2026-05-01"),
            ("t", "2026-05-01 18:00"),
        ]);
        let params = Params::parse(
            None,
            &form_headers(),
            params
                .fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
                .as_bytes(),
        );
        assert_eq!(
            params.required("blank").unwrap_err().reason,
            "参数错误:blank不能为空"
        );
        assert!(
            params
                .optional_int("n")
                .unwrap_err()
                .reason
                .contains("n格式错误")
        );
        assert!(
            params
                .required_compact_date("d")
                .unwrap_err()
                .reason
                .contains("yyyyMMdd")
        );
        assert_eq!(
            params.required_datetime("t").unwrap(),
            NaiveDate::from_ymd_opt(2026, 5, 1)
                .unwrap()
                .and_hms_opt(18, 0, 0)
                .unwrap()
        );
        assert_eq!(parse_date("2026-5-1"), None);
        assert!(parse_datetime("2026-05-01 18:00:00").is_some());
    }
}
