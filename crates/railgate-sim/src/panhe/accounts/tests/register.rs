//! 账号注册.

use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::panhe::SmsCode;

const MOBILE: &str = "15000000000";

fn registration(account: &str, code: &str) -> Value {
    json!({"trainAccount": account, "trainPassword": "abc_123", "name": "张杰",
           "cardType": "1", "cardNo": id_card(21), "mobile": MOBILE,
           "passengerType": 1, "msgCode": code})
}

fn note(reply: &Value) -> (bool, String) {
    assert_eq!(reply["success"], json!(true), "{reply}");
    (
        reply["data"]["regSubmitIsPass"].as_bool().unwrap(),
        reply["data"]["note"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn registering_after_texting_999() {
    let sim = Sim::start();
    let seed: Value = serde_json::from_str(super::seed::SEED).unwrap();
    let code = sim.state.text_999(MOBILE);
    assert_eq!(
        sim.state.sms_sent(MOBILE),
        vec![format!(
            "【12306】验证码:{code},切勿转发。12306网站用户正在申请注册服务。如非本人操作,请忽略本短信。"
        )]
    );
    let reply = sim
        .call("account_register", registration("newbie", &code))
        .await;
    assert_eq!(reply, seed["responses"]["register_ok"]);
    let account = sim.state.account("newbie").unwrap();
    assert!(account.registered && account.logged_in);
    assert_eq!(account.password, "abc_123");
    let holder = &account.passengers[0];
    assert_eq!(
        (holder.name.as_str(), holder.mobile.as_str()),
        ("张杰", MOBILE)
    );
    assert_eq!(holder.sex, 1, "from the id's 17th digit");
    assert_eq!(holder.birthday.unwrap().to_string(), "1990-01-01");
    // 待核验, then verified after identity_check_delay; the mobile at once.
    assert_eq!(holder.identity_verify_status, 3);
    assert_eq!(holder.mobile_verify_status, 1);
    sim.advance(TimeDelta::minutes(10));
    let rows = sim.list("newbie", "abc_123").await;
    assert_eq!(rows[0]["identityVerifyStatus"], json!(1));
    assert_eq!(rows[0]["isUserSelf"], json!(true));
    // Another password is refused like any account's.
    let reply = sim
        .call(
            "list_passengers",
            json!({"trainAccount": "newbie", "trainPassword": "abc_124"}),
        )
        .await;
    assert_eq!(reply["success"], json!(false));

    // The name is taken now; then the mobile is.
    let again = sim
        .call("account_register", registration("newbie", &code))
        .await;
    assert_eq!(again, seed["responses"]["register_taken"]);
    let other = sim
        .call("account_register", registration("other", &code))
        .await;
    assert_eq!(other, seed["responses"]["register_mobile_used"]);
}

#[tokio::test]
async fn the_code_must_be_the_one_texted_back_and_fresh() {
    let sim = Sim::start();
    let reply = sim
        .call("account_register", registration("x1", "123456"))
        .await;
    assert_eq!(
        note(&reply),
        (false, "请先用注册手机号发送短信999至12306获取验证码".into())
    );
    let code = sim.state.text_999(MOBILE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = sim
        .call("account_register", registration("x1", wrong))
        .await;
    assert_eq!(note(&reply), (false, "验证码错误".into()));
    sim.advance(TimeDelta::seconds(61));
    let reply = sim
        .call("account_register", registration("x1", &code))
        .await;
    assert_eq!(
        note(&reply),
        (false, "验证码已过期,请重新发送短信999至12306获取".into())
    );
    let code = sim.state.text_999(MOBILE);
    let reply = sim
        .call("account_register", registration("x1", &code))
        .await;
    assert!(note(&reply).0);
}

#[tokio::test]
async fn a_fixed_code_registers_without_texting_999() {
    let sim = Sim::start_with(now(), |config| {
        config.sms_code = SmsCode::Fixed("999999".into());
    });
    let reply = sim
        .call("account_register", registration("x2", "999999"))
        .await;
    assert!(note(&reply).0, "{reply}");
    assert_eq!(sim.state.text_999("13000000000"), "999999");
}

#[tokio::test]
async fn passwords_follow_the_seeds_rule() {
    let sim = Sim::start();
    let code = sim.state.text_999(MOBILE);
    for password in ["abc12", "abcdefg", "1234567", "abc-123", "密码abc123"] {
        let mut body = registration("x3", &code);
        body["trainPassword"] = json!(password);
        let reply = sim.call("account_register", body).await;
        assert_eq!(
            note(&reply),
            (
                false,
                "密码格式错误:不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上!".into()
            ),
            "{password}"
        );
    }
    assert!(sim.state.account("x3").is_none());
}

#[tokio::test]
async fn documents_other_than_id_cards_need_their_fields() {
    let sim = Sim::start();
    let code = sim.state.text_999(MOBILE);
    let hk = json!({"trainAccount": "hk", "trainPassword": "abc_123", "name": "陈大文",
        "cardType": 3, "cardNo": "H12345678", "mobile": MOBILE, "passengerType": 1,
        "email": "dw@example.com", "sex": 0, "cardValidEndDate": "2030-01-01",
        "birthday": "1980-05-06", "msgCode": code});
    let reply = sim.call("account_register", hk.clone()).await;
    assert!(note(&reply).0, "{reply}");
    let holder = &sim.state.account_passengers("hk").unwrap()[0];
    assert_eq!(holder.email, "dw@example.com");
    assert_eq!(holder.sex, 0);
    let mut bad = hk.clone();
    bad["email"] = json!("not-an-email");
    sim.refused("account_register", bad, "参数email格式错误,应为邮箱地址")
        .await;
    // The email's key is a setting (the seed's row has no name).
    let sim = Sim::start_with(now(), |config| {
        config.register_email_field = "mail".into();
    });
    let mut body = hk;
    body["msgCode"] = json!(sim.state.text_999(MOBILE));
    sim.refused(
        "account_register",
        body.clone(),
        "参数mail不能为空(证件类型为港澳居民来往内地通行证时必填)",
    )
    .await;
    body["mail"] = json!("dw@example.com");
    let reply = sim.call("account_register", body).await;
    assert!(note(&reply).0, "{reply}");
}
