use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use super::*;

/// "Now" in every test: 2026-05-01 10:00 Asia/Shanghai.
fn config() -> PanheSimConfig {
    let now = NaiveDate::from_ymd_opt(2026, 5, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    PanheSimConfig {
        clock: fixed_clock(now),
        ..PanheSimConfig::default()
    }
}

/// POST `body` to `path`; returns (status, raw body).
async fn post_raw(
    router: &Router,
    path: &str,
    content_type: Option<&str>,
    body: String,
) -> (StatusCode, String) {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// POST JSON with the default app key added; expects HTTP 200.
async fn call(router: &Router, path: &str, mut body: Value) -> Value {
    if body.get("appKey").is_none() {
        body["appKey"] = json!(DEFAULT_APP_KEY);
    }
    let (status, text) = post_raw(router, path, Some("application/json"), body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn assert_failure(reply: &Value, needle: &str) {
    assert_eq!(reply["success"], json!(false), "{reply}");
    assert_eq!(reply["data"], Value::Null, "{reply}");
    let msg = reply["msg"].as_str().unwrap();
    assert!(
        msg.contains(needle),
        "msg {msg:?} should mention {needle:?}"
    );
}

fn paths() -> PanhePaths {
    PanhePaths::default()
}

fn tickets(from: &str, to: &str, date: &str) -> Value {
    json!({"fromStation": from, "toStation": to, "fromDate": date})
}

/// Keys of the seed's trainLine example, in its order (plus
/// `isSupportChooseSeat` from its field table).
const TRAIN_LINE_KEYS: [&str; 23] = [
    "trainCode",
    "trainNo",
    "fromStation",
    "toStation",
    "fromTime",
    "toTime",
    "fromDateTime",
    "toDateTime",
    "arrive_days",
    "runTime",
    "trainsType",
    "trainsTypeName",
    "beginStation",
    "beginTime",
    "endStation",
    "endTime",
    "isSupportChooseSleeper",
    "isSupportChooseSeat",
    "note",
    "transferQueryExtraParams",
    "sequence",
    "Seats",
    "seatType",
];

#[tokio::test]
async fn query_tickets_has_the_seed_shape() {
    let router = router(config());
    let (status, text) = post_raw(
        &router,
        &paths().query_tickets,
        Some("application/json; charset=utf-8"),
        json!({"appKey": DEFAULT_APP_KEY, "fromStation": "北京南", "toStation": "上海虹桥", "fromDate": "2026-05-03"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Field order as in the seed's example (serde_json::Value would sort).
    let positions: Vec<usize> = TRAIN_LINE_KEYS
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} missing"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
    assert!(
        text.starts_with("{\"data\":{\"trainLines\":["),
        "{}",
        &text[..60]
    );

    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["success"], json!(true));
    assert_eq!(reply["msg"], json!("请求成功"));
    let lines = reply["data"]["trainLines"].as_array().unwrap();
    assert_eq!(lines.len(), 38);
    let first = lines[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    let mut expected = TRAIN_LINE_KEYS[..22].to_vec();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected, "exactly the seed's fields");
    assert_eq!(first["trainCode"], json!("G101"));
    assert_eq!(first["trainNo"], json!("240000G1010T"));
    assert_eq!(first["fromStation"], json!("北京南"));
    assert_eq!(first["toStation"], json!("上海虹桥"));
    assert_eq!(first["fromTime"], json!("06:10"));
    assert_eq!(first["toTime"], json!("12:09"));
    assert_eq!(first["fromDateTime"], json!("2026-05-03 06:10"));
    assert_eq!(first["toDateTime"], json!("2026-05-03 12:09"));
    assert_eq!(first["arrive_days"], json!("0"), "a string, as in the seed");
    assert_eq!(first["runTime"], json!("05:59"));
    assert_eq!(first["trainsType"], json!(1));
    assert_eq!(first["trainsTypeName"], json!("高铁"));
    assert_eq!(first["beginTime"], Value::Null);
    assert_eq!(first["endTime"], Value::Null);
    assert_eq!(first["transferQueryExtraParams"], Value::Null);
    assert_eq!(first["note"], json!(""));
    assert_eq!(first["sequence"], json!(0));
    assert_eq!(first["isSupportChooseSeat"], json!(true));
    assert_eq!(first["isSupportChooseSleeper"], json!(false));
    let seats = first["Seats"].as_array().unwrap();
    let types: Vec<u64> = seats
        .iter()
        .map(|s| s["seatType"].as_u64().unwrap())
        .collect();
    assert_eq!(
        types,
        [98, 4, 3, 1],
        "无座, 二等, 一等, 商务 as in the seed"
    );
    for seat in seats {
        let keys: Vec<&String> = seat.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5);
        assert!(seat["ticketPrice"].is_f64(), "{seat}");
        assert!(seat["leftTicketNum"].is_u64(), "{seat}");
        assert!(seat["seatTypeName"].is_string());
        assert_eq!(seat["otherSeats"], Value::Null);
    }
    // 12306 charged about ¥550–630 in 2023; the model is in that region.
    let second = seats[1]["ticketPrice"].as_f64().unwrap();
    assert!(
        (500.0..900.0).contains(&second),
        "二等 北京南→上海虹桥 {second}"
    );
    let times: Vec<&str> = lines
        .iter()
        .map(|l| l["fromTime"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|pair| pair[0] <= pair[1]),
        "sorted by departure"
    );

    // Same query, same availability.
    let again = call(
        &router,
        &paths().query_tickets,
        tickets("北京南", "上海虹桥", "2026-05-03"),
    )
    .await;
    assert_eq!(again, reply);
}

#[tokio::test]
async fn overnight_sleeper_train() {
    let router = router(config());
    let reply = call(
        &router,
        &paths().query_tickets,
        tickets("南宁", "北京西", "2026-05-01"),
    )
    .await;
    let lines = reply["data"]["trainLines"].as_array().unwrap();
    let k22 = lines
        .iter()
        .find(|line| line["trainCode"] == json!("K22"))
        .unwrap();
    assert_eq!(k22["arrive_days"], json!("1"));
    assert_eq!(k22["fromDateTime"], json!("2026-05-01 12:38"));
    assert_eq!(k22["toDateTime"], json!("2026-05-02 22:48"));
    assert_eq!(k22["runTime"], json!("34:10"));
    assert_eq!(k22["trainsType"], json!(5));
    assert_eq!(k22["trainsTypeName"], json!("快速"));
    assert_eq!(k22["isSupportChooseSleeper"], json!(true));
    assert_eq!(k22["isSupportChooseSeat"], json!(false));
    let hard_sleeper = k22["Seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|seat| seat["seatType"] == json!(8))
        .unwrap();
    assert_eq!(hard_sleeper["seatTypeName"], json!("硬卧"));
    let berths = hard_sleeper["otherSeats"].as_array().unwrap();
    let kinds: Vec<(u64, &str)> = berths
        .iter()
        .map(|b| {
            (
                b["sleeperType"].as_u64().unwrap(),
                b["sleeperTypeName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [(3, "上铺"), (2, "中铺"), (1, "下铺")]);
    assert_eq!(berths[0]["ticketPrice"], hard_sleeper["ticketPrice"]);
    // Real fare ¥455.5 (12306, 2023); the model is within a few percent.
    let price = hard_sleeper["ticketPrice"].as_f64().unwrap();
    assert!((price / 455.5 - 1.0).abs() < 0.06, "{price}");
}

#[tokio::test]
async fn the_code_shown_is_the_boarding_stops() {
    let router = router(config());
    let reply = call(
        &router,
        &paths().query_tickets,
        tickets("苏州", "昆山南", "2026-05-01"),
    )
    .await;
    let lines = reply["data"]["trainLines"].as_array().unwrap();
    let seed = lines
        .iter()
        .find(|l| l["trainNo"] == json!("5f000G829601"))
        .unwrap();
    assert_eq!(seed["trainCode"], json!("G8293"));
    assert_eq!(seed["beginStation"], json!("盐城"));
    assert_eq!(seed["fromTime"], json!("22:20"));
    assert_eq!(seed["toTime"], json!("22:33"));
}

#[tokio::test]
async fn app_key_is_required_and_checked() {
    let router = router(config());
    let path = paths().query_tickets;
    let mut body = tickets("北京南", "上海虹桥", "2026-05-03");
    body["appKey"] = json!("wrong");
    assert_failure(&call(&router, &path, body.clone()).await, "appKey无效");
    body["appKey"] = json!("");
    assert_failure(&call(&router, &path, body.clone()).await, "appKey不能为空");
    let (_, text) = post_raw(
        &router,
        &path,
        Some("application/json"),
        tickets("北京南", "上海虹桥", "2026-05-03").to_string(),
    )
    .await;
    assert_failure(&serde_json::from_str(&text).unwrap(), "appKey不能为空");
    for endpoint in [
        paths().station_list,
        paths().stop_stations,
        paths().stop_stations_v2,
    ] {
        assert_failure(
            &call(&router, &endpoint, json!({"appKey": 1})).await,
            "appKey无效",
        );
    }
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let router = router(config());
    let path = paths().query_tickets;
    let reply = call(
        &router,
        &path,
        json!({"toStation": "上海", "fromDate": "2026-05-03"}),
    )
    .await;
    assert_failure(&reply, "fromStation");
    let reply = call(
        &router,
        &path,
        json!({"fromStation": "北京", "toStation": 7, "fromDate": "2026-05-03"}),
    )
    .await;
    assert_failure(&reply, "toStation");
    for date in ["2026/05/03", "2026-5-3", "tomorrow", "2026-02-30"] {
        assert_failure(
            &call(&router, &path, tickets("北京", "上海", date)).await,
            "fromDate",
        );
    }
    assert_failure(
        &call(&router, &path, tickets("北平", "上海", "2026-05-03")).await,
        "出发站不存在:北平",
    );
    assert_failure(
        &call(&router, &path, tickets("北京", "沪", "2026-05-03")).await,
        "到达站不存在:沪",
    );
    assert_failure(
        &call(&router, &path, tickets("北京", " 北 京", "2026-05-03")).await,
        "不能相同",
    );
}

#[tokio::test]
async fn presale_window_is_fifteen_days() {
    let router = router(config());
    let path = paths().query_tickets;
    assert_failure(
        &call(&router, &path, tickets("北京南", "上海虹桥", "2026-04-30")).await,
        "不能早于今天",
    );
    assert_failure(
        &call(&router, &path, tickets("北京南", "上海虹桥", "2026-05-16")).await,
        "预售期",
    );
    for date in ["2026-05-01", "2026-05-15"] {
        let reply = call(&router, &path, tickets("北京南", "上海虹桥", date)).await;
        assert_eq!(reply["success"], json!(true), "{date}: {reply}");
    }
}

#[tokio::test]
async fn stations_from_2023_missing_in_2026_still_answer() {
    let router = router(config());
    // 金山卫 is gone from the 2026 list but had trains in 2023.
    let reply = call(
        &router,
        &paths().query_tickets,
        tickets("金山卫", "上海南", "2026-05-02"),
    )
    .await;
    assert_eq!(reply["success"], json!(true), "{reply}");
    assert!(!reply["data"]["trainLines"].as_array().unwrap().is_empty());
    // A listed station no train calls at: success with no trains.
    let reply = call(
        &router,
        &paths().query_tickets,
        tickets("北京北", "万象", "2026-05-02"),
    )
    .await;
    assert_eq!(reply["data"]["trainLines"], json!([]));
}

#[tokio::test]
async fn malformed_requests_get_the_envelope() {
    let router = router(config());
    let path = paths().query_tickets;
    let (status, text) = post_raw(
        &router,
        &path,
        Some("application/json"),
        "{\"appKey\":".into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_failure(&serde_json::from_str(&text).unwrap(), "请求参数格式错误");
    let (_, text) = post_raw(&router, &path, Some("application/json"), "[1,2]".into()).await;
    assert_failure(&serde_json::from_str(&text).unwrap(), "JSON对象");
    let body = json!({"appKey": DEFAULT_APP_KEY}).to_string();
    let (_, text) = post_raw(&router, &path, None, body.clone()).await;
    assert_failure(&serde_json::from_str(&text).unwrap(), "Content-Type");
    let (_, text) = post_raw(&router, &path, Some("text/plain"), body).await;
    assert_failure(&serde_json::from_str(&text).unwrap(), "Content-Type");

    let get = Request::get(path.as_str()).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_failure(&serde_json::from_slice(&bytes).unwrap(), "POST");

    let (status, text) = post_raw(
        &router,
        "/train/nope",
        Some("application/json"),
        "{}".into(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_failure(&serde_json::from_str(&text).unwrap(), "接口不存在");
    // Every endpoint, the 12306 account ones included, is simulated: none
    // answers "not supported".
    for (key, path) in paths().entries() {
        let reply = call(&router, path, json!({})).await;
        let msg = reply["msg"].as_str().unwrap();
        assert!(!msg.contains("暂不支持"), "{key}: {msg}");
    }
    let reply = call(&router, &paths().account_register, json!({})).await;
    assert_failure(&reply, "参数trainAccount不能为空");
}

#[tokio::test]
async fn stop_stations_v2_has_the_seed_shape() {
    let router = router(config());
    let path = paths().stop_stations_v2;
    let body = json!({"trainCode": "K22", "trainNo": "7100000K2210", "fromDate": "2026-05-01", "fromStation": "长沙", "toStation": "郑州"});
    let reply = call(&router, &path, body.clone()).await;
    assert_eq!(reply["success"], json!(true), "{reply}");
    let stops = reply["data"].as_array().unwrap();
    assert_eq!(stops.len(), 30);
    assert_eq!(
        stops[0],
        json!({"stationId": "1", "stationName": "南宁", "arriveTime": "----", "startTime": "12:38", "interval": "----"})
    );
    assert_eq!(
        stops[1],
        json!({"stationId": "2", "stationName": "黎塘", "arriveTime": "14:08", "startTime": "14:13", "interval": "5分钟"})
    );
    assert_eq!(
        stops[10]["arriveTime"],
        json!("01:41"),
        "next day, clock time only"
    );
    assert_eq!(
        stops[29],
        json!({"stationId": "30", "stationName": "北京西", "arriveTime": "22:48", "startTime": "22:48", "interval": "----"})
    );

    // An origin listed with arrival = departure keeps it, like the seed's 天津.
    let local = json!({"trainCode": "7510", "trainNo": "850000751010", "fromDate": "2026-05-01", "fromStation": "兰州", "toStation": "干塘"});
    let reply = call(&router, &path, local).await;
    assert_eq!(reply["data"][0]["arriveTime"], json!("07:24"));
    assert_eq!(reply["data"][0]["interval"], json!("----"));

    // C103's station_no gaps do not leak into stationId.
    let c103 = json!({"trainCode": "C103", "trainNo": "010000C10300", "fromDate": "2026-05-01", "fromStation": "哈尔滨", "toStation": "鹤岗"});
    let reply = call(&router, &path, c103).await;
    let ids: Vec<&str> = reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stationId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);

    let mut wrong = body.clone();
    wrong["trainCode"] = json!("K21");
    assert_failure(&call(&router, &path, wrong).await, "不匹配");
    let mut wrong = body.clone();
    wrong["trainNo"] = json!("000000000000");
    assert_failure(&call(&router, &path, wrong).await, "车次不存在");
    let mut reversed = body.clone();
    reversed["fromStation"] = json!("郑州");
    reversed["toStation"] = json!("长沙");
    assert_failure(&call(&router, &path, reversed).await, "郑州");
    let mut off_route = body.clone();
    off_route["toStation"] = json!("上海");
    assert_failure(&call(&router, &path, off_route).await, "上海");
    let mut missing = body;
    missing.as_object_mut().unwrap().remove("trainNo");
    assert_failure(&call(&router, &path, missing).await, "trainNo");
}

#[tokio::test]
async fn stop_stations_v1_has_the_seed_shape() {
    let router = router(config());
    let reply = call(&router, &paths().stop_stations, json!({"trainCode": "K22"})).await;
    let stops = reply["data"].as_array().unwrap();
    assert_eq!(stops[1]["interval"], json!("5"), "V1 has no unit");
    assert_eq!(stops[0]["interval"], json!("----"));
    // Any code the train shows finds it.
    let reply = call(
        &router,
        &paths().stop_stations,
        json!({"trainCode": "G1946"}),
    )
    .await;
    assert_eq!(reply["data"][0]["stationName"], json!("银川"));
    assert_failure(
        &call(
            &router,
            &paths().stop_stations,
            json!({"trainCode": "G99999"}),
        )
        .await,
        "车次不存在",
    );
    assert_failure(
        &call(&router, &paths().stop_stations, json!({})).await,
        "trainCode",
    );
}

#[tokio::test]
async fn station_list_covers_the_12306_list() {
    let router = router(config());
    let reply = call(&router, &paths().station_list, json!({})).await;
    let stations = reply["data"].as_array().unwrap();
    assert_eq!(stations.len(), 3_364);
    assert!(stations.contains(&json!({"stationName": "北京北", "stationShortChar": "bjb", "stationPinYin": "beijingbei", "stationCode": "VAP"})));
    assert!(stations.contains(&json!({"stationName": "北京", "stationShortChar": "bj", "stationPinYin": "beijing", "stationCode": "BJP"})));
}

#[tokio::test]
async fn overridden_paths_move_the_routes() {
    let mut config = config();
    config.paths.query_tickets = "/v2/train/search".to_owned();
    let router = router(config);
    let reply = call(
        &router,
        "/v2/train/search",
        tickets("北京南", "上海虹桥", "2026-05-03"),
    )
    .await;
    assert_eq!(reply["success"], json!(true));
    let (status, _) = post_raw(
        &router,
        "/train/queryTickets",
        Some("application/json"),
        "{}".into(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut bad = PanheSimConfig::default();
    bad.paths.station_list = bad.paths.query_tickets.clone();
    assert!(bad.validate().unwrap_err().contains("station_list"));
    bad.paths.station_list = "train/stations".to_owned();
    assert!(bad.validate().unwrap_err().contains("start with '/'"));
    assert!(
        !format!("{bad:?}").contains(DEFAULT_APP_KEY),
        "app key redacted"
    );
}

#[tokio::test]
async fn serves_real_http_until_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, config(), async {
        let _ = stopped.await;
    }));

    let body = json!({"appKey": DEFAULT_APP_KEY, "trainCode": "K22"}).to_string();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        paths().stop_stations,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let json_body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let reply: Value = serde_json::from_str(json_body).unwrap();
    assert_eq!(reply["data"][0]["stationName"], json!("南宁"));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn serve_rejects_an_invalid_config() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = config();
    config.paths.stop_stations = "nope".to_owned();
    let error = serve(listener, config, async {}).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}
