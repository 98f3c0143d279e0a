//! railgate's TOP client and book-callback builder against the fake TOP
//! gateway over real HTTP on loopback. The fake is the simulator crate's
//! own reading of seed 003, so this is where a misreading on either side
//! shows.

use railgate::alitrip::SignMethod;
use railgate::alitrip::fixtures::{self, passenger_ids};
use railgate::alitrip::model::{self, BookCallbackParam};
use railgate::alitrip::{
    Disposition, FieldCipher, Sm4Config, TopClient, TopConfig, TopError, build_book_callback,
};
use railgate::domain::Order;
use railgate::domain::time::FixedClock;
use railgate::stations::StationDirectory;
use railgate_sim::top::{
    self, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_SM4_KEY, Fault, TopSimConfig, TopSimState,
};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// A running fake and what a client needs to reach it.
struct Fake {
    url: String,
    state: Arc<TopSimState>,
}

async fn spawn_fake() -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (router, state) = top::router_with_state(TopSimConfig::default());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Fake {
        url: format!("http://{address}/router/rest"),
        state,
    }
}

fn client_config(fake: &Fake, sign_method: SignMethod) -> TopConfig {
    TopConfig {
        gateway_url: fake.url.clone(),
        app_key: DEFAULT_APP_KEY.into(),
        app_secret: SecretString::from(DEFAULT_APP_SECRET),
        sign_method,
        session: None,
        partner_id: Some("railgate".into()),
        timeout: Duration::from_secs(5),
    }
}

fn client(fake: &Fake) -> TopClient {
    TopClient::new(client_config(fake, SignMethod::default())).unwrap()
}

/// The sandbox cipher, as railgate would configure it.
fn sandbox_cipher() -> FieldCipher {
    FieldCipher::new(&Sm4Config::with_hex_key(DEFAULT_SM4_KEY)).unwrap()
}

fn callback(order: &Order) -> BookCallbackParam {
    build_book_callback(
        order,
        &passenger_ids(),
        StationDirectory::embedded(),
        &sandbox_cipher(),
    )
    .unwrap()
}

/// Every personal value of the fixture order.
const PERSONAL: [&str; 8] = [
    "欧阳娜娜",
    "11010519491231002X",
    "15712340587",
    "JOHN SMITH",
    "E12345678",
    "+85291234578",
    "123452",
    "2015-06-01",
];

#[tokio::test]
async fn accepts_a_built_callback_and_decrypts_it_to_the_originals() {
    let fake = spawn_fake().await;
    let order = fixtures::issued_order();
    let param = callback(&order);
    let info = client(&fake).send_book_callback(&param).await.unwrap();
    assert_eq!(info.order_id.as_deref(), Some("123456789"));
    assert_eq!(info.supplier_order_id.as_deref(), Some(order.id.as_str()));

    let accepted = fake.state.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].param, serde_json::to_value(&param).unwrap());
    assert_eq!(accepted[0].sign_method, "hmac-sha256");
    let passengers = &accepted[0].passengers;
    for (plain, ticket) in passengers.iter().zip(&order.tickets) {
        let person = &ticket.passenger;
        assert_eq!(plain.get("passenger_name"), Some(person.name.expose()));
        assert_eq!(
            plain.get("passenger_id_no"),
            Some(person.id_number.expose())
        );
        assert_eq!(
            plain.get("passenger_mobile"),
            person.phone.as_ref().map(|phone| phone.expose())
        );
    }
    assert_eq!(passengers[0].get("passenger_id"), Some("123452"));
    // The passport holder carries what the seed requires of other documents.
    assert_eq!(passengers[1].get("birth_date"), Some("2015-06-01"));
    assert_eq!(passengers[1].get("country_code"), Some("GB"));
}

#[tokio::test]
async fn the_wire_carries_no_plaintext_passenger_field() {
    let fake = spawn_fake().await;
    client(&fake)
        .send_book_callback(&callback(&fixtures::issued_order()))
        .await
        .unwrap();
    let [body] = fake.state.raw_bodies().try_into().unwrap();
    // Check the body as sent and as decoded: a percent-encoded name is
    // still a name.
    let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let decoded: String = decoded
        .into_iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    assert!(decoded.contains(model::PARAM_NAME));
    for raw in PERSONAL {
        assert!(!body.contains(raw), "{raw} in the raw body");
        assert!(!decoded.contains(raw), "{raw} in the decoded body");
    }
    // The public station data is sent as is.
    assert!(decoded.contains("北京南") && decoded.contains("VNP"));
}

#[tokio::test]
async fn every_sign_method_is_accepted() {
    let fake = spawn_fake().await;
    let param = callback(&fixtures::failed_order());
    for method in SignMethod::ALL {
        let client = TopClient::new(client_config(&fake, method)).unwrap();
        client.send_book_callback(&param).await.unwrap();
    }
    let methods: Vec<String> = fake
        .state
        .accepted()
        .into_iter()
        .map(|accepted| accepted.sign_method)
        .collect();
    let sent: Vec<&str> = SignMethod::ALL
        .iter()
        .map(|method| method.as_str())
        .collect();
    assert_eq!(methods, sent);
}

fn platform_code(error: &TopError) -> Option<(i64, Option<&str>)> {
    match error {
        TopError::Platform { code, sub_code, .. } => Some((*code, sub_code.as_deref())),
        _ => None,
    }
}

#[tokio::test]
async fn wrong_credentials_are_permanent_platform_errors() {
    let fake = spawn_fake().await;
    let param = callback(&fixtures::issued_order());

    let mut wrong_secret = client_config(&fake, SignMethod::Md5);
    wrong_secret.app_secret = SecretString::from("not-the-secret");
    let error = TopClient::new(wrong_secret)
        .unwrap()
        .send_book_callback(&param)
        .await
        .unwrap_err();
    assert_eq!(platform_code(&error), Some((25, None)));
    assert_eq!(error.disposition(), Disposition::Permanent);

    let mut wrong_key = client_config(&fake, SignMethod::Hmac);
    wrong_key.app_key = "someone-else".into();
    let error = TopClient::new(wrong_key)
        .unwrap()
        .send_book_callback(&param)
        .await
        .unwrap_err();
    assert_eq!(platform_code(&error), Some((29, None)));
    assert!(!error.is_retryable());
    assert!(fake.state.accepted().is_empty());
}

#[tokio::test]
async fn a_wrong_sm4_key_is_an_invalid_parameter() {
    let fake = spawn_fake().await;
    let other_cipher =
        FieldCipher::new(&Sm4Config::with_hex_key("00112233445566778899aabbccddeeff")).unwrap();
    let param = build_book_callback(
        &fixtures::issued_order(),
        &passenger_ids(),
        StationDirectory::embedded(),
        &other_cipher,
    )
    .unwrap();
    let error = client(&fake).send_book_callback(&param).await.unwrap_err();
    assert_eq!(
        platform_code(&error),
        Some((50, Some("isv.invalid-parameter")))
    );
    assert!(!error.is_retryable());
    assert!(fake.state.accepted().is_empty());
}

#[tokio::test]
async fn a_missing_required_field_is_refused_by_path() {
    let fake = spawn_fake().await;
    let mut param = callback(&fixtures::issued_order());
    param.book_train_details[0].book_ticket_details[1].seat_name = String::new();
    let error = client(&fake).send_book_callback(&param).await.unwrap_err();
    match &error {
        TopError::Platform {
            code: 40,
            sub_code: Some(sub_code),
            sub_msg: Some(sub_msg),
            ..
        } => {
            assert_eq!(sub_code, "isv.missing-parameter");
            assert_eq!(
                sub_msg,
                "缺少必选参数:book_train_details[0].book_ticket_details[1].seat_name"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!error.is_retryable());

    // Without the business parameter at all.
    let error = client(&fake).call(model::METHOD, &[]).await.unwrap_err();
    assert_eq!(
        platform_code(&error),
        Some((40, Some("isv.missing-parameter")))
    );
}

#[tokio::test]
async fn scripted_faults_classify_then_the_fake_recovers() {
    let fake = spawn_fake().await;
    let client = client(&fake);
    let param = callback(&fixtures::issued_order());
    fake.state.fail_next(2, Fault::PlatformError);
    fake.state.fail_next(1, Fault::Http(503));
    fake.state.fail_next(1, Fault::InvalidParameter);
    fake.state.fail_next(1, Fault::Http(404));

    let mut dispositions = Vec::new();
    for _ in 0..5 {
        let error = client.send_book_callback(&param).await.unwrap_err();
        dispositions.push((
            platform_code(&error).map(|(code, _)| code),
            error.disposition(),
        ));
    }
    assert_eq!(
        dispositions,
        [
            (Some(15), Disposition::Retryable),
            (Some(15), Disposition::Retryable),
            (None, Disposition::Retryable),
            (Some(50), Disposition::Permanent),
            (None, Disposition::Permanent),
        ]
    );
    assert_eq!(fake.state.pending_faults(), 0);
    assert!(fake.state.accepted().is_empty());

    client.send_book_callback(&param).await.unwrap();
    assert_eq!(fake.state.accepted().len(), 1);
    assert_eq!(fake.state.raw_bodies().len(), 6);
}

#[tokio::test]
async fn a_stalled_gateway_is_a_retryable_timeout() {
    let fake = spawn_fake().await;
    let mut config = client_config(&fake, SignMethod::Md5);
    config.timeout = Duration::from_millis(200);
    let client = TopClient::new(config).unwrap();
    let param = callback(&fixtures::issued_order());
    fake.state.fail_next(1, Fault::Stall);

    let error = client.send_book_callback(&param).await.unwrap_err();
    assert!(matches!(error, TopError::Timeout(_)), "{error:?}");
    assert_eq!(error.disposition(), Disposition::Retryable);
    fake.state.release_stalled();

    client.send_book_callback(&param).await.unwrap();
    assert_eq!(fake.state.accepted().len(), 1);
}

#[tokio::test]
async fn cleared_faults_are_not_used() {
    let fake = spawn_fake().await;
    fake.state.fail_next(3, Fault::PlatformError);
    fake.state.clear_faults();
    assert_eq!(fake.state.pending_faults(), 0);
    client(&fake)
        .send_book_callback(&callback(&fixtures::issued_order()))
        .await
        .unwrap();
    assert_eq!(fake.state.accepted().len(), 1);
}

#[tokio::test]
async fn a_stale_timestamp_is_refused() {
    let fake = spawn_fake().await;
    let clock = FixedClock("2016-01-01T04:00:00Z".parse().unwrap());
    let client = TopClient::with_clock(
        client_config(&fake, SignMethod::HmacSha256),
        Arc::new(clock),
    )
    .unwrap();
    let error = client
        .send_book_callback(&callback(&fixtures::issued_order()))
        .await
        .unwrap_err();
    assert_eq!(platform_code(&error), Some((31, None)));
}
