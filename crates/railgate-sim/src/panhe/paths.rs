//! Where the simulator serves each Panhe endpoint.
//!
//! Seed 002 documents parameters but no paths. Panhe's other public APIs live
//! at `http://api.panhe.net/<module>/<action>` (`/flight/query`,
//! `/flight/createOrder`, ...), so the simulator serves the train module the
//! same way: `/train/<action>`. This is the simulator's own table (it
//! stands in for Panhe, who decides its paths); whoever starts it can move
//! any route with [`PanhePaths::set`], by the same keys railgate's
//! `[panhe.paths]` configuration uses, so a moved route moves on both sides.

/// Relative paths of every Panhe train endpoint, appended to the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Moves the endpoint named `key` (a key of [`PanhePaths::entries`]) to
    /// `path`; false if there is no such endpoint.
    pub fn set(&mut self, key: &str, path: &str) -> bool {
        let slot = match key {
            "query_tickets" => &mut self.query_tickets,
            "stop_stations" => &mut self.stop_stations,
            "stop_stations_v2" => &mut self.stop_stations_v2,
            "station_list" => &mut self.station_list,
            "create_order" => &mut self.create_order,
            "confirm_order" => &mut self.confirm_order,
            "cancel_order" => &mut self.cancel_order,
            "refund_ticket" => &mut self.refund_ticket,
            "apply_change" => &mut self.apply_change,
            "confirm_change" => &mut self.confirm_change,
            "cancel_change" => &mut self.cancel_change,
            "order_detail" => &mut self.order_detail,
            "account_register" => &mut self.account_register,
            "check_login" => &mut self.check_login,
            "verify_sms" => &mut self.verify_sms,
            "verify_face" => &mut self.verify_face,
            "list_passengers" => &mut self.list_passengers,
            "save_passenger" => &mut self.save_passenger,
            "update_account_holder" => &mut self.update_account_holder,
            "delete_passenger" => &mut self.delete_passenger,
            "password_reset_code" => &mut self.password_reset_code,
            "password_reset" => &mut self.password_reset,
            "password_change_code" => &mut self.password_change_code,
            "password_change" => &mut self.password_change,
            _ => return false,
        };
        path.clone_into(slot);
        true
    }

    /// Every path with its key.
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

    #[test]
    fn every_key_can_be_moved() {
        let mut paths = PanhePaths::default();
        let keys: Vec<&str> = paths.entries().iter().map(|(key, _)| *key).collect();
        for key in &keys {
            assert!(paths.set(key, &format!("/moved/{key}")), "{key}");
        }
        for (key, path) in paths.entries() {
            assert_eq!(path, format!("/moved/{key}"));
        }
        assert!(!paths.set("no_such_endpoint", "/x"));
    }
}
