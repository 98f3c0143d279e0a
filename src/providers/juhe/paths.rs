//! Juhe's endpoint table (seed 001). Every endpoint is a `.php` file under
//! one base URL, `http://v.juhe.cn/grabTicket/action`; the paths are kept in
//! one table that configuration (`[juhe.paths]`) can override and the
//! simulator can serve.

use serde::Deserialize;

/// Juhe's documented base URL.
pub const DEFAULT_BASE_URL: &str = "http://v.juhe.cn/grabTicket/action";

/// Relative paths of every Juhe grab-ticket endpoint, appended to the base
/// URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct JuhePaths {
    /// 站站查询: trains, fares and a `queryKey` for submitOrder.
    pub search: String,
    /// 创建抢票单.
    pub submit_order: String,
    /// 订单详情 (two shapes: with and without `issue=1`).
    pub order_detail: String,
    /// 取消订单 (only while grabbing).
    pub cancel_order: String,
    /// 申请退票 (one passenger per call).
    pub apply_refund: String,
    /// 配置回调地址.
    pub add_callback_url: String,
    /// 数据字典.
    pub data_dictionary: String,
}

impl Default for JuhePaths {
    fn default() -> Self {
        let path = |file: &str| format!("/{file}.php");
        Self {
            search: path("search"),
            submit_order: path("submitOrder"),
            order_detail: path("orderDetail"),
            cancel_order: path("cancelOrder"),
            apply_refund: path("applyRefundOrder"),
            add_callback_url: path("addCallbackUrl"),
            data_dictionary: path("dataDictionary"),
        }
    }
}

impl JuhePaths {
    /// The lane of the provider's quota a call to `path` uses: searches
    /// (and the data dictionary, read at start) in the search lane.
    pub fn lane(&self, path: &str) -> crate::providers::stack::Lane {
        use crate::providers::stack::Lane;
        if path == self.search || path == self.data_dictionary {
            Lane::Search
        } else {
            Lane::Orders
        }
    }

    /// Whether a call to `path` only reads (search, order detail, the data
    /// dictionary): such a call may be retried.
    pub fn is_read(&self, path: &str) -> bool {
        [&self.search, &self.order_detail, &self.data_dictionary]
            .iter()
            .any(|read| read.as_str() == path)
    }

    /// Every path with its config key, for validation and the simulator.
    pub fn entries(&self) -> [(&'static str, &str); 7] {
        [
            ("search", &self.search),
            ("submit_order", &self.submit_order),
            ("order_detail", &self.order_detail),
            ("cancel_order", &self.cancel_order),
            ("apply_refund", &self.apply_refund),
            ("add_callback_url", &self.add_callback_url),
            ("data_dictionary", &self.data_dictionary),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn default_paths_are_the_seeds_files() {
        let paths = JuhePaths::default();
        let urls: Vec<String> = paths
            .entries()
            .iter()
            .map(|(_, path)| format!("{DEFAULT_BASE_URL}{path}"))
            .collect();
        assert_eq!(
            urls,
            [
                "http://v.juhe.cn/grabTicket/action/search.php",
                "http://v.juhe.cn/grabTicket/action/submitOrder.php",
                "http://v.juhe.cn/grabTicket/action/orderDetail.php",
                "http://v.juhe.cn/grabTicket/action/cancelOrder.php",
                "http://v.juhe.cn/grabTicket/action/applyRefundOrder.php",
                "http://v.juhe.cn/grabTicket/action/addCallbackUrl.php",
                "http://v.juhe.cn/grabTicket/action/dataDictionary.php",
            ]
        );
        let distinct: HashSet<_> = urls.iter().collect();
        assert_eq!(distinct.len(), urls.len());
    }

    #[test]
    fn config_overrides_one_path_and_keeps_the_rest() {
        let paths: JuhePaths = toml::from_str(r#"search = "/v2/search.php""#).unwrap();
        assert_eq!(paths.search, "/v2/search.php");
        assert_eq!(paths.submit_order, "/submitOrder.php");
        assert!(toml::from_str::<JuhePaths>(r#"serch = "/x""#).is_err());
    }
}
