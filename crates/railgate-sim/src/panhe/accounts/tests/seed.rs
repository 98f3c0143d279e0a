//! The seed's own examples, and every field its tables mark 是, refused
//! when missing.

use serde_json::json;

use super::*;

/// Seed 002's request and response examples for the account endpoints,
/// verbatim but for the trailing comma of 删除常旅客's request.
pub const SEED: &str = include_str!("../testdata/seed_examples.json");

fn seed() -> Value {
    serde_json::from_str(SEED).unwrap()
}

/// The seed's request for `key` with the sandbox's app key.
fn seed_request(key: &str) -> Value {
    let mut body = seed()["requests"][key].clone();
    assert_eq!(body["appKey"], json!("您申请的APPKEY"));
    body["appKey"] = json!(DEFAULT_APP_KEY);
    body
}

#[tokio::test]
async fn the_seeds_requests_are_read_as_written() {
    let sim = Sim::start();
    // Taken verbatim: string cardTypes, the example's accounts.
    assert_eq!(
        sim.ok(
            "update_account_holder",
            seed_request("update_account_holder")
        )
        .await,
        json!(true)
    );
    assert_eq!(sim.state.account("用户").unwrap().password, "密码");
    sim.refused(
        "delete_passenger",
        seed_request("delete_passenger"),
        "常旅客不存在:张三",
    )
    .await;
    sim.refused(
        "password_reset",
        seed_request("password_reset"),
        "requestID不存在或未发送验证码,请先调用找回密码-获取验证码:dcf1d40f58d04a47ba91e89833788165",
    )
    .await;

    // Where an example and its table disagree, the table is the contract.
    // 账号注册's placeholder id number fails the check digit; with a real
    // one, the example lacks msgCode (是); with a code, its password "密码"
    // breaks the seed's password rule.
    let mut register = seed_request("account_register");
    sim.refused(
        "account_register",
        register.clone(),
        "参数cardNo格式错误,证件号码校验不通过",
    )
    .await;
    register["cardNo"] = json!(id_card(31));
    sim.refused("account_register", register.clone(), "参数msgCode不能为空")
        .await;
    register["msgCode"] = json!(sim.state.text_999("15000000000"));
    let reply = sim.call("account_register", register).await;
    assert_eq!(reply["data"]["regSubmitIsPass"], json!(false), "{reply}");
    assert!(
        reply["data"]["note"]
            .as_str()
            .unwrap()
            .starts_with("密码格式错误")
    );

    // 增/改常旅客's masked placeholders are not an id number or a mobile.
    let mut save = seed_request("save_passenger");
    sim.refused(
        "save_passenger",
        save.clone(),
        "参数cardNo格式错误,证件号码校验不通过",
    )
    .await;
    save["cardNo"] = json!(id_card(32));
    sim.refused(
        "save_passenger",
        save.clone(),
        "参数mobile格式错误,应为11位手机号",
    )
    .await;
    save["mobile"] = json!("15000000000");
    let data = sim.ok("save_passenger", save).await;
    assert_eq!(data["identityVerifyStatus"], json!(3));

    // 人脸认证's placeholder is not Base64; a real photo passes.
    let mut face = seed_request("verify_face");
    sim.refused(
        "verify_face",
        face.clone(),
        "参数photos[0]格式错误,应为Base64字符串",
    )
    .await;
    face["photos"] = json!(["/9j/4AAQSkZJRgABAQ=="]);
    assert_eq!(sim.ok("verify_face", face).await, json!(true));

    // 修改密码's values are real ciphertexts; the sandbox's cipher is
    // plain text, so "Wmv70Z79f//uT+/ggruPuQ==" is the new password itself,
    // and breaks the rule.
    let rule = "新密码格式错误:不少于6位,必须且只能包含字母,数字,下划线中的两种或两种以上!";
    for key in ["password_change_code", "password_change"] {
        sim.refused(key, seed_request(key), rule).await;
    }
}

/// Keys of `object` as they appear in the raw JSON text, in order.
fn positions(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} missing from {text}"))
        })
        .collect()
}

#[tokio::test]
async fn answers_have_the_seeds_shapes() {
    let sim = Sim::start();
    let seed = seed();
    let responses = &seed["responses"];
    let login = json!({"trainAccount": "nina", "trainPassword": "pass_123"});
    assert_eq!(
        sim.call("check_login", login.clone()).await,
        responses["check_login_pass"]
    );
    sim.ok("save_passenger", new_passenger("nina", "张小华", 33))
        .await;

    // 获取常旅客: the example's keys, in its order, with its JSON types.
    let text = sim
        .post(
            &sim.path("list_passengers"),
            Some("application/json"),
            json!({"appKey": DEFAULT_APP_KEY, "trainAccount": "nina", "trainPassword": "pass_123"})
                .to_string(),
        )
        .await;
    let example = responses["list_passengers"]["data"][0].as_object().unwrap();
    let keys: Vec<&str> = example.keys().map(String::as_str).collect();
    let seed_order = [
        "id",
        "name",
        "cardType",
        "cardNo",
        "mobile",
        "passengerType",
        "birthday",
        "sex",
        "country",
        "email",
        "address",
        "identityVerifyStatus",
        "mobileVerifyStatus",
        "isUserSelf",
    ];
    let mut sorted_seed = seed_order.to_vec();
    sorted_seed.sort_unstable();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort_unstable();
    assert_eq!(sorted_keys, sorted_seed);
    let found = positions(&text, &seed_order);
    assert!(found.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    let reply: Value = serde_json::from_str(&text).unwrap();
    for row in reply["data"].as_array().unwrap() {
        let row = row.as_object().unwrap();
        assert_eq!(row.len(), example.len());
        for (key, value) in example {
            let kind = |value: &Value| std::mem::discriminant(value);
            assert_eq!(kind(&row[key]), kind(value), "{key}: {}", row[key]);
        }
    }

    // 增/改常旅客's answer keys.
    let answer = sim
        .ok("save_passenger", new_passenger("nina", "李四", 34))
        .await;
    let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    let example = responses["save_passenger"]["data"].as_object().unwrap();
    let mut expected: Vec<&String> = example.keys().collect();
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);

    // data true / null exactly as the examples show.
    let holder = json!({"trainAccount": "nina", "trainPassword": "pass_123", "passengerType": 1});
    assert_eq!(
        sim.call("update_account_holder", holder).await,
        responses["update_account_holder"]
    );
    let delete = json!({"trainAccount": "nina", "trainPassword": "pass_123",
                        "name": "李四", "cardType": 1, "cardNo": id_card(34)});
    assert_eq!(
        sim.call("delete_passenger", delete).await,
        responses["delete_ok"]
    );
    let mut seed_sms = seed["sms"]["password_reset"].as_str().unwrap().to_owned();
    let request = json!({"appkey": DEFAULT_APP_KEY, "requestID": "r1", "cardType": 1,
        "cardNo": sim.state.account_passengers("nina").unwrap()[0].card_no,
        "mobile": sim.holder_mobile("nina", "pass_123")});
    assert_eq!(
        sim.call("password_reset_code", request.clone()).await,
        responses["password_reset_code"]
    );
    let code = sim
        .state
        .last_sms_code(request["mobile"].as_str().unwrap())
        .unwrap();
    seed_sms = seed_sms.replace("456350", &code);
    assert_eq!(
        sim.state
            .sms_sent(request["mobile"].as_str().unwrap())
            .last(),
        Some(&seed_sms)
    );
}

/// A valid body per endpoint and the fields its table marks 是, in order.
fn required_tables() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    let account = json!({"trainAccount": "olga", "trainPassword": "pass_123"});
    let with = |extra: Value| {
        let mut body = account.clone();
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let person = json!({"name": "张三", "cardType": 1, "cardNo": id_card(41),
                        "mobile": "13900000041", "passengerType": 1});
    let mut register = with(person.clone());
    register["msgCode"] = json!("123456");
    let mut save = with(person);
    save["id"] = json!(0);
    let change = json!({"trainAccount": "olga", "oldTrainPassword": "pass_123",
                        "newTrainPassword": "pass_456", "confirmTrainPassword": "pass_456"});
    let mut change_submit = change.clone();
    change_submit["verificationCode"] = json!("123456");
    let both = ["trainAccount", "trainPassword"];
    let person_fields = ["name", "cardType", "cardNo", "mobile", "passengerType"];
    vec![
        (
            "account_register",
            register,
            [&both[..], &person_fields, &["msgCode"]].concat(),
        ),
        ("check_login", account.clone(), both.to_vec()),
        (
            "verify_sms",
            with(json!({"msgCode": "123456", "validateType": 2})),
            [&both[..], &["msgCode", "validateType"]].concat(),
        ),
        (
            "verify_face",
            with(json!({"photos": ["AAAA"]})),
            [&both[..], &["photos"]].concat(),
        ),
        ("list_passengers", account.clone(), both.to_vec()),
        (
            "save_passenger",
            save,
            [&both[..], &["id"], &person_fields].concat(),
        ),
        (
            "update_account_holder",
            with(json!({"passengerType": 1})),
            [&both[..], &["passengerType"]].concat(),
        ),
        (
            "delete_passenger",
            with(json!({"name": "张三", "cardType": 1, "cardNo": id_card(41)})),
            [&both[..], &["name", "cardType", "cardNo"]].concat(),
        ),
        (
            "password_reset_code",
            json!({"requestID": "r", "cardType": 1, "cardNo": id_card(41), "mobile": "13900000041"}),
            vec!["requestID", "cardType", "cardNo", "mobile"],
        ),
        (
            "password_reset",
            json!({"requestID": "r", "trainPassword": "pass_456", "verificationCode": "123456"}),
            vec!["requestID", "trainPassword", "verificationCode"],
        ),
        (
            "password_change_code",
            change,
            vec![
                "trainAccount",
                "oldTrainPassword",
                "newTrainPassword",
                "confirmTrainPassword",
            ],
        ),
        (
            "password_change",
            change_submit,
            vec![
                "trainAccount",
                "oldTrainPassword",
                "newTrainPassword",
                "confirmTrainPassword",
                "verificationCode",
            ],
        ),
    ]
}

#[tokio::test]
async fn every_required_field_is_refused_when_missing_or_blank() {
    let sim = Sim::start();
    for (key, body, required) in required_tables() {
        for field in required {
            let expected = format!("参数{field}不能为空");
            let mut missing = body.clone();
            missing.as_object_mut().unwrap().remove(field);
            sim.refused(key, missing, &expected).await;
            let mut blank = body.clone();
            blank[field] = json!("");
            sim.refused(key, blank, &expected).await;
            let mut null = body.clone();
            null[field] = Value::Null;
            sim.refused(key, null, &expected).await;
        }
        let mut no_key = body.clone();
        no_key.as_object_mut().unwrap().remove("appKey");
        let text = sim
            .post(&sim.path(key), Some("application/json"), no_key.to_string())
            .await;
        assert!(text.contains("appKey不能为空"), "{key}: {text}");
    }
}

#[tokio::test]
async fn conditional_fields_are_required_by_card_type() {
    let sim = Sim::start();
    // (cardType, its name, fields then required) per table, in table order.
    let register = [
        (
            2,
            "护照",
            vec!["sex", "countryCode", "cardValidEndDate", "birthday"],
        ),
        (
            3,
            "港澳居民来往内地通行证",
            vec!["email", "sex", "cardValidEndDate", "birthday"],
        ),
        (
            4,
            "台湾居民来往大陆通行证",
            vec!["email", "sex", "cardValidEndDate", "birthday"],
        ),
        (
            8,
            "外国人永久居留身份证",
            vec!["sex", "countryCode", "cardValidEndDate", "birthday"],
        ),
    ];
    let save = [
        (
            2,
            "护照",
            vec!["birthday", "countryCode", "cardValidEndDate", "sex"],
        ),
        (
            3,
            "港澳居民来往内地通行证",
            vec!["birthday", "cardValidEndDate", "sex"],
        ),
        (
            4,
            "台湾居民来往大陆通行证",
            vec!["birthday", "cardValidEndDate", "sex"],
        ),
        (
            8,
            "外国人永久居留身份证",
            vec!["birthday", "countryCode", "cardValidEndDate", "sex"],
        ),
    ];
    let full = json!({"trainAccount": "pete", "trainPassword": "pass_123", "id": 0,
        "name": "TEST", "cardNo": "X1234567", "mobile": "13900000051", "passengerType": 1,
        "email": "t@example.com", "sex": 1, "countryCode": "GB",
        "cardValidEndDate": "2031-01-01", "birthday": "1991-01-01", "msgCode": "123456"});
    for (key, table) in [("account_register", register), ("save_passenger", save)] {
        for (card_type, name, fields) in table {
            let mut body = full.clone();
            body["cardType"] = json!(card_type);
            for (index, field) in fields.iter().enumerate() {
                // Remove this field and every later one: this one is named.
                let mut missing = body.clone();
                for later in &fields[index..] {
                    missing.as_object_mut().unwrap().remove(*later);
                }
                let expected = format!("参数{field}不能为空(证件类型为{name}时必填)");
                sim.refused(key, missing, &expected).await;
            }
        }
    }
    // Resident ids need none of them (birthday and sex come from the id).
    let mut id_card_body = full;
    for field in [
        "email",
        "sex",
        "countryCode",
        "cardValidEndDate",
        "birthday",
    ] {
        id_card_body.as_object_mut().unwrap().remove(field);
    }
    id_card_body["cardType"] = json!(1);
    id_card_body["cardNo"] = json!(id_card(51));
    sim.ok("save_passenger", id_card_body).await;
}
