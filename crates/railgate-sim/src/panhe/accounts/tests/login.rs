//! 登录校验, 短信验证 and 人脸认证.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::identity::id18_is_valid;
use crate::panhe::SmsCode;

fn login(account: &str, password: &str) -> Value {
    json!({"trainAccount": account, "trainPassword": password})
}

#[tokio::test]
async fn an_unknown_account_is_created_on_first_sight_and_keeps_its_password() {
    let sim = Sim::start();
    let data = sim.ok("check_login", login("alice", "pass_123")).await;
    assert_eq!(data, json!({"isPass": true, "errorMsg": "已通过"}));
    let account = sim.state.account("alice").unwrap();
    assert_eq!(account.password, "pass_123");
    assert!(!account.registered && account.logged_in);
    // A made-up holder, verified, derived from the name alone.
    let holder = &account.passengers[0];
    assert!(holder.is_user_self);
    assert_eq!(holder.card_type, 1);
    assert!(id18_is_valid(&holder.card_no), "{}", holder.card_no);
    assert_eq!(holder.mobile.len(), 11);
    assert_eq!(holder.identity_verify_status, 1);
    assert_eq!(holder.mobile_verify_status, 1);
    let again = Sim::start().state.ensure_account("alice", "other");
    assert_eq!(again.passengers[0].card_no, holder.card_no);
    assert_eq!(again.passengers[0].name, holder.name);

    // Another password: isPass false with 12306's words; elsewhere success
    // false with the same msg.
    let data = sim.ok("check_login", login("alice", "wrong_1")).await;
    assert_eq!(
        data,
        json!({"isPass": false, "errorMsg": "密码输入错误。如果输错次数超过4次,用户将被锁定。"})
    );
    sim.refused(
        "list_passengers",
        login("alice", "wrong_1"),
        "密码输入错误。如果输错次数超过4次,用户将被锁定。",
    )
    .await;
    assert_eq!(sim.state.account("alice").unwrap().password, "pass_123");
}

#[tokio::test]
async fn last_digits_must_be_the_holders_id() {
    let sim = Sim::start();
    let holder = sim.state.ensure_account("bob", "pass_123").passengers[0].clone();
    let tail = &holder.card_no[14..];
    let mut body = login("bob", "pass_123");
    body["lastDigits"] = json!(tail.to_ascii_lowercase());
    let data = sim.ok("check_login", body.clone()).await;
    assert_eq!(data["isPass"], json!(true));
    body["lastDigits"] = json!(if tail == "0000" { "1111" } else { "0000" });
    let data = sim.ok("check_login", body).await;
    assert_eq!(
        data,
        json!({"isPass": false, "errorMsg": "证件号后4位与12306账号绑定的证件号码不符"})
    );
}

#[tokio::test]
async fn an_sms_account_logs_in_after_the_666_code() {
    let sim = Sim::start();
    let mobile = sim.holder_mobile("carol-sms", "pass_123");
    let tail = &mobile[7..];
    let data = sim.ok("check_login", login("carol-sms", "pass_123")).await;
    let expected = format!("请您用手机尾号{tail}发送短信666至12306");
    assert_eq!(data, json!({"isPass": false, "errorMsg": expected}));
    let code = sim.state.last_sms_code(&mobile).unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let sms = sim.state.sms_sent(&mobile);
    assert_eq!(
        sms,
        vec![format!(
            "【12306】验证码:{code},切勿转发。12306网站用户正在进行登录短信验证。如非本人操作,请忽略本短信。"
        )]
    );
    // A second check while the code is valid sends nothing new.
    sim.ok("check_login", login("carol-sms", "pass_123")).await;
    assert_eq!(sim.state.sms_sent(&mobile).len(), 1);
    // Passenger calls wait for the login.
    let reply = sim
        .call("list_passengers", login("carol-sms", "pass_123"))
        .await;
    assert_eq!(reply["success"], json!(false));
    assert!(
        reply["msg"].as_str().unwrap().contains("短信验证"),
        "{reply}"
    );

    let verify = |code: &str| {
        json!({"trainAccount": "carol-sms", "trainPassword": "pass_123",
               "msgCode": code, "validateType": 2})
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    sim.refused("verify_sms", verify(wrong), "验证码错误").await;
    assert_eq!(sim.ok("verify_sms", verify(&code)).await, json!(true));
    let data = sim.ok("check_login", login("carol-sms", "pass_123")).await;
    assert_eq!(data["isPass"], json!(true));
    assert!(sim.state.account("carol-sms").unwrap().logged_in);
    sim.list("carol-sms", "pass_123").await;
    // The code is used up.
    let reply = sim.call("verify_sms", verify(&code)).await;
    assert_eq!(reply["success"], json!(false));
}

#[tokio::test]
async fn login_codes_expire_after_sixty_seconds() {
    let sim = Sim::start_with(now(), |config| {
        config.sms_code = SmsCode::Fixed("246810".into());
    });
    let mobile = sim.holder_mobile("dave-sms", "pass_123");
    sim.ok("check_login", login("dave-sms", "pass_123")).await;
    assert_eq!(sim.state.last_sms_code(&mobile).as_deref(), Some("246810"));
    sim.advance(TimeDelta::seconds(61));
    let verify = json!({"trainAccount": "dave-sms", "trainPassword": "pass_123",
                        "msgCode": "246810", "validateType": "2"});
    sim.refused("verify_sms", verify.clone(), "验证码已过期")
        .await;
    // An expired code is replaced by the next check.
    sim.ok("check_login", login("dave-sms", "pass_123")).await;
    assert_eq!(sim.state.sms_sent(&mobile).len(), 2);
    sim.advance(TimeDelta::seconds(60));
    assert_eq!(sim.ok("verify_sms", verify).await, json!(true));
}

#[tokio::test]
async fn sms_verification_refuses_the_deprecated_type_and_needs_a_code_first() {
    let sim = Sim::start();
    let body = |validate_type: Value| {
        json!({"trainAccount": "erin", "trainPassword": "pass_123",
               "msgCode": "123456", "validateType": validate_type})
    };
    sim.refused(
        "verify_sms",
        body(json!(1)),
        "validateType=1(注册验证)已废弃,注册请直接在账号注册接口中通过msgCode字段一步完成",
    )
    .await;
    sim.refused(
        "verify_sms",
        body(json!(3)),
        "参数validateType格式错误,应为2(登录验证):3",
    )
    .await;
    let mobile = sim.holder_mobile("erin", "pass_123");
    let expected = format!("请先用手机尾号{}发送短信666至12306获取验证码", &mobile[7..]);
    sim.refused("verify_sms", body(json!(2)), &expected).await;
}

fn photo(bytes: usize) -> String {
    STANDARD.encode(vec![0xFF_u8; bytes])
}

#[tokio::test]
async fn face_verification_takes_one_or_two_photos_of_at_most_100k() {
    let sim = Sim::start();
    let body = |photos: Value| json!({"trainAccount": "frank", "trainPassword": "pass_123", "photos": photos});
    assert_eq!(
        sim.ok("verify_face", body(json!([photo(102_400)]))).await,
        json!(true)
    );
    assert!(sim.state.account("frank").unwrap().face_verified);
    let two = json!([photo(10), photo(20).trim_end_matches('=')]);
    assert_eq!(sim.ok("verify_face", body(two)).await, json!(true));
    let cases = [
        (json!([]), "参数photos不能为空"),
        (json!("abc"), "参数photos格式错误,应为数组"),
        (
            json!([photo(1), photo(1), photo(1)]),
            "参数photos格式错误,最多2张照片,当前3张",
        ),
        (json!([""]), "参数photos[0]不能为空"),
        (
            json!([photo(1), 7]),
            "参数photos[1]格式错误,应为Base64字符串",
        ),
        (
            json!(["Base64字符串"]),
            "参数photos[0]格式错误,应为Base64字符串",
        ),
        (
            json!([photo(102_401)]),
            "照片photos[0]大小为102401字节,超过100K,请等比缩放压缩后再上传",
        ),
    ];
    for (photos, msg) in cases {
        sim.refused("verify_face", body(photos), msg).await;
    }
}

#[tokio::test]
async fn the_face_fail_trigger_answers_the_seeds_failure() {
    let sim = Sim::start();
    let body = json!({"trainAccount": "gina-face-fail", "trainPassword": "pass_123",
                      "photos": [photo(100)]});
    let reply = sim.call("verify_face", body).await;
    assert_eq!(
        reply,
        json!({"data": false, "success": false, "msg": "人脸认证失败"})
    );
    assert!(!sim.state.account("gina-face-fail").unwrap().face_verified);
}
