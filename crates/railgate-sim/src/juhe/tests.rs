//! Handler tests: the gateway checks (key, quota, methods, paths), search
//! against the seed's example and against the Panhe simulator, the
//! dictionary, addCallbackUrl and scripted request faults. Requests go
//! through the router (axum oneshot) and one test over real HTTP.

use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::orders::Fault;
use super::orders::testkit::{Sim, assert_failure, encode, now, shape_problems};
use super::{DEFAULT_KEY, Endpoint, JuheSimConfig, RequestQuota, wire};

async fn dictionary(sim: &Sim) -> Value {
    sim.get(Endpoint::DataDictionary, &[]).await
}

const SEED_SEARCH: &str = include_str!("testdata/seed_search.json");

/// The raw answer to a request: status and body text.
async fn raw(sim: &Sim, request: Request<Body>) -> (StatusCode, String) {
    let response = sim.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn search_pairs(date: &str) -> Vec<(&'static str, String)> {
    vec![
        ("from", "北京南".to_owned()),
        ("to", "上海虹桥".to_owned()),
        ("date", date.to_owned()),
    ]
}

#[tokio::test]
async fn the_key_is_checked_first_on_get_and_post() {
    let sim = Sim::start(1.0);
    for key in ["", "wrong-key"] {
        for endpoint in Endpoint::ALL {
            let reply = sim.get(endpoint, &[("key", key)]).await;
            assert_eq!(
                reply,
                json!({"reason": "错误的请求KEY", "result": null, "error_code": 10001}),
                "{endpoint:?}"
            );
            let reply = sim.post(endpoint, &[("key", key)]).await;
            assert_eq!(reply["error_code"], json!(10001), "{endpoint:?}");
        }
    }
    // A JSON body is not read at all, so its key is missing.
    let request = Request::post(Endpoint::DataDictionary.path())
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"key": DEFAULT_KEY}).to_string()))
        .unwrap();
    assert_eq!(sim.send(request).await["error_code"], json!(10001));
    // The form body overrides the query string, as in PHP's $_REQUEST.
    let request = Request::post(format!("{}?key=wrong", Endpoint::DataDictionary.path()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encode(&[("key", DEFAULT_KEY)])))
        .unwrap();
    assert_eq!(sim.send(request).await["error_code"], json!(0));
    // Unknown parameters are ignored, as PHP ignores them.
    let reply = sim
        .get(
            Endpoint::DataDictionary,
            &[("callback", "x"), ("foo", "bar")],
        )
        .await;
    assert_eq!(reply["error_code"], json!(0));
}

#[tokio::test]
async fn the_quota_refuses_with_10012_and_counts_every_request() {
    let sim = Sim::start_with(JuheSimConfig {
        quota: Some(RequestQuota {
            limit: 2,
            window: Duration::from_secs(3600),
        }),
        ..JuheSimConfig::default()
    });
    assert_eq!(dictionary(&sim).await["error_code"], json!(0));
    // A wrong key does not use the quota.
    sim.get(Endpoint::DataDictionary, &[("key", "wrong")]).await;
    assert_eq!(dictionary(&sim).await["error_code"], json!(0));
    assert_eq!(
        dictionary(&sim).await,
        json!({"reason": "请求超过次数限制", "result": null, "error_code": 10012})
    );
    assert_eq!(sim.state.requests(Endpoint::DataDictionary), 4);
    assert_eq!(sim.state.requests(Endpoint::Search), 0);
    sim.state.set_quota(None);
    assert_eq!(dictionary(&sim).await["error_code"], json!(0));
    let date = sim.ride.date().format("%Y%m%d").to_string();
    let pairs = search_pairs(&date);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sim.get(Endpoint::Search, &pairs).await;
    assert_eq!(sim.state.requests(Endpoint::Search), 1);
    assert_eq!(sim.state.total_requests(), 6);
}

#[tokio::test]
async fn methods_and_paths_answer_in_the_envelope() {
    let sim = Sim::start(1.0);
    let request = Request::get(format!(
        "{}?{}",
        Endpoint::SubmitOrder.path(),
        encode(&[("key", DEFAULT_KEY)])
    ))
    .body(Body::empty())
    .unwrap();
    assert_failure(&sim.send(request).await, wire::BAD_PARAMETER, "只支持POST");
    let request = Request::put(Endpoint::OrderDetail.path())
        .body(Body::empty())
        .unwrap();
    let (status, text) = raw(&sim, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error_code"],
        json!(225704)
    );
    let request = Request::get("/grabTicket/action/nothing.php")
        .body(Body::empty())
        .unwrap();
    let (status, text) = raw(&sim, request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error_code"],
        json!(10021)
    );
}

#[tokio::test]
async fn search_has_the_seeds_shape() {
    let sim = Sim::start(1.0);
    let reply = sim.search(&sim.ride).await;
    let problems = shape_problems("", &reply, &serde_json::from_str(SEED_SEARCH).unwrap());
    // The seed's example train sells no 无座 and our trains sell other
    // classes: compare the ticket maps' entries, not their key sets.
    let problems: Vec<&String> = problems
        .iter()
        .filter(|problem| !problem.contains(".tickets."))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let seed: Value = serde_json::from_str(SEED_SEARCH).unwrap();
    let seed_seat = &seed["result"]["trains"][0]["tickets"]["secondseat"];
    let result = &reply["result"];
    assert_eq!(reply["reason"], "0", "the seed's search reason");
    assert_eq!(result["fromStationCode"], "beijingnan");
    assert_eq!(
        result["trainDate"],
        json!(sim.ride.date().format("%Y%m%d").to_string())
    );
    assert_eq!(
        result["froms"],
        json!([{"station": "北京南", "location": ""}])
    );
    let trains = result["trains"].as_array().unwrap();
    assert_eq!(result["totalCount"], json!(trains.len()));
    for (index, train) in trains.iter().enumerate() {
        assert_eq!(train["serialNumber"], json!(index + 1));
        assert_eq!(train["trainClass"], "GD");
        for (code, seat) in train["tickets"].as_object().unwrap() {
            assert!(super::codes::SeatCode::parse(code).is_some(), "{code}");
            let problems = shape_problems(code, seat, seed_seat);
            assert!(problems.is_empty(), "{problems:#?}");
            let left: u32 = seat["seats"].as_str().unwrap().parse().unwrap();
            assert_eq!(seat["seatState"], json!(u8::from(left > 0)));
        }
    }
    let train = trains
        .iter()
        .find(|train| train["trainNo"] == json!(sim.ride.train_code))
        .unwrap();
    assert_eq!(train["fromPassType"], json!(0), "G trains start at 北京南");
    assert_eq!(train["toTime"], "", "no arrival where the train starts");
    assert_eq!(train["toPassType"], json!(2));
    assert_eq!(train["bookState"], json!(1));
    assert_eq!(train["tickets"]["secondseat"]["upPrice"], json!(0.0));
}

#[tokio::test]
async fn search_shows_the_same_trains_and_prices_as_the_panhe_simulator() {
    let sim = Sim::start(1.0);
    let panhe = crate::panhe::router(crate::panhe::PanheSimConfig {
        clock: crate::clock::fixed_clock(now()),
        ..crate::panhe::PanheSimConfig::default()
    });
    // A G corridor and a conventional route with sleepers, passing trains.
    for (from, to) in [("北京南", "上海虹桥"), ("苏州", "南京"), ("北京西", "长沙")]
    {
        let date = "2026-05-03";
        let body = json!({"appKey": crate::panhe::DEFAULT_APP_KEY,
                          "fromStation": from, "toStation": to, "fromDate": date});
        let request = Request::post("/train/queryTickets")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = panhe.clone().oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let panhe_reply: Value = serde_json::from_slice(&bytes).unwrap();
        let lines = panhe_reply["data"]["trainLines"].as_array().unwrap();
        let reply = sim
            .get(
                Endpoint::Search,
                &[("from", from), ("to", to), ("date", "20260503")],
            )
            .await;
        let trains = reply["result"]["trains"].as_array().unwrap();
        assert!(!trains.is_empty(), "{from}→{to}");
        assert_eq!(trains.len(), lines.len(), "{from}→{to}");
        for (train, line) in trains.iter().zip(lines) {
            assert_eq!(train["trainNo"], line["trainCode"]);
            assert_eq!(train["fromTime"], line["fromTime"]);
            assert_eq!(train["fromStation"], line["fromStation"]);
            let minutes: i64 = train["runTimeSpan"].as_str().unwrap().parse().unwrap();
            let (hours, rest) = line["runTime"].as_str().unwrap().split_once(':').unwrap();
            assert_eq!(
                minutes,
                hours.parse::<i64>().unwrap() * 60 + rest.parse::<i64>().unwrap()
            );
            let tickets = train["tickets"].as_object().unwrap();
            let seats = line["Seats"].as_array().unwrap();
            assert_eq!(tickets.len(), seats.len());
            for seat in seats {
                let name = seat["seatTypeName"].as_str().unwrap();
                let (_, ours) = tickets
                    .iter()
                    .find(|(_, ours)| ours["seatName"] == json!(name))
                    .unwrap_or_else(|| panic!("{name} missing from {}", train["trainNo"]));
                assert_eq!(ours["seats"], json!(seat["leftTicketNum"].to_string()));
                match seat["otherSeats"].as_array() {
                    None => assert_eq!(ours["price"], seat["ticketPrice"]),
                    Some(berths) => {
                        // Panhe lists the upper berth's price, Juhe the lower's.
                        assert_eq!(ours["upPrice"], seat["ticketPrice"]);
                        let lower = berths
                            .iter()
                            .find(|b| b["sleeperType"] == json!(1))
                            .unwrap();
                        assert_eq!(ours["price"], lower["ticketPrice"]);
                        assert_eq!(ours["downPrice"], lower["ticketPrice"]);
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn search_reads_pinyin_and_shows_arrival_at_the_boarding_station() {
    let sim = Sim::start(1.0);
    let reply = sim
        .get(
            Endpoint::Search,
            &[("from", "kunshan"), ("to", "nanjing"), ("date", "20260503")],
        )
        .await;
    let result = &reply["result"];
    assert_eq!(result["fromStation"], "昆山");
    assert_eq!(result["toStation"], "南京");
    let passing = result["trains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|train| train["fromPassType"] == json!(1))
        .expect("a train passing 昆山");
    let arrive = passing["toTime"].as_str().unwrap();
    let depart = passing["fromTime"].as_str().unwrap();
    assert_eq!(arrive.len(), 5, "{passing}");
    // Both times of day at 昆山: arrival up to the dwell before departure
    // (a stop straddling midnight aside).
    assert!(arrive <= depart || arrive > "23:00", "{arrive} {depart}");
    assert!(
        ["GD", "D", "C", "KT", "KKS", "Z", "KPK"]
            .contains(&passing["trainClass"].as_str().unwrap())
    );
    let reply = sim
        .get(
            Endpoint::Search,
            &[("from", "suzhou"), ("to", "nanjing"), ("date", "20260503")],
        )
        .await;
    assert_failure(&reply, wire::BAD_PARAMETER, "from站点不明确:suzhou可能是");
}

#[tokio::test]
async fn search_refuses_bad_parameters() {
    let sim = Sim::start(1.0);
    type Case<'a> = (&'a [(&'a str, &'a str)], u32, &'a str);
    let cases: [Case; 6] = [
        (
            &[("from", "北京南"), ("date", "20260503")],
            wire::BAD_PARAMETER,
            "to不能为空",
        ),
        (
            &[("from", "北京南"), ("to", "火星"), ("date", "20260503")],
            wire::BAD_PARAMETER,
            "to站点不存在",
        ),
        (
            &[("from", "北京南"), ("to", "北京南"), ("date", "20260503")],
            wire::BAD_PARAMETER,
            "不能相同",
        ),
        (
            &[("from", "北京南"), ("to", "上海"), ("date", "2026-05-03")],
            wire::BAD_PARAMETER,
            "yyyyMMdd",
        ),
        (
            &[("from", "北京南"), ("to", "上海"), ("date", "20260430")],
            wire::SUPPLIER,
            "发车日期无效",
        ),
        (
            &[
                ("from", "北京南"),
                ("to", "上海"),
                ("date", "20260531"),
                ("type", "3"),
            ],
            wire::BAD_PARAMETER,
            "type",
        ),
    ];
    for (pairs, code, needle) in cases {
        assert_failure(&sim.get(Endpoint::Search, pairs).await, code, needle);
    }
    // 30 days ahead, today included: beyond the 15-day presale.
    let reply = sim
        .get(
            Endpoint::Search,
            &[("from", "北京南"), ("to", "上海虹桥"), ("date", "20260530")],
        )
        .await;
    assert_eq!(reply["error_code"], json!(0));
    let reply = sim
        .get(
            Endpoint::Search,
            &[("from", "北京南"), ("to", "上海虹桥"), ("date", "20260531")],
        )
        .await;
    assert_eq!(reply["error_code"], json!(wire::SUPPLIER));
}

#[tokio::test]
async fn the_dictionary_is_served_verbatim() {
    let sim = Sim::start(1.0);
    let request = Request::get(format!(
        "{}?{}",
        Endpoint::DataDictionary.path(),
        encode(&[("key", DEFAULT_KEY)])
    ))
    .body(Body::empty())
    .unwrap();
    let (status, text) = raw(&sim, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, super::dictionary::DATA_DICTIONARY);
}

#[tokio::test]
async fn callback_urls_register_per_type_idempotently() {
    let sim = Sim::start(1.0);
    let request = Request::post(Endpoint::AddCallbackUrl.path())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encode(&[
            ("key", DEFAULT_KEY),
            ("url", "http://127.0.0.1:9/cb/1"),
            ("type", "1"),
        ])))
        .unwrap();
    let (_, text) = raw(&sim, request).await;
    assert_eq!(text, r#"{"error_code":0,"reason":"success","data":null}"#);
    for _ in 0..2 {
        let reply = sim
            .get(
                Endpoint::AddCallbackUrl,
                &[("url", "https://example.test/3"), ("type", "3")],
            )
            .await;
        assert_eq!(reply["error_code"], json!(0));
    }
    use super::orders::CallbackType;
    assert_eq!(
        sim.state.callback_url(CallbackType::IssueResult).as_deref(),
        Some("http://127.0.0.1:9/cb/1")
    );
    assert_eq!(sim.state.callback_url(CallbackType::Refund), None);
    assert_eq!(
        sim.state.callback_url(CallbackType::Expiry).as_deref(),
        Some("https://example.test/3")
    );
    let reply = sim
        .get(
            Endpoint::AddCallbackUrl,
            &[("url", "ftp://x"), ("type", "1")],
        )
        .await;
    assert_failure(&reply, wire::BAD_PARAMETER, "url");
    let reply = sim
        .get(
            Endpoint::AddCallbackUrl,
            &[("url", "http://x"), ("type", "4")],
        )
        .await;
    assert_failure(&reply, wire::BAD_PARAMETER, "type");
}

#[tokio::test]
async fn scripted_faults_answer_the_next_request_only() {
    let sim = Sim::start(1.0);
    sim.state.script(Fault::FailNextRequest(wire::BUSY));
    sim.state.script(Fault::FailNextRequest(10020));
    let first = sim.get(Endpoint::DataDictionary, &[]).await;
    assert_eq!(
        first,
        json!({"reason": "网络繁忙,请稍后重试", "result": null, "error_code": 225700})
    );
    let second = sim.get(Endpoint::DataDictionary, &[]).await;
    assert_eq!(second["reason"], "接口维护");
    assert_eq!(
        sim.get(Endpoint::DataDictionary, &[]).await["error_code"],
        json!(0)
    );
}

#[tokio::test]
async fn serves_real_http() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = JuheSimConfig {
        clock: crate::clock::fixed_clock(now()),
        ..JuheSimConfig::default()
    };
    let server = tokio::spawn(super::serve(listener, config, async {
        stopped.await.ok();
    }));
    let client = reqwest::Client::new();
    let base = format!("http://{address}{}", super::BASE_PATH);
    let reply: Value = client
        .post(format!("{base}/search.php"))
        .form(&[
            ("key", DEFAULT_KEY),
            ("from", "苏州"),
            ("to", "昆山"),
            ("date", "20260502"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    assert_eq!(reply["result"]["queryKey"].as_str().unwrap().len(), 32);
    let reply: Value = client
        .get(format!("{base}/orderDetail.php"))
        .query(&[("key", DEFAULT_KEY), ("outOrderNo", "nosuch1")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        reply,
        json!({"reason": "订单号不存在", "result": null, "error_code": 225702})
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
