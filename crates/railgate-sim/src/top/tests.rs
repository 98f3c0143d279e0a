//! The fake against requests built here from seed 003's own example (the
//! Java request sample's values), signed and encrypted by hand.

use super::gateway::Params;
use super::sm4::Sm4Settings;
use super::*;
use chrono::NaiveDateTime;
use cipher::block_padding::Pkcs7;
use cipher::{BlockEncryptMut, KeyInit};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::json;

const NOW: &str = "2022-10-27 09:30:00";

fn config() -> TopSimConfig {
    let now = NaiveDateTime::parse_from_str(NOW, "%Y-%m-%d %H:%M:%S").unwrap();
    TopSimConfig {
        clock: clock::fixed_clock(now),
        ..TopSimConfig::default()
    }
}

fn encrypt(settings: &Sm4Settings, plain: &str) -> String {
    use base64::Engine;
    let sealed = ecb::Encryptor::<::sm4::Sm4>::new(&settings.key.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sealed)
}

/// The seed's request example, passenger fields encrypted.
fn seed_example(settings: &Sm4Settings) -> Value {
    let sealed = |plain: &str| encrypt(settings, plain);
    json!({
        "book_train_details": [{
            "to_station_name": "上海", "arrive_time": "2022-10-28 12:00:00",
            "order_total_price": "1000", "train_date": "2022-10-28",
            "from_station_name": "北京", "ticket_num": "1", "to_station_code": "SHH",
            "book_ticket_details": [{
                "resign_flag": "1", "coach_no": "01", "ticket_price": "1000",
                "ticket_entrance": "{\"0\":\"xx检票口\"}",
                "passenger_info": {
                    "passenger_name": sealed("张三"), "passenger_mobile": sealed("1667xx87xxx"),
                    "passenger_id_no": sealed("432524100011191212"),
                    "passenger_id_type": sealed("0"), "country_code": sealed("CN"),
                    "sex": sealed("0"), "passenger_id": sealed("123452"),
                    "valid_date_start": sealed("2000-12-12"), "birth_date": sealed("1000-11-19"),
                    "valid_date_end": sealed("2030-12-12")
                },
                "ticket_type": "1", "seat_type": "1", "ticket_status": "11",
                "refund_flag": "0", "seat_name": "硬座", "change_flag": "1",
                "seat_no": "001", "passenger_ticket_no": "EW123123212",
                "fail_code": "1001", "fail_reason": "车次已无票"
            }],
            "train_no": "T123", "from_station_code": "BJP",
            "start_time": "2022-10-10 12:00:00", "train_id": "车次id"
        }],
        "supplier_order_id": "987654321", "ticket_no": "EW123452", "order_id": "123456789",
        "order_status": "11", "purchase_type": "2", "fail_code": "1001", "fail_reason": "车次已无票"
    })
}

fn upper_hex(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// Public parameters for `param`, signed with `method` under `secret`.
fn signed(param: &Value, method: &str, secret: &str) -> Params {
    let mut params: Params = [
        ("method", seed::METHOD),
        ("app_key", DEFAULT_APP_KEY),
        ("timestamp", NOW),
        ("v", "2.0"),
        ("format", "json"),
        ("sign_method", method),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    params.insert(seed::PARAM_NAME.to_owned(), param.to_string());
    sign(&mut params, method, secret);
    params
}

/// (Re)writes `sign` for the parameters as they are now.
fn sign(params: &mut Params, method: &str, secret: &str) {
    params.remove("sign");
    let text = signature::signed_text(params);
    let digest = match method {
        "md5" => upper_hex(
            &Md5::new()
                .chain_update(secret)
                .chain_update(&text)
                .chain_update(secret)
                .finalize(),
        ),
        "hmac" => {
            let mut mac = <Hmac<Md5> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(text.as_bytes());
            upper_hex(&mac.finalize().into_bytes())
        }
        _ => {
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(text.as_bytes());
            upper_hex(&mac.finalize().into_bytes())
        }
    };
    params.insert("sign".to_owned(), digest);
}

fn body(params: &Params) -> String {
    serde_urlencoded::to_string(params).unwrap()
}

fn send(config: &TopSimConfig, params: &Params) -> Result<AcceptedCallback, ErrorResponse> {
    accept(config, "", &body(params))
}

fn sub(result: Result<AcceptedCallback, ErrorResponse>) -> (i64, String) {
    let error = result.unwrap_err();
    let detail = error.sub_msg.unwrap_or_default();
    (error.code, detail)
}

#[test]
fn the_seed_example_is_accepted_with_every_sign_method() {
    let config = config();
    for method in signature::SIGN_METHODS {
        let params = signed(&seed_example(&config.sm4), method, DEFAULT_APP_SECRET);
        let accepted = send(&config, &params).unwrap();
        assert_eq!(accepted.sign_method, method);
        assert_eq!(accepted.order_id, "123456789");
        assert_eq!(accepted.supplier_order_id, "987654321");
        assert_eq!(accepted.order_status, "11");
        let passenger = &accepted.passengers[0];
        assert_eq!(passenger.get("passenger_name"), Some("张三"));
        assert_eq!(passenger.get("passenger_id_no"), Some("432524100011191212"));
        assert_eq!(passenger.get("birth_date"), Some("1000-11-19"));
    }
}

#[test]
fn public_parameters_are_checked_in_tops_order() {
    let config = config();
    let good = signed(
        &seed_example(&config.sm4),
        "hmac-sha256",
        DEFAULT_APP_SECRET,
    );
    for (name, code) in [
        ("method", 21),
        ("app_key", 28),
        ("timestamp", 30),
        ("v", 32),
        ("format", 23),
        ("sign", 24),
        ("sign_method", 25),
    ] {
        let mut params = good.clone();
        params.remove(name);
        assert_eq!(send(&config, &params).unwrap_err().code, code, "{name}");
    }
    for (name, value, code) in [
        ("method", "alitrip.other", 22),
        ("app_key", "someone-else", 29),
        ("timestamp", "2022-10-27 09:45:00", 31),
        ("timestamp", "2022/10/27 09:30:00", 31),
        ("v", "1.0", 33),
        ("format", "xml", 23),
        ("sign_method", "sha1", 25),
    ] {
        let mut params = good.clone();
        params.insert(name.to_owned(), value.to_owned());
        assert_eq!(
            send(&config, &params).unwrap_err().code,
            code,
            "{name}={value}"
        );
    }
}

#[test]
fn a_wrong_secret_or_a_changed_parameter_breaks_the_signature() {
    let config = config();
    let params = signed(&seed_example(&config.sm4), "md5", "not-the-secret");
    assert_eq!(send(&config, &params).unwrap_err().code, 25);
    let mut params = signed(&seed_example(&config.sm4), "md5", DEFAULT_APP_SECRET);
    let tampered = params[seed::PARAM_NAME].replace("987654321", "987654322");
    params.insert(seed::PARAM_NAME.to_owned(), tampered);
    assert_eq!(send(&config, &params).unwrap_err().code, 25);
}

#[test]
fn a_missing_required_field_is_named() {
    let config = config();
    let mut param = seed_example(&config.sm4);
    param["book_train_details"][0]["book_ticket_details"][0]
        .as_object_mut()
        .unwrap()
        .remove("seat_name");
    let (code, detail) = sub(send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)));
    assert_eq!(code, 40);
    assert!(
        detail.ends_with("book_train_details[0].book_ticket_details[0].seat_name"),
        "{detail}"
    );
    let mut params = signed(&param, "md5", DEFAULT_APP_SECRET);
    params.remove(seed::PARAM_NAME);
    sign(&mut params, "md5", DEFAULT_APP_SECRET);
    let (code, detail) = sub(send(&config, &params));
    assert_eq!(
        (code, detail.as_str()),
        (40, "缺少必选参数:book_callback_param")
    );
}

#[test]
fn values_outside_the_seeds_tables_and_formats_are_refused() {
    let config = config();
    let ticket = "book_train_details[0].book_ticket_details[0]";
    let cases: [(&str, Value, String); 9] = [
        (
            "/book_train_details/0/book_ticket_details/0/ticket_type",
            json!("3"),
            format!("{ticket}.ticket_type"),
        ),
        (
            "/book_train_details/0/book_ticket_details/0/refund_flag",
            json!("2"),
            format!("{ticket}.refund_flag"),
        ),
        (
            "/book_train_details/0/book_ticket_details/0/ticket_price",
            json!("10.50"),
            format!("{ticket}.ticket_price"),
        ),
        (
            "/book_train_details/0/order_total_price",
            json!("10元"),
            "book_train_details[0].order_total_price".to_owned(),
        ),
        (
            "/book_train_details/0/ticket_num",
            json!("2"),
            "book_train_details[0].ticket_num".to_owned(),
        ),
        (
            "/book_train_details/0/to_station_code",
            json!("shh"),
            "book_train_details[0].to_station_code".to_owned(),
        ),
        (
            "/book_train_details/0/start_time",
            json!("2022-10-10T12:00:00"),
            "book_train_details[0].start_time".to_owned(),
        ),
        (
            "/book_train_details/0/train_date",
            json!("20221028"),
            "book_train_details[0].train_date".to_owned(),
        ),
        (
            "/book_train_details/0/book_ticket_details/0/passenger_info/passenger_name",
            json!("张三"),
            format!("{ticket}.passenger_info.passenger_name"),
        ),
    ];
    for (pointer, value, path) in cases {
        let mut param = seed_example(&config.sm4);
        *param.pointer_mut(pointer).unwrap() = value;
        let (code, detail) = sub(send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)));
        assert_eq!(
            (code, detail),
            (50, format!("非法参数:{path}")),
            "{pointer}"
        );
    }
}

#[test]
fn other_documents_need_nationality_birth_date_and_expiry() {
    let config = config();
    let mut param = seed_example(&config.sm4);
    let info = &mut param["book_train_details"][0]["book_ticket_details"][0]["passenger_info"];
    info["passenger_id_type"] = json!(encrypt(&config.sm4, "1"));
    info.as_object_mut().unwrap().remove("birth_date");
    let (code, detail) = sub(send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)));
    assert_eq!(code, 40);
    assert!(detail.ends_with("passenger_info.birth_date"), "{detail}");
    // A resident ID card needs none of them.
    let mut param = seed_example(&config.sm4);
    let info = &mut param["book_train_details"][0]["book_ticket_details"][0]["passenger_info"];
    for name in ["country_code", "birth_date", "valid_date_end"] {
        info.as_object_mut().unwrap().remove(name);
    }
    send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)).unwrap();
}

#[test]
fn configured_enumerations_refuse_unlisted_codes() {
    let mut config = config();
    let example = signed(&seed_example(&config.sm4), "md5", DEFAULT_APP_SECRET);
    config.enumerations.order_status = Some(vec!["11".to_owned()]);
    send(&config, &example).unwrap();
    let mut param = seed_example(&config.sm4);
    param["order_status"] = json!("99");
    let (code, detail) = sub(send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)));
    assert_eq!((code, detail.as_str()), (50, "非法参数:order_status"));
    // Unset, the seed gives no table: any non-empty code passes.
    let config = self::config();
    send(&config, &signed(&param, "md5", DEFAULT_APP_SECRET)).unwrap();
}

#[test]
fn a_body_that_is_not_a_form_fails_the_signature() {
    let error = accept(&config(), "", "%zz=%&\u{1}").unwrap_err();
    assert_eq!(error.code, 21, "no method in it");
}

#[test]
fn params_merge_query_and_body() {
    let params = parse_params("method=a&v=2.0", "method=b&sign=X");
    assert_eq!(params.get("method").map(String::as_str), Some("b"));
    assert_eq!(params.get("v").map(String::as_str), Some("2.0"));
    assert_eq!(params.get("sign").map(String::as_str), Some("X"));
    assert!(parse_params("", "").is_empty());
}

#[test]
fn debug_shows_no_secret() {
    let shown = format!("{:?}", TopSimConfig::default());
    assert!(!shown.contains(DEFAULT_APP_SECRET) && !shown.contains(DEFAULT_SM4_KEY));
}
