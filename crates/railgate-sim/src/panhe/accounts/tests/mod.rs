//! Tests of the account endpoints, in-process through the router, on a
//! clock the test moves by hand (statuses are computed from provider time
//! when read, so nothing waits).

mod login;
mod passengers;
mod passwords;
mod register;
mod seed;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{AccountEndpoint, AccountFault, AppKeySpelling};
use crate::identity::id18_check_digit;
use crate::panhe::{DEFAULT_APP_KEY, PanheSimConfig, SimState, router_with_state};

/// "Now" when a test starts: 2026-05-01 10:00 Asia/Shanghai.
pub fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 5, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

/// A simulator on a clock that moves only when the test says.
pub struct Sim {
    pub router: Router,
    pub state: Arc<SimState>,
    offset: Arc<AtomicI64>,
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_with(now(), |_| {})
    }

    pub fn start_with(start: NaiveDateTime, tweak: impl FnOnce(&mut PanheSimConfig)) -> Sim {
        let offset = Arc::new(AtomicI64::new(0));
        let clock_offset = Arc::clone(&offset);
        let mut config = PanheSimConfig {
            clock: Arc::new(move || {
                start + TimeDelta::seconds(clock_offset.load(Ordering::Relaxed))
            }),
            ..PanheSimConfig::default()
        };
        tweak(&mut config);
        let (router, state) = router_with_state(config);
        Sim {
            router,
            state,
            offset,
        }
    }

    /// Move provider time on.
    pub fn advance(&self, by: TimeDelta) {
        self.offset.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }

    pub fn path(&self, key: &str) -> String {
        self.state
            .config()
            .paths
            .entries()
            .iter()
            .find(|(known, _)| *known == key)
            .map(|(_, path)| path.to_string())
            .unwrap_or_else(|| panic!("no endpoint {key}"))
    }

    /// POST `body` (appKey added unless present) to the endpoint with this
    /// key; the reply, which must be HTTP 200.
    pub async fn call(&self, key: &str, mut body: Value) -> Value {
        if body.get("appKey").is_none() && body.get("appkey").is_none() {
            body["appKey"] = json!(DEFAULT_APP_KEY);
        }
        let text = self
            .post(&self.path(key), Some("application/json"), body.to_string())
            .await;
        serde_json::from_str(&text).unwrap()
    }

    /// POST raw text to a path (with a query string if any); the raw reply.
    pub async fn post(&self, path: &str, content_type: Option<&str>, body: String) -> String {
        let mut request = Request::post(path);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// A call that must succeed; its data.
    pub async fn ok(&self, key: &str, body: Value) -> Value {
        let reply = self.call(key, body).await;
        assert_eq!(reply["success"], json!(true), "{key}: {reply}");
        assert_eq!(reply["msg"], json!("请求成功"), "{key}: {reply}");
        reply["data"].clone()
    }

    /// A call that must fail with exactly `msg` and `data` null.
    pub async fn refused(&self, key: &str, body: Value, msg: &str) {
        let reply = self.call(key, body).await;
        assert_eq!(
            reply,
            json!({"data": null, "success": false, "msg": msg}),
            "{key}"
        );
    }

    /// The holder's mobile of an account (created on first sight).
    pub fn holder_mobile(&self, account: &str, password: &str) -> String {
        self.state.ensure_account(account, password).passengers[0]
            .mobile
            .clone()
    }

    /// 获取常旅客's rows.
    pub async fn list(&self, account: &str, password: &str) -> Vec<Value> {
        let body = json!({"trainAccount": account, "trainPassword": password});
        let data = self.ok("list_passengers", body).await;
        data.as_array().unwrap().clone()
    }
}

/// A deterministic, valid 18-digit resident id for a seed number.
pub fn id_card(seed: u32) -> String {
    let first17 = format!("11010519900101{:03}", seed % 1000);
    format!("{first17}{}", id18_check_digit(&first17).unwrap())
}

/// A valid 增/改常旅客 body adding a resident-id passenger.
pub fn new_passenger(account: &str, name: &str, seed: u32) -> Value {
    json!({"trainAccount": account, "trainPassword": "pass_123", "id": 0,
           "name": name, "cardType": 1, "cardNo": id_card(seed),
           "mobile": format!("1391234{:04}", seed % 10_000), "passengerType": 1})
}

#[tokio::test]
async fn every_account_endpoint_checks_the_app_key_and_answers_in_the_envelope() {
    let sim = Sim::start();
    for which in AccountEndpoint::ALL {
        let reply = sim.call(which.key(), json!({"appKey": "wrong"})).await;
        assert_eq!(
            reply,
            json!({"data": null, "success": false, "msg": "appKey无效"})
        );
        let text = sim
            .post(
                &sim.path(which.key()),
                Some("application/json"),
                "{}".into(),
            )
            .await;
        let reply: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reply["success"], json!(false), "{}", which.key());
        assert!(
            reply["msg"].as_str().unwrap().contains("不能为空"),
            "{reply}"
        );
        let text = sim
            .post(&sim.path(which.key()), Some("text/plain"), "{}".into())
            .await;
        assert!(text.contains("Content-Type"), "{text}");
    }
}

#[tokio::test]
async fn password_reset_code_takes_either_spelling_of_the_app_key_by_default() {
    let body = |key: &str| {
        json!({key: DEFAULT_APP_KEY, "requestID": format!("r-{key}"), "cardType": 1,
               "cardNo": id_card(1), "mobile": "13912340001"})
    };
    let sim = Sim::start();
    for key in ["appKey", "appkey"] {
        // Both pass the key check and reach the rules (no account matches).
        sim.refused(
            "password_reset_code",
            body(key),
            "证件号码或手机号与12306账号信息不匹配",
        )
        .await;
    }
    // Only the table's spelling elsewhere.
    let reply = sim
        .call(
            "password_reset",
            json!({"appkey": DEFAULT_APP_KEY, "requestID": "x"}),
        )
        .await;
    assert_eq!(reply["msg"], json!("appKey不能为空"));

    let strict = Sim::start_with(now(), |config| {
        config.reset_code_app_key = AppKeySpelling::LowerCase;
    });
    let reply = strict.call("password_reset_code", body("appKey")).await;
    assert_eq!(reply["msg"], json!("appkey不能为空"));
    let reply = strict.call("password_reset_code", body("appkey")).await;
    assert_eq!(reply["msg"], json!("证件号码或手机号与12306账号信息不匹配"));

    let camel = Sim::start_with(now(), |config| {
        config.reset_code_app_key = AppKeySpelling::CamelCase;
    });
    let reply = camel.call("password_reset_code", body("appkey")).await;
    assert_eq!(reply["msg"], json!("appKey不能为空"));
}

#[tokio::test]
async fn login_and_passenger_list_take_the_account_from_the_query_string() {
    let sim = Sim::start();
    // The whole request in the URL, `+` and `/` url-encoded as the seed asks.
    let path = format!(
        "{}?appKey={DEFAULT_APP_KEY}&trainAccount=x2mQh9UH4YM3GxH%2B0UIdRw%3D%3D&trainPassword=%E5%AF%86%2F1",
        sim.path("check_login")
    );
    let reply: Value = serde_json::from_str(&sim.post(&path, None, String::new()).await).unwrap();
    assert_eq!(reply["data"]["isPass"], json!(true), "{reply}");
    let account = sim.state.account("x2mQh9UH4YM3GxH+0UIdRw==").unwrap();
    assert_eq!(account.password, "密/1");
    // Query and JSON body together: the body wins, the query fills in.
    let path = format!(
        "{}?trainAccount=x2mQh9UH4YM3GxH%2B0UIdRw%3D%3D&trainPassword=ignored",
        sim.path("list_passengers")
    );
    let body = json!({"appKey": DEFAULT_APP_KEY, "trainPassword": "密/1"}).to_string();
    let reply: Value =
        serde_json::from_str(&sim.post(&path, Some("application/json"), body).await).unwrap();
    assert_eq!(reply["success"], json!(true), "{reply}");
    // Endpoints whose tables do not mention the URL read the body only.
    let path = format!(
        "{}?trainAccount=a&trainPassword=b&passengerType=1",
        sim.path("update_account_holder")
    );
    let body = json!({"appKey": DEFAULT_APP_KEY}).to_string();
    let reply: Value =
        serde_json::from_str(&sim.post(&path, Some("application/json"), body).await).unwrap();
    assert_eq!(reply["msg"], json!("参数trainAccount不能为空"));
}

#[tokio::test]
async fn scripted_faults_fail_the_next_call_without_effect() {
    let sim = Sim::start();
    sim.state.script_account(AccountFault::FailNext(
        AccountEndpoint::SavePassenger,
        "12306系统维护中".into(),
    ));
    sim.state
        .script_account(AccountFault::FailNextAny("网络繁忙".into()));
    // The first call of any endpoint takes the FailNextAny.
    let login = json!({"trainAccount": "fault", "trainPassword": "pass_123"});
    sim.refused("check_login", login.clone(), "网络繁忙").await;
    assert!(sim.state.account("fault").is_none(), "no effect");
    sim.refused(
        "save_passenger",
        new_passenger("fault", "李四", 1),
        "12306系统维护中",
    )
    .await;
    assert!(sim.state.account("fault").is_none(), "no effect");
    sim.ok("save_passenger", new_passenger("fault", "李四", 1))
        .await;
    assert_eq!(sim.state.account_passengers("fault").unwrap().len(), 2);
}

#[test]
fn a_fixed_sms_code_must_be_six_digits() {
    use crate::panhe::SmsCode;
    let mut config = PanheSimConfig {
        sms_code: SmsCode::Fixed("12345".into()),
        ..PanheSimConfig::default()
    };
    assert!(config.validate().is_err());
    config.sms_code = SmsCode::Fixed("123456".into());
    assert!(config.validate().is_ok());
    config.sms_code_ttl = std::time::Duration::ZERO;
    assert!(config.validate().is_err());
}
