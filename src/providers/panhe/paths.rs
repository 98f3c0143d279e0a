//! Panhe endpoint paths: the one table both the adapter and the simulator use.
//!
//! Seed 002 documents parameters but no paths. Panhe's other public APIs live
//! at `http://api.panhe.net/<module>/<action>` (`/flight/query`,
//! `/flight/createOrder`, ...), so the train module follows the same pattern.
//! Every path can be overridden from configuration (`[panhe.paths]`) in case
//! the real service names an action differently.

use serde::Deserialize;

/// Relative paths of every Panhe train endpoint, appended to the base URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "snake_case")]
pub struct PanhePaths {
    /// 余票查询: remaining tickets between two stations.
    pub query_tickets: String,
    /// 经停站查询 (deprecated V1, by train code only).
    pub stop_stations: String,
    /// 经停站查询 V2 (train code, train no, date and stations).
    pub stop_stations_v2: String,
    /// 火车站列表: static station list.
    pub station_list: String,
    /// 创单占座.
    pub create_order: String,
    /// 确认出票 (pay).
    pub confirm_order: String,
    /// 取消订单.
    pub cancel_order: String,
    /// 退票.
    pub refund_ticket: String,
    /// 申请改签.
    pub apply_change: String,
    /// 确认改签.
    pub confirm_change: String,
    /// 取消改签.
    pub cancel_change: String,
    /// 查询订单详情.
    pub order_detail: String,
    /// 12306 账号注册.
    pub account_register: String,
    /// 12306 账号登录校验.
    pub check_login: String,
    /// 短信验证 (login SMS verification).
    pub verify_sms: String,
    /// 人脸认证.
    pub verify_face: String,
    /// 获取常旅客.
    pub list_passengers: String,
    /// 增/改常旅客.
    pub save_passenger: String,
    /// 修改账号本人信息.
    pub update_account_holder: String,
    /// 删除常旅客.
    pub delete_passenger: String,
    /// 找回密码 - 获取验证码.
    pub password_reset_code: String,
    /// 找回密码 - 回填验证码.
    pub password_reset: String,
    /// 修改密码 - 获取验证码.
    pub password_change_code: String,
    /// 修改密码 - 提交.
    pub password_change: String,
}

impl Default for PanhePaths {
    fn default() -> Self {
        let path = |action: &str| format!("/train/{action}");
        Self {
            query_tickets: path("queryTickets"),
            stop_stations: path("queryStopStations"),
            stop_stations_v2: path("queryStopStationsV2"),
            station_list: path("stationList"),
            create_order: path("createOrder"),
            confirm_order: path("confirmOrder"),
            cancel_order: path("cancelOrder"),
            refund_ticket: path("refundTicket"),
            apply_change: path("applyChange"),
            confirm_change: path("confirmChange"),
            cancel_change: path("cancelChange"),
            order_detail: path("orderDetail"),
            account_register: path("accountRegister"),
            check_login: path("checkLogin"),
            verify_sms: path("verifyCode"),
            verify_face: path("faceVerify"),
            list_passengers: path("getPassengers"),
            save_passenger: path("savePassenger"),
            update_account_holder: path("updateAccountSelf"),
            delete_passenger: path("deletePassenger"),
            password_reset_code: path("forgetPasswordCode"),
            password_reset: path("forgetPassword"),
            password_change_code: path("changePasswordCode"),
            password_change: path("changePassword"),
        }
    }
}

impl PanhePaths {
    /// The lane of the provider's quota a call to `path` uses: the reads
    /// callers ask for at will go in the search lane.
    pub fn lane(&self, path: &str) -> crate::providers::stack::Lane {
        use crate::providers::stack::Lane;
        let searches = [
            &self.query_tickets,
            &self.stop_stations,
            &self.stop_stations_v2,
            &self.station_list,
        ];
        if searches.iter().any(|search| search.as_str() == path) {
            Lane::Search
        } else {
            Lane::Orders
        }
    }

    /// Whether a call to `path` only reads (the search-lane reads, order
    /// detail, the frequent-passenger list): such a call may be retried.
    pub fn is_read(&self, path: &str) -> bool {
        [
            &self.query_tickets,
            &self.stop_stations,
            &self.stop_stations_v2,
            &self.station_list,
            &self.order_detail,
            &self.list_passengers,
        ]
        .iter()
        .any(|read| read.as_str() == path)
    }

    /// Every path with its config key, for validation and the simulator.
    pub fn entries(&self) -> [(&'static str, &str); 24] {
        [
            ("query_tickets", &self.query_tickets),
            ("stop_stations", &self.stop_stations),
            ("stop_stations_v2", &self.stop_stations_v2),
            ("station_list", &self.station_list),
            ("create_order", &self.create_order),
            ("confirm_order", &self.confirm_order),
            ("cancel_order", &self.cancel_order),
            ("refund_ticket", &self.refund_ticket),
            ("apply_change", &self.apply_change),
            ("confirm_change", &self.confirm_change),
            ("cancel_change", &self.cancel_change),
            ("order_detail", &self.order_detail),
            ("account_register", &self.account_register),
            ("check_login", &self.check_login),
            ("verify_sms", &self.verify_sms),
            ("verify_face", &self.verify_face),
            ("list_passengers", &self.list_passengers),
            ("save_passenger", &self.save_passenger),
            ("update_account_holder", &self.update_account_holder),
            ("delete_passenger", &self.delete_passenger),
            ("password_reset_code", &self.password_reset_code),
            ("password_reset", &self.password_reset),
            ("password_change_code", &self.password_change_code),
            ("password_change", &self.password_change),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn default_paths_are_distinct_and_absolute() {
        let paths = PanhePaths::default();
        let mut seen = HashSet::new();
        for (key, path) in paths.entries() {
            assert!(path.starts_with("/train/"), "{key}: {path}");
            assert!(
                seen.insert(path.to_owned()),
                "duplicate path for {key}: {path}"
            );
        }
        assert_eq!(seen.len(), 24);
    }
}
