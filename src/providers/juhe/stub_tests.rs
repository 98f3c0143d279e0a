//! The client against a tiny Juhe stub on loopback: what goes over the wire
//! (method, path, content type, every form field in order, the passengers
//! JSON inside the form) and that the seed's answers come back typed.

use super::callback_wire::CallbackType;
use super::order_wire::{SubmitOrderRequest, SubmitPassenger, TicketModel};
use super::wire::{SearchRequest, SearchTicketType};
use super::{JuheClient, JuheClientConfig, JuhePaths};
use crate::providers::stack::ProviderLimits;
use crate::providers::{ProviderError, RejectReason};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "stub-key-0123";

/// One request as the stub saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    content_type: String,
    form: Vec<(String, String)>,
}

#[derive(Clone, Default)]
struct Stub {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// The seed's answer for each endpoint.
fn answer(path: &str, form: &[(String, String)]) -> (StatusCode, &'static str) {
    let issued = form
        .iter()
        .any(|(name, value)| name == "issue" && value == "1");
    let body = match path {
        "/search.php" => include_str!("testdata/search.json"),
        "/submitOrder.php" => include_str!("testdata/submit_order.json"),
        "/orderDetail.php" if issued => include_str!("testdata/order_detail_issued.json"),
        "/orderDetail.php" => include_str!("testdata/order_detail.json"),
        "/cancelOrder.php" => include_str!("testdata/cancel_order.json"),
        "/applyRefundOrder.php" => include_str!("testdata/apply_refund.json"),
        "/addCallbackUrl.php" => include_str!("testdata/add_callback_url.json"),
        "/dataDictionary.php" => include_str!("testdata/data_dictionary.json"),
        "/bad-key.php" => r#"{"reason":"错误的请求KEY","result":null,"error_code":10001}"#,
        "/cancel-refused.php" => include_str!("testdata/cancel_order_failed.json"),
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "down"),
    };
    (StatusCode::OK, body)
}

async fn record(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (status, reply) = answer(uri.path(), &form);
    stub.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        form,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        reply,
    )
}

/// A stub on 127.0.0.1:0 and a client pointed at it.
async fn stub_and_client(paths: JuhePaths) -> (Stub, JuheClient) {
    let stub = Stub::default();
    let app = Router::new().fallback(record).with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = JuheClient::new(
        reqwest::Client::new(),
        JuheClientConfig {
            base_url: format!("http://{address}/"),
            key: SecretString::from(KEY),
            paths,
            limits: ProviderLimits {
                timeout: Duration::from_secs(10),
                max_concurrency: 4,
                requests_per_second: 100,
                search_share_percent: crate::providers::stack::DEFAULT_SEARCH_SHARE_PERCENT,
            },
        },
    );
    (stub, client)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Asserts one form POST to `path` with exactly `fields` after the key.
fn assert_form_post(seen: &Seen, path: &str, fields: &[(&str, &str)]) {
    assert_eq!(seen.method, Method::POST, "{path}");
    assert_eq!(seen.path, path);
    assert_eq!(seen.query, None, "{path}: nothing in the URL");
    assert_eq!(seen.content_type, "application/x-www-form-urlencoded");
    let mut expected = pairs(&[("key", KEY)]);
    expected.extend(pairs(fields));
    assert_eq!(seen.form, expected, "{path}");
}

#[tokio::test]
async fn search_sends_the_documented_fields_and_reads_the_seed_answer() {
    let (stub, client) = stub_and_client(JuhePaths::default()).await;
    let plain = SearchRequest {
        from: "上海西",
        to: "苏州园区",
        date: "20150514".into(),
        ticket_type: None,
    };
    let result = client.search(&plain).await.unwrap();
    assert_eq!(result.query_key, "6d31300d58be4d239af4039c71ddc313");
    assert_eq!(result.trains[0].tickets["secondseat"].seats, 490);
    let student = SearchRequest {
        ticket_type: Some(SearchTicketType::Student),
        ..plain
    };
    client.search(&student).await.unwrap();

    let seen = stub.take();
    let fields = [("from", "上海西"), ("to", "苏州园区"), ("date", "20150514")];
    assert_form_post(&seen[0], "/search.php", &fields);
    let mut with_type = fields.to_vec();
    with_type.push(("type", "2"));
    assert_form_post(&seen[1], "/search.php", &with_type);
}

#[tokio::test]
async fn submit_order_sends_passengers_as_a_json_string() {
    let (stub, client) = stub_and_client(JuhePaths::default()).await;
    let request = SubmitOrderRequest {
        query_key: "6d31300d58be4d239af4039c71ddc313",
        out_order_no: "rg2016113001",
        ticket_model: Some(TicketModel::Proxy),
        account_no: None,
        account_pwd: None,
        train_nos: vec!["G7066", "G7068"],
        seat_class_codes: vec!["secondseat", "firstseat"],
        main_train_no: "G7066",
        main_seat_class: "secondseat",
        from_station: "上海西",
        to_station: "苏州园区",
        depart_date: "2015-05-14 09:02".into(),
        close_time: "2015-05-14 06:00:00".into(),
        accept_no_seat: true,
        person: "张三",
        cellphone: "15712340587",
        email: None,
        passengers: vec![
            SubmitPassenger {
                passenger_name: "张三",
                passenger_type: 1,
                id_card_type: 0,
                id_card_no: "11010519491231002X",
                birthday: Some("1949-12-31".into()),
            },
            SubmitPassenger {
                passenger_name: "John Smith",
                passenger_type: 2,
                id_card_type: 1,
                id_card_no: "E12345678",
                birthday: Some("2015-01-02".into()),
            },
        ],
    };
    let result = client.submit_order(&request).await.unwrap();
    assert_eq!(result.order_no, "TFT583U752U210D284004800356");

    let seen = stub.take();
    let passengers = r#"[{"passengerName":"张三","passengerType":"1","idCardType":"0","idCardNo":"11010519491231002X","birthday":"1949-12-31"},{"passengerName":"John Smith","passengerType":"2","idCardType":"1","idCardNo":"E12345678","birthday":"2015-01-02"}]"#;
    assert_form_post(
        &seen[0],
        "/submitOrder.php",
        &[
            ("queryKey", "6d31300d58be4d239af4039c71ddc313"),
            ("outOrderNo", "rg2016113001"),
            ("ticketModel", "0"),
            ("trainNo", "G7066|G7068"),
            ("seatClassCode", "secondseat|firstseat"),
            ("mainTrainNo", "G7066"),
            ("mainSeatClass", "secondseat"),
            ("fromStation", "上海西"),
            ("toStation", "苏州园区"),
            ("departDate", "2015-05-14 09:02"),
            ("closeTime", "2015-05-14 06:00:00"),
            ("acceptNoSeat", "1"),
            ("person", "张三"),
            ("cellphone", "15712340587"),
            ("passengers", passengers),
        ],
    );
    // The form field holds a JSON array Juhe can parse on its side.
    let sent = &seen[0].form.last().unwrap().1;
    let parsed: serde_json::Value = serde_json::from_str(sent).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn self_purchase_sends_the_12306_account() {
    let (stub, client) = stub_and_client(JuhePaths::default()).await;
    let request = SubmitOrderRequest {
        query_key: "q",
        out_order_no: "rg000001",
        ticket_model: Some(TicketModel::SelfPurchase),
        account_no: Some("rail-user"),
        account_pwd: Some("rail-pass"),
        train_nos: vec!["Z175"],
        seat_class_codes: vec!["hardseat"],
        main_train_no: "Z175",
        main_seat_class: "hardseat",
        from_station: "苏州",
        to_station: "昆山",
        depart_date: "2016-12-30 02:29".into(),
        close_time: "2016-11-30 18:00:00".into(),
        accept_no_seat: false,
        person: "李四",
        cellphone: "15712340587",
        email: Some("a@example.com"),
        passengers: vec![],
    };
    client.submit_order(&request).await.unwrap();
    let form = &stub.take()[0].form;
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(field("ticketModel"), Some("1"));
    assert_eq!(field("accountNo"), Some("rail-user"));
    assert_eq!(field("accountPwd"), Some("rail-pass"));
    assert_eq!(field("acceptNoSeat"), Some("0"));
    assert_eq!(field("email"), Some("a@example.com"));
    assert_eq!(field("passengers"), Some("[]"));
}

#[tokio::test]
async fn order_calls_send_the_documented_fields() {
    let (stub, client) = stub_and_client(JuhePaths::default()).await;
    let grab = client.order_detail("2016120501").await.unwrap();
    assert_eq!(grab.status, "U");
    let issued = client.issued_order_detail("2016120501").await.unwrap();
    assert_eq!(issued.passengers[0].passenger_id, "623838773");
    let cancelled = client.cancel_order("2016120501").await.unwrap();
    assert_eq!(cancelled.order_no, "TFT583U7A64210D1BB016912627");
    let refund = client
        .apply_refund("2016113006", "615151438")
        .await
        .unwrap();
    assert_eq!(refund.passenger_id, "615151438");
    for kind in CallbackType::ALL {
        client
            .add_callback_url("http://127.0.0.1:9/callbacks/juhe/s3cret/issue", kind)
            .await
            .unwrap();
    }
    let dictionary = client.data_dictionary().await.unwrap();
    assert_eq!(dictionary.order_status.data["D"], "抢票中");

    let seen = stub.take();
    assert_eq!(seen.len(), 8);
    assert_form_post(
        &seen[0],
        "/orderDetail.php",
        &[("outOrderNo", "2016120501")],
    );
    assert_form_post(
        &seen[1],
        "/orderDetail.php",
        &[("outOrderNo", "2016120501"), ("issue", "1")],
    );
    assert_form_post(
        &seen[2],
        "/cancelOrder.php",
        &[("outOrderNo", "2016120501")],
    );
    assert_form_post(
        &seen[3],
        "/applyRefundOrder.php",
        &[("outOrderNo", "2016113006"), ("passengerId", "615151438")],
    );
    for (index, type_code) in [(4, "1"), (5, "2"), (6, "3")] {
        assert_form_post(
            &seen[index],
            "/addCallbackUrl.php",
            &[
                ("url", "http://127.0.0.1:9/callbacks/juhe/s3cret/issue"),
                ("type", type_code),
            ],
        );
    }
    assert_form_post(&seen[7], "/dataDictionary.php", &[]);
}

#[tokio::test]
async fn refusals_http_errors_and_dead_hosts_are_typed() {
    let paths = JuhePaths {
        search: "/bad-key.php".into(),
        cancel_order: "/cancel-refused.php".into(),
        data_dictionary: "/missing.php".into(),
        ..JuhePaths::default()
    };
    let (_stub, client) = stub_and_client(paths.clone()).await;
    let search = SearchRequest {
        from: "苏州",
        to: "昆山",
        date: "20161130".into(),
        ticket_type: None,
    };
    let error = client.search(&search).await.unwrap_err();
    assert!(
        matches!(&error, ProviderError::Rejected { reason: RejectReason::AuthFailed, code: Some(code), .. } if code == "10001"),
        "{error:?}"
    );
    let error = client.cancel_order("2016113001").await.unwrap_err();
    assert!(
        matches!(&error, ProviderError::Rejected { reason: RejectReason::OrderStateConflict, message, .. } if message == "抢票取消失败"),
        "{error:?}"
    );
    let error = client.data_dictionary().await.unwrap_err();
    assert!(
        matches!(error, ProviderError::HttpStatus { status: 500, .. }),
        "{error:?}"
    );

    // A port nothing listens on: the connection is refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let dead = JuheClient::new(
        reqwest::Client::new(),
        JuheClientConfig {
            base_url: format!("http://{address}"),
            key: SecretString::from(KEY),
            paths,
            limits: ProviderLimits {
                timeout: Duration::from_secs(10),
                max_concurrency: 4,
                requests_per_second: 100,
                search_share_percent: crate::providers::stack::DEFAULT_SEARCH_SHARE_PERCENT,
            },
        },
    );
    let error = dead.order_detail("2016113001").await.unwrap_err();
    assert!(
        matches!(error, ProviderError::Unreachable { sent: false, .. }),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!format!("{client:?}").contains(KEY), "the key is redacted");
}

/// The adapter over the stub, naming stations from the embedded list.
async fn stub_and_adapter() -> (Stub, super::JuheAdapter) {
    let (stub, client) = stub_and_client(JuhePaths::default()).await;
    let adapter = super::JuheAdapter::new(client, crate::stations::StationDirectory::embedded());
    (stub, adapter)
}

fn seed_query() -> crate::providers::SearchQuery {
    let stations = crate::stations::StationDirectory::embedded();
    crate::providers::SearchQuery {
        from: stations.by_name("上海西").unwrap().clone(),
        to: stations.by_name("苏州园区").unwrap().clone(),
        date: "2015-05-14".parse().unwrap(),
    }
}

#[tokio::test]
async fn adapter_search_maps_the_answer_over_http() {
    let (stub, adapter) = stub_and_adapter().await;
    let answer = adapter.search(&seed_query()).await.unwrap();
    assert_eq!(answer.trains.len(), 1);
    assert_eq!(answer.trains[0].seats.len(), 4);
    let offer = crate::domain::Offer::decode(&answer.trains[0].seats[2].offer_id).unwrap();
    assert_eq!(
        offer.provider_key.as_deref(),
        Some("6d31300d58be4d239af4039c71ddc313")
    );
    let seen = stub.take();
    assert_form_post(
        &seen[0],
        "/search.php",
        &[("from", "上海西"), ("to", "苏州园区"), ("date", "20150514")],
    );
}

#[tokio::test]
async fn adapter_submits_a_grab_order_built_from_search_offers() {
    use crate::domain::{
        Contact, IdNumber, IdType, Offer, Passenger, PassengerType, PersonName, PhoneNumber,
    };
    use crate::providers::juhe::submit::{GrabOrder, SubmitError};

    let (stub, adapter) = stub_and_adapter().await;
    let answer = adapter.search(&seed_query()).await.unwrap();
    let seats = &answer.trains[0].seats;
    let main = Offer::decode(&seats[2].offer_id).unwrap();
    let alternatives = [Offer::decode(&seats[1].offer_id).unwrap()];
    let passengers = [Passenger {
        name: PersonName::new("张三".into()).unwrap(),
        id_type: IdType::ResidentIdCard,
        id_number: IdNumber::new("11010519491231002X".into()).unwrap(),
        passenger_type: PassengerType::Adult,
        phone: None,
        birth_date: None,
        sex: None,
        country_code: None,
        id_expiry_date: None,
    }];
    let contact = Contact {
        name: PersonName::new("李四".into()).unwrap(),
        phone: PhoneNumber::new("15712340587".into()).unwrap(),
    };
    let order = GrabOrder {
        // The stub answers with the seed's outOrderNo.
        out_order_no: "2016113001",
        main: &main,
        alternatives: &alternatives,
        berth: None,
        deadline: "2015-05-13T10:00:00Z".parse().unwrap(),
        passengers: &passengers,
        contact: &contact,
        accept_no_seat: true,
        account: None,
    };
    stub.take();

    // Two hours before departure: refused here, nothing sent.
    let late = "2015-05-14T00:02:00Z".parse().unwrap();
    let error = adapter.submit_order(&order, late).await.unwrap_err();
    assert!(matches!(error, SubmitError::Invalid(_)), "{error:?}");
    assert!(
        stub.take().is_empty(),
        "an invalid order reaches no network"
    );

    let now = "2015-05-12T00:00:00Z".parse().unwrap();
    let order_no = adapter.submit_order(&order, now).await.unwrap();
    assert_eq!(order_no, "TFT583U752U210D284004800356");
    let seen = stub.take();
    assert_eq!(seen.len(), 1);
    let field = |name: &str| {
        seen[0]
            .form
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(field("trainNo").as_deref(), Some("G7066"));
    assert_eq!(
        field("seatClassCode").as_deref(),
        Some("secondseat|firstseat")
    );
    assert_eq!(field("departDate").as_deref(), Some("2015-05-14 09:02"));
    assert_eq!(field("closeTime").as_deref(), Some("2015-05-13 18:00:00"));
    assert_eq!(field("fromStation").as_deref(), Some("上海西"));

    // An answer about another order is not taken for this one.
    let other = GrabOrder {
        out_order_no: "rg0000000001",
        ..order
    };
    let error = adapter.submit_order(&other, now).await.unwrap_err();
    assert!(
        matches!(
            error,
            SubmitError::Provider(ProviderError::Malformed { .. })
        ),
        "{error:?}"
    );
}
