//! 获取常旅客, 增/改常旅客, 修改账号本人信息 and 删除常旅客.

use chrono::TimeDelta;
use serde_json::json;

use super::*;

const ACCOUNT: &str = "hank";

fn credentials() -> Value {
    json!({"trainAccount": ACCOUNT, "trainPassword": "pass_123"})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

#[tokio::test]
async fn added_passengers_are_listed_and_verified_over_time() {
    let sim = Sim::start();
    let answer = sim
        .ok("save_passenger", new_passenger(ACCOUNT, "张小华", 29))
        .await;
    let code = answer["verificationCode"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        answer,
        json!({"identityVerifyStatus": 3, "mobileVerifyStatus": 0, "verificationCode": code})
    );
    let rows = sim.list(ACCOUNT, "pass_123").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["isUserSelf"], json!(true));
    let card_no = id_card(29);
    let row = &rows[1];
    assert_eq!(
        *row,
        json!({"id": row["id"], "name": "张小华", "cardType": 1,
               "cardNo": format!("{}***********{}", &card_no[..4], &card_no[15..]),
               "mobile": "13912340029", "passengerType": 1, "birthday": "****-**-**",
               "sex": 1, "country": "CN", "email": "", "address": "",
               "identityVerifyStatus": 3, "mobileVerifyStatus": 0, "isUserSelf": false})
    );
    sim.advance(TimeDelta::minutes(5));
    let rows = sim.list(ACCOUNT, "pass_123").await;
    assert_eq!(rows[1]["identityVerifyStatus"], json!(3));
    assert_eq!(rows[1]["mobileVerifyStatus"], json!(1));
    sim.advance(TimeDelta::minutes(5));
    let rows = sim.list(ACCOUNT, "pass_123").await;
    assert_eq!(rows[1]["identityVerifyStatus"], json!(1));
    let passenger = &sim.state.account_passengers(ACCOUNT).unwrap()[1];
    assert_eq!(passenger.card_no, card_no);
    assert_eq!(passenger.verification_code, None);
}

#[tokio::test]
async fn name_triggers_end_the_checks_elsewhere() {
    let sim = Sim::start();
    for (seed, name) in [(1, "王五未通过"), (2, "赵六请报验"), (3, "钱七手机待核验")]
    {
        sim.ok("save_passenger", new_passenger(ACCOUNT, name, seed))
            .await;
    }
    sim.advance(TimeDelta::days(1));
    let statuses: Vec<(Value, Value)> = sim.list(ACCOUNT, "pass_123").await[1..]
        .iter()
        .map(|row| {
            (
                row["identityVerifyStatus"].clone(),
                row["mobileVerifyStatus"].clone(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (json!(0), json!(1)),
            (json!(4), json!(1)),
            (json!(1), json!(0))
        ]
    );
}

#[tokio::test]
async fn updates_change_a_passenger_but_never_the_holder() {
    let sim = Sim::start();
    sim.ok("save_passenger", new_passenger(ACCOUNT, "李四", 4))
        .await;
    sim.advance(TimeDelta::hours(1));
    let rows = sim.list(ACCOUNT, "pass_123").await;
    let id = rows[1]["id"].as_i64().unwrap();
    // A passenger type change keeps the checks; a new mobile restarts its
    // check with a new code.
    let update = with(
        new_passenger(ACCOUNT, "李四", 4),
        json!({"id": id, "passengerType": 3}),
    );
    let answer = sim.ok("save_passenger", update.clone()).await;
    assert_eq!(
        answer,
        json!({"identityVerifyStatus": 1, "mobileVerifyStatus": 1, "verificationCode": null})
    );
    let answer = sim
        .ok(
            "save_passenger",
            with(update, json!({"mobile": "13800000000"})),
        )
        .await;
    assert_eq!(answer["identityVerifyStatus"], json!(1));
    assert_eq!(answer["mobileVerifyStatus"], json!(0));
    assert_eq!(answer["verificationCode"].as_str().unwrap().len(), 8);
    // A new document restarts the identity check.
    let answer = sim
        .ok(
            "save_passenger",
            with(
                new_passenger(ACCOUNT, "李四", 5),
                json!({"id": id, "mobile": "13800000000"}),
            ),
        )
        .await;
    assert_eq!(answer["identityVerifyStatus"], json!(3));
    let rows = sim.list(ACCOUNT, "pass_123").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["passengerType"], json!(1));

    sim.refused(
        "save_passenger",
        with(new_passenger(ACCOUNT, "李四", 4), json!({"id": 42})),
        "常旅客不存在:id=42",
    )
    .await;
    let holder_id = rows[0]["id"].clone();
    sim.refused(
        "save_passenger",
        with(new_passenger(ACCOUNT, "本人", 6), json!({"id": holder_id})),
        "该常旅客为12306账号本人,无法通过增/改常旅客接口修改,请使用修改账号本人信息接口",
    )
    .await;
    sim.refused(
        "save_passenger",
        with(new_passenger(ACCOUNT, "李四", 4), json!({"id": -1})),
        "参数id格式错误,应为0(新增)或常旅客序号:-1",
    )
    .await;
}

#[tokio::test]
async fn the_same_document_is_added_once() {
    let sim = Sim::start();
    sim.ok("save_passenger", new_passenger(ACCOUNT, "李四", 7))
        .await;
    let mut again = new_passenger(ACCOUNT, "李四", 7);
    again["cardNo"] = json!(id_card(7).to_ascii_lowercase());
    sim.refused(
        "save_passenger",
        again,
        "李四的证件信息已存在于常旅客中,请勿重复添加",
    )
    .await;
    // The holder's own document too.
    let holder = sim.state.account_passengers(ACCOUNT).unwrap()[0].clone();
    let mut body = new_passenger(ACCOUNT, &holder.name, 8);
    body["cardNo"] = json!(holder.card_no);
    let reply = sim.call("save_passenger", body).await;
    assert_eq!(reply["success"], json!(false));
}

#[tokio::test]
async fn an_account_holds_fifteen_passengers_holder_included() {
    let sim = Sim::start();
    for seed in 1..15 {
        sim.ok(
            "save_passenger",
            new_passenger(ACCOUNT, &format!("乘客{seed}"), seed),
        )
        .await;
    }
    assert_eq!(sim.list(ACCOUNT, "pass_123").await.len(), 15);
    let full = "常旅客数量已达上限,同一账号下最多15个常旅客,请删除后再添加";
    sim.refused("save_passenger", new_passenger(ACCOUNT, "乘客15", 15), full)
        .await;
    // Not counting the holder: one more.
    let sim = Sim::start_with(now(), |config| {
        config.passenger_cap_counts_holder = false;
    });
    for seed in 1..16 {
        sim.ok(
            "save_passenger",
            new_passenger(ACCOUNT, &format!("乘客{seed}"), seed),
        )
        .await;
    }
    assert_eq!(sim.list(ACCOUNT, "pass_123").await.len(), 16);
    sim.refused("save_passenger", new_passenger(ACCOUNT, "乘客16", 16), full)
        .await;
}

#[tokio::test]
async fn passport_passengers_need_the_seeds_extra_fields() {
    let sim = Sim::start();
    let passport = json!({"trainAccount": ACCOUNT, "trainPassword": "pass_123", "id": 0,
        "name": "JOHN SMITH", "cardType": 2, "cardNo": "E12345678", "mobile": "13912345678",
        "passengerType": 1, "birthday": "1990-02-03", "countryCode": "us",
        "cardValidEndDate": "2030-01-01", "sex": 1});
    sim.ok("save_passenger", passport.clone()).await;
    let saved = &sim.state.account_passengers(ACCOUNT).unwrap()[1];
    assert_eq!(saved.country, "US");
    assert_eq!(saved.sex, 1);
    assert_eq!(saved.birthday.unwrap().to_string(), "1990-02-03");
    let rows = sim.list(ACCOUNT, "pass_123").await;
    assert_eq!(rows[1]["cardNo"], json!("E123**678"));
    let mut bad = passport.clone();
    bad["sex"] = json!(0);
    bad["cardNo"] = json!("E87654321");
    sim.refused("save_passenger", bad, "参数sex格式错误,应为1(男)或2(女):0")
        .await;
    let mut bad = passport;
    bad["birthday"] = json!("1990/02/03");
    let reply = sim.call("save_passenger", bad).await;
    assert!(
        reply["msg"]
            .as_str()
            .unwrap()
            .starts_with("参数birthday格式错误"),
        "{reply}"
    );
}

#[tokio::test]
async fn only_the_holders_passenger_type_can_change() {
    let sim = Sim::start();
    let body = with(credentials(), json!({"passengerType": 3}));
    assert_eq!(sim.ok("update_account_holder", body).await, json!(true));
    assert_eq!(
        sim.list(ACCOUNT, "pass_123").await[0]["passengerType"],
        json!(3)
    );
    sim.refused(
        "update_account_holder",
        with(credentials(), json!({"passengerType": 5})),
        "参数passengerType格式错误,不支持的旅客类型:5",
    )
    .await;
}

fn delete_body(name: &str, seed: u32) -> Value {
    with(
        credentials(),
        json!({"name": name, "cardType": 1, "cardNo": id_card(seed)}),
    )
}

#[tokio::test]
async fn verified_passengers_wait_a_month_before_deletion() {
    let sim = Sim::start();
    sim.ok("save_passenger", new_passenger(ACCOUNT, "张三", 9))
        .await;
    sim.ok("save_passenger", new_passenger(ACCOUNT, "李四", 10))
        .await;
    // Still 待核验: may go at once.
    assert_eq!(
        sim.call("delete_passenger", delete_body("李四", 10)).await,
        json!({"data": null, "success": true, "msg": "请求成功"})
    );
    sim.advance(TimeDelta::minutes(10));
    let locked = "张三2026年06月01日前不允许删除!";
    sim.refused("delete_passenger", delete_body("张三", 9), locked)
        .await;
    // 2026-05-31 23:59 is still inside the month.
    sim.advance(TimeDelta::days(30) + TimeDelta::hours(13) + TimeDelta::minutes(49));
    sim.refused("delete_passenger", delete_body("张三", 9), locked)
        .await;
    sim.advance(TimeDelta::minutes(1));
    sim.ok("delete_passenger", delete_body("张三", 9)).await;
    assert_eq!(sim.list(ACCOUNT, "pass_123").await.len(), 1);
    sim.refused(
        "delete_passenger",
        delete_body("张三", 9),
        "常旅客不存在:张三",
    )
    .await;
}

#[tokio::test]
async fn delete_refusals() {
    let sim = Sim::start_with(now(), |config| {
        config.delete_lock_verified_only = false;
    });
    sim.ok("save_passenger", new_passenger(ACCOUNT, "王五未通过", 11))
        .await;
    // Locked whatever its status with the setting off.
    sim.refused(
        "delete_passenger",
        delete_body("王五未通过", 11),
        "王五未通过2026年06月01日前不允许删除!",
    )
    .await;
    // Name and document must both match.
    sim.refused(
        "delete_passenger",
        delete_body("王五", 11),
        "常旅客不存在:王五",
    )
    .await;
    let holder = sim.state.account_passengers(ACCOUNT).unwrap()[0].clone();
    let body = with(
        credentials(),
        json!({"name": holder.name, "cardType": "1", "cardNo": holder.card_no}),
    );
    sim.refused("delete_passenger", body, "12306账号本人不能删除")
        .await;
    sim.refused(
        "delete_passenger",
        with(delete_body("王五", 11), json!({"cardType": 5})),
        "参数cardType格式错误,不支持的证件类型:5",
    )
    .await;
}

#[tokio::test]
async fn the_seeds_delete_message_word_for_word() {
    let start = NaiveDate::from_ymd_opt(2021, 9, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let sim = Sim::start_with(start, |config| {
        config.identity_check_delay = std::time::Duration::ZERO;
    });
    sim.ok("save_passenger", new_passenger(ACCOUNT, "张三", 12))
        .await;
    let reply = sim.call("delete_passenger", delete_body("张三", 12)).await;
    let seed: Value = serde_json::from_str(super::seed::SEED).unwrap();
    assert_eq!(reply, seed["responses"]["delete_locked"]);
}
