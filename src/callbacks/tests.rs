use super::body::{Notice, dedupe_key, parse};
use super::*;
use std::collections::HashMap;

fn notice(order_no: &str, customer_order_no: Option<&str>) -> Option<Notice> {
    Some(Notice {
        order_no: order_no.to_owned(),
        customer_order_no: customer_order_no.map(str::to_owned),
    })
}

#[test]
fn reads_the_simulators_json_body() {
    let body = r#"{"notifyType":"order","notifyId":"T26050110000010001-3","notifyTime":"2026-05-01 10:00:03",
        "orderNo":"T26050110000010001","customerOrderNo":"c-1","orderStatus":2,"orderStatusName":"占位成功"}"#;
    assert_eq!(
        parse(body.as_bytes()),
        notice("T26050110000010001", Some("c-1"))
    );
}

#[test]
fn reads_forms_envelopes_numbers_and_other_spellings() {
    assert_eq!(
        parse(b"orderNo=T1&customerOrderNo=RG%2Dabc+1&orderStatus=8"),
        notice("T1", None),
        "a form value with a space is not a plausible order number"
    );
    assert_eq!(
        parse(b"order_no=T1&customer_order_no=RG%2Dabc"),
        notice("T1", Some("RG-abc"))
    );
    assert_eq!(
        parse(br#"{"success":true,"msg":"","data":{"orderNo":"T2"}}"#),
        notice("T2", None)
    );
    assert_eq!(
        parse(br#"{"data":"{\"orderNo\":\"T3\",\"customerOrderNo\":\"c3\"}"}"#),
        notice("T3", Some("c3"))
    );
    assert_eq!(parse(br#" {"ORDERNO": 123456} "#), notice("123456", None));
}

#[test]
fn refuses_bodies_without_a_usable_order_number() {
    for body in [
        &b""[..],
        b"{}",
        b"{not json",
        br#"{"orderNo":""}"#,
        br#"{"orderNo":null}"#,
        br#"{"orderNo":"has space"}"#,
        b"customerOrderNo=c1",
        b"\xff\xfe",
    ] {
        assert_eq!(parse(body), None, "{:?}", String::from_utf8_lossy(body));
    }
    let long = format!(r#"{{"orderNo":"{}"}}"#, "T".repeat(65));
    assert_eq!(parse(long.as_bytes()), None);
}

#[test]
fn dedupe_key_collapses_copies_and_separates_status_changes() {
    let held = br#"{"orderNo":"T1","orderStatus":2}"#;
    let issued = br#"{"orderNo":"T1","orderStatus":8}"#;
    assert_eq!(
        dedupe_key("order", "T1", held),
        dedupe_key("order", "T1", held)
    );
    assert_ne!(
        dedupe_key("order", "T1", held),
        dedupe_key("order", "T1", issued)
    );
    assert_ne!(
        dedupe_key("order", "T1", held),
        dedupe_key("refund", "T1", held)
    );
    assert!(dedupe_key("order", "T1", held).starts_with("order:T1:"));
}

#[test]
fn secrets_compare_whole() {
    assert!(constant_time_eq(b"abcdef", b"abcdef"));
    assert!(!constant_time_eq(b"abcdef", b"abcdeg"));
    assert!(!constant_time_eq(b"abcdef", b"abcde"));
    assert!(!constant_time_eq(b"", b"a"));
}

#[test]
fn generated_secrets_are_random_hex_and_stable_per_process() {
    let one = random_secret();
    assert_eq!(one.len(), 64);
    assert!(one.bytes().all(|byte| byte.is_ascii_hexdigit()));
    assert_ne!(one, random_secret());

    let config = Config::load(None, &HashMap::new()).unwrap();
    assert_eq!(
        base_secret(&config).expose_secret(),
        base_secret(&config).expose_secret(),
        "the URLs sent and the routes checked agree"
    );
    let configured = Config::load(
        None,
        &HashMap::from([(
            "RAILGATE_CALLBACK_SECRET".to_owned(),
            "configured-secret-0123".to_owned(),
        )]),
    )
    .unwrap();
    assert_eq!(
        base_secret(&configured).expose_secret(),
        "configured-secret-0123"
    );
}

#[test]
fn each_provider_has_its_own_secret_and_rotation_keeps_the_old_one() {
    let mut config = Config::load(None, &HashMap::new()).unwrap();
    config.callbacks.secret = Some(SecretString::from("new-secret-0123456789"));
    config.callbacks.previous_secret = Some(SecretString::from("old-secret-0123456789"));
    let secrets = CallbackSecrets::from_config(&config);
    let panhe = secrets.panhe.current.expose_secret().to_owned();
    let juhe = secrets.juhe.current.expose_secret().to_owned();
    assert_eq!(panhe.len(), 64);
    assert!(panhe.bytes().all(|byte| byte.is_ascii_hexdigit()));
    assert_ne!(panhe, juhe, "one provider's URL opens only its routes");
    assert!(!panhe.contains("new-secret"));
    // HMAC-SHA256(key, "railgate-callback:panhe"), checked by openssl:
    // printf 'railgate-callback:panhe' | openssl dgst -sha256 -hmac new-secret-0123456789
    assert_eq!(
        panhe,
        "c1fdbcf74207867a50e423433572cc85594b7e85fd7c6fea5093e9cfbaa1b2b8"
    );
    assert!(secrets.panhe.accept(&panhe));
    assert!(!secrets.panhe.accept(&juhe));
    assert!(!secrets.juhe.accept(&panhe));
    assert!(
        !secrets.panhe.accept("new-secret-0123456789"),
        "not the base"
    );
    let old = provider_secret(
        &SecretString::from("old-secret-0123456789"),
        ProviderId::Panhe,
    );
    assert!(secrets.panhe.accept(old.expose_secret()), "during rotation");
    assert!(!secrets.juhe.accept(old.expose_secret()));
    config.callbacks.previous_secret = None;
    let rotated = CallbackSecrets::from_config(&config);
    assert!(!rotated.panhe.accept(old.expose_secret()), "after rotation");
}

#[test]
fn callback_url_is_public_url_plus_secret() {
    let mut config = Config::load(None, &HashMap::new()).unwrap();
    config.callbacks.secret = Some(SecretString::from("s3cret-s3cret-s3cret"));
    let bound: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let derived = provider_secret(
        &SecretString::from("s3cret-s3cret-s3cret"),
        ProviderId::Panhe,
    );
    assert_eq!(
        panhe_callback_url(&config, bound),
        format!(
            "http://127.0.0.1:8080/callbacks/panhe/{}",
            derived.expose_secret()
        )
    );
    let bound6: SocketAddr = "[::]:9000".parse().unwrap();
    assert_eq!(public_url(&config, bound6), "http://[::1]:9000");
    config.callbacks.public_url = Some("https://gw.example.com/railgate/".into());
    assert_eq!(
        panhe_callback_url(&config, bound),
        format!(
            "https://gw.example.com/railgate/callbacks/panhe/{}",
            derived.expose_secret()
        )
    );
}
