//! 找回密码 and 修改密码.

use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::panhe::SmsCode;

/// 找回密码-获取验证码 for `account`'s holder.
fn reset_request(sim: &Sim, account: &str, request_id: &str) -> Value {
    let holder = sim.state.ensure_account(account, "old_pass1").passengers[0].clone();
    json!({"appkey": DEFAULT_APP_KEY, "requestID": request_id, "cardType": 1,
           "cardNo": holder.card_no, "mobile": holder.mobile})
}

fn reset_body(request_id: &str, password: &str, code: &str) -> Value {
    json!({"requestID": request_id, "trainPassword": password, "verificationCode": code})
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_texted_code() {
    let sim = Sim::start();
    let request = reset_request(&sim, "ivan", "req-1");
    let mobile = request["mobile"].as_str().unwrap().to_owned();
    assert_eq!(sim.ok("password_reset_code", request).await, json!(true));
    let code = sim.state.last_sms_code(&mobile).unwrap();
    assert_eq!(
        sim.state.sms_sent(&mobile),
        vec![format!(
            "【12306】验证码:{code},切勿转发。12306网站用户正在申请找回密码服务。如非本人操作,请忽略本短信。"
        )]
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    sim.refused(
        "password_reset",
        reset_body("req-1", "new_pass1", wrong),
        "验证码错误",
    )
    .await;
    sim.refused(
        "password_reset",
        reset_body("req-1", "newpass", &code),
        "密码格式错误:不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上!",
    )
    .await;
    assert_eq!(
        sim.ok("password_reset", reset_body("req-1", "new_pass1", &code))
            .await,
        json!(true)
    );
    assert_eq!(sim.state.account("ivan").unwrap().password, "new_pass1");
    let login = |password: &str| json!({"trainAccount": "ivan", "trainPassword": password});
    let data = sim.ok("check_login", login("new_pass1")).await;
    assert_eq!(data["isPass"], json!(true));
    let data = sim.ok("check_login", login("old_pass1")).await;
    assert_eq!(data["isPass"], json!(false));
    sim.refused(
        "password_reset",
        reset_body("req-1", "new_pass2", &code),
        "该找回密码请求已完成,请重新获取验证码",
    )
    .await;
}

#[tokio::test]
async fn reset_codes_expire_and_request_ids_are_used_once() {
    let sim = Sim::start_with(now(), |config| {
        config.sms_code = SmsCode::Fixed("135790".into());
    });
    sim.ok("password_reset_code", reset_request(&sim, "judy", "req-2"))
        .await;
    sim.advance(TimeDelta::seconds(61));
    sim.refused(
        "password_reset",
        reset_body("req-2", "new_pass1", "135790"),
        "验证码已过期",
    )
    .await;
    sim.refused(
        "password_reset_code",
        reset_request(&sim, "judy", "req-2"),
        "requestID重复,每次找回密码请求须使用新的requestID:req-2",
    )
    .await;
    sim.ok("password_reset_code", reset_request(&sim, "judy", "req-3"))
        .await;
    sim.advance(TimeDelta::seconds(60));
    sim.ok("password_reset", reset_body("req-3", "new_pass1", "135790"))
        .await;
    // A request that matched nothing uses its id up too.
    let mut stranger = reset_request(&sim, "judy", "req-4");
    stranger["mobile"] = json!("13000000000");
    sim.refused(
        "password_reset_code",
        stranger.clone(),
        "证件号码或手机号与12306账号信息不匹配",
    )
    .await;
    stranger["mobile"] = reset_request(&sim, "judy", "req-4")["mobile"].clone();
    let reply = sim.call("password_reset_code", stranger).await;
    assert!(reply["msg"].as_str().unwrap().contains("requestID重复"));
    sim.refused(
        "password_reset",
        reset_body("req-4", "new_pass1", "135790"),
        "requestID不存在或未发送验证码,请先调用找回密码-获取验证码:req-4",
    )
    .await;
}

fn change_body(account: &str, old: &str, new: &str, confirm: &str) -> Value {
    json!({"trainAccount": account, "oldTrainPassword": old,
           "newTrainPassword": new, "confirmTrainPassword": confirm})
}

#[tokio::test]
async fn a_password_is_changed_with_the_old_one_and_a_code() {
    let sim = Sim::start();
    let mobile = sim.holder_mobile("kate", "old_pass1");
    let request = change_body("kate", "old_pass1", "new_pass1", "new_pass1");
    assert_eq!(
        sim.ok("password_change_code", request.clone()).await,
        json!(true)
    );
    let code = sim.state.last_sms_code(&mobile).unwrap();
    assert!(sim.state.sms_sent(&mobile)[0].contains("正在申请修改密码服务"));
    let mut submit = request.clone();
    submit["verificationCode"] = json!(code);
    let mut other_new = change_body("kate", "old_pass1", "new_pass2", "new_pass2");
    other_new["verificationCode"] = json!(code);
    sim.refused(
        "password_change",
        other_new,
        "新密码与获取验证码时提交的不一致,请重新获取验证码",
    )
    .await;
    assert_eq!(sim.ok("password_change", submit.clone()).await, json!(true));
    assert_eq!(sim.state.account("kate").unwrap().password, "new_pass1");
    // The old password no longer signs in.
    sim.refused(
        "password_change",
        submit,
        "密码输入错误。如果输错次数超过4次,用户将被锁定。",
    )
    .await;
}

#[tokio::test]
async fn password_change_refusals() {
    let sim = Sim::start();
    sim.holder_mobile("liam", "old_pass1");
    let cases = [
        (
            change_body("liam", "old_pass1", "new_pass1", "new_pass2"),
            "两次输入的新密码不一致",
        ),
        (
            change_body("liam", "old_pass1", "newpass", "newpass"),
            "新密码格式错误:不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上!",
        ),
        (
            change_body("liam", "bad_pass1", "new_pass1", "new_pass1"),
            "密码输入错误。如果输错次数超过4次,用户将被锁定。",
        ),
    ];
    for (body, msg) in cases {
        sim.refused("password_change_code", body, msg).await;
    }
    let mut submit = change_body("liam", "old_pass1", "new_pass1", "new_pass1");
    submit["verificationCode"] = json!("123456");
    sim.refused(
        "password_change",
        submit.clone(),
        "请先调用修改密码-获取验证码",
    )
    .await;
    sim.ok(
        "password_change_code",
        change_body("liam", "old_pass1", "new_pass1", "new_pass1"),
    )
    .await;
    sim.advance(TimeDelta::seconds(61));
    sim.refused("password_change", submit, "验证码已过期").await;
}

#[tokio::test]
async fn a_new_password_ends_an_sms_login() {
    let sim = Sim::start_with(now(), |config| {
        config.sms_code = SmsCode::Fixed("112233".into());
    });
    let login = json!({"trainAccount": "mia-sms", "trainPassword": "old_pass1"});
    sim.ok("check_login", login).await;
    let verify = json!({"trainAccount": "mia-sms", "trainPassword": "old_pass1",
                        "msgCode": "112233", "validateType": 2});
    sim.ok("verify_sms", verify).await;
    let request = change_body("mia-sms", "old_pass1", "new_pass1", "new_pass1");
    sim.ok("password_change_code", request.clone()).await;
    let mut submit = request;
    submit["verificationCode"] = json!("112233");
    sim.ok("password_change", submit).await;
    let data = sim
        .ok(
            "check_login",
            json!({"trainAccount": "mia-sms", "trainPassword": "new_pass1"}),
        )
        .await;
    assert_eq!(data["isPass"], json!(false));
}
