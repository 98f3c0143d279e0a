//! What submitOrder refuses, with the seed's codes and wording.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::super::testkit::*;
use super::*;

#[tokio::test]
async fn submit_refuses_what_the_seed_refuses() {
    let sim = Sim::start(1.0);
    let key = sim.query_key(&sim.ride).await;
    let valid = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    let set = |name: &str, value: &str| {
        let mut form = valid.clone();
        match form.iter_mut().find(|(key, _)| key == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => form.push((name.to_owned(), value.to_owned())),
        }
        form
    };
    let student = json!([{"passengerName": "张三", "passengerType": "3", "idCardType": "0",
                          "idCardNo": id_for("张三")}])
    .to_string();
    let six: Vec<Value> = ["甲", "乙", "丙", "丁", "戊", "己"]
        .iter()
        .map(|name| json!({"passengerName": name, "passengerType": "1", "idCardType": "0", "idCardNo": id_for(name)}))
        .collect();
    let six = Value::Array(six).to_string();
    let depart = sim.ride.depart.format("%Y-%m-%d %H:%M").to_string();
    let after_departure = (sim.ride.depart + TimeDelta::minutes(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let cases: Vec<(Form, u32, &str)> = vec![
        (
            set("queryKey", "0123456789abcdef0123456789abcdef"),
            wire::SUPPLIER,
            "站站查询结果已过期",
        ),
        (set("outOrderNo", "abc"), wire::BAD_PARAMETER, "6-32位"),
        (
            set("outOrderNo", "abc-123-xyz"),
            wire::BAD_PARAMETER,
            "6-32位",
        ),
        (set("ticketModel", "2"), wire::BAD_PARAMETER, "ticketModel"),
        (
            set("trainNo", "G99999"),
            wire::SUPPLIER,
            "车次号无效:G99999",
        ),
        (
            set("trainNo", "G1|G2|G3|G4|G5|G6"),
            wire::SUPPLIER,
            "超过配置上限",
        ),
        (
            set("seatClassCode", "secondseat|vipseat"),
            wire::BAD_PARAMETER,
            "不支持的坐席:vipseat",
        ),
        (
            set("mainSeatClass", "firstseat"),
            wire::BAD_PARAMETER,
            "mainSeatClass",
        ),
        (set("mainTrainNo", "G1"), wire::BAD_PARAMETER, "mainTrainNo"),
        (
            set("fromStation", "北京"),
            wire::BAD_PARAMETER,
            "fromStation与站站查询结果不符",
        ),
        (
            set("departDate", "2026-05-03 09:00"),
            wire::BAD_PARAMETER,
            "departDate与queryKey不一致",
        ),
        // One train: its departure time, not the date.
        (
            set("departDate", &sim.ride.date().to_string()),
            wire::BAD_PARAMETER,
            "须传主车次发车时间",
        ),
        (
            set("departDate", "tomorrow"),
            wire::BAD_PARAMETER,
            "departDate格式错误",
        ),
        (
            set("seatClassCode", "hardseat"),
            wire::BAD_PARAMETER,
            "mainSeatClass",
        ),
        (
            set("closeTime", "2026-05-01 09:00:00"),
            wire::BAD_PARAMETER,
            "closeTime必须晚于当前时间",
        ),
        (
            set("closeTime", &after_departure),
            wire::BAD_PARAMETER,
            "不能晚于主车次发车时间",
        ),
        (
            set("acceptNoSeat", "yes"),
            wire::BAD_PARAMETER,
            "acceptNoSeat",
        ),
        (set("cellphone", "12345"), wire::BAD_PARAMETER, "cellphone"),
        (
            set("passengers", &student),
            wire::SUPPLIER,
            "暂不支持学生票和残军票",
        ),
        (set("passengers", &six), wire::SUPPLIER, "最多支持五名乘客"),
        (
            set("passengers", "[]"),
            wire::BAD_PARAMETER,
            "passengers不能为空",
        ),
    ];
    for (form, code, needle) in cases {
        assert_failure(&sim.submit(&form).await, code, needle);
    }
    let mut hardseat = set("seatClassCode", "hardseat");
    hardseat = hardseat
        .into_iter()
        .map(|(k, v)| {
            if k == "mainSeatClass" {
                (k, "hardseat".into())
            } else {
                (k, v)
            }
        })
        .collect();
    assert_failure(&sim.submit(&hardseat).await, wire::SUPPLIER, "坐席无效");
    assert_eq!(sim.state.order_count(), 0, "nothing refused was created");
    let reply = sim.submit(&set("departDate", &depart)).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    let reply = sim.submit(&set("departDate", &depart)).await;
    assert_failure(&reply, wire::ORDER_EXISTS, "订单号已经存在");
    assert_eq!(sim.state.order_count(), 1);
}

#[tokio::test]
async fn depart_date_is_the_main_departure_unless_several_trains_share_one_class() {
    let sim = Sim::start(1.0);
    let reply = sim.search(&sim.ride).await;
    let key = reply["result"]["queryKey"].as_str().unwrap();
    let other = reply["result"]["trains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|train| train["trainNo"].as_str().unwrap())
        .find(|code| *code != sim.ride.train_code && code.starts_with('G'))
        .expect("another G train on the same search");
    let valid = sim.order_form(key, &sim.ride, "secondseat", &["张三"]);
    let form = |pairs: &[(&str, &str)]| {
        let mut form = valid.clone();
        for (name, value) in pairs {
            let pair = form.iter_mut().find(|(key, _)| key == name).unwrap();
            pair.1 = (*value).to_owned();
        }
        form
    };
    let trains = format!("{}|{other}", sim.ride.train_code);
    let date = sim.ride.date().to_string();
    let time = sim.ride.depart.format("%Y-%m-%d %H:%M").to_string();
    // Several trains in one class: the date, not a time.
    let reply = sim
        .submit(&form(&[("trainNo", &trains), ("departDate", &time)]))
        .await;
    assert_failure(&reply, wire::BAD_PARAMETER, "多车次单坐席须传发车日期");
    // Several trains in several classes: the main train's time.
    let reply = sim
        .submit(&form(&[
            ("trainNo", &trains),
            ("seatClassCode", "secondseat|firstseat"),
            ("departDate", &date),
        ]))
        .await;
    assert_failure(&reply, wire::BAD_PARAMETER, "须传主车次发车时间");
    assert_eq!(sim.state.order_count(), 0);
    let reply = sim
        .submit(&form(&[("trainNo", &trains), ("departDate", &date)]))
        .await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
    let mut several = form(&[
        ("trainNo", &trains),
        ("seatClassCode", "secondseat|firstseat"),
        ("departDate", &time),
    ]);
    several
        .iter_mut()
        .find(|(key, _)| key == "outOrderNo")
        .unwrap()
        .1 = "test999999".to_owned();
    let reply = sim.submit(&several).await;
    assert_eq!(reply["error_code"], json!(0), "{reply}");
}

#[tokio::test]
async fn no_grab_order_within_three_hours_of_departure() {
    let sim = Sim::start(1.0);
    // The default ride leaves tomorrow afternoon: move to 2 h before it.
    sim.advance(sim.ride.depart - now() - TimeDelta::hours(2));
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    let mut form = form;
    form[10].1 = (sim.ride.depart - TimeDelta::hours(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert_failure(&sim.submit(&form).await, wire::SUPPLIER, "距离发车时间太近");
}

#[tokio::test]
async fn query_keys_expire_after_their_ttl() {
    let sim = Sim::start_with(JuheSimConfig {
        query_key_ttl: std::time::Duration::from_secs(600),
        ..JuheSimConfig::default()
    });
    let key = sim.query_key(&sim.ride).await;
    sim.advance(TimeDelta::seconds(601));
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    assert_failure(
        &sim.submit(&form).await,
        wire::SUPPLIER,
        "站站查询结果已过期,请重新查询",
    );
    let key = sim.query_key(&sim.ride).await;
    let form = sim.order_form(&key, &sim.ride, "secondseat", &["张三"]);
    assert_eq!(sim.submit(&form).await["error_code"], json!(0));
}

#[tokio::test]
async fn student_searches_cannot_be_ordered() {
    let sim = Sim::start(1.0);
    let date = sim.ride.date().format("%Y%m%d").to_string();
    let reply = sim
        .get(
            Endpoint::Search,
            &[
                ("from", &sim.ride.from),
                ("to", &sim.ride.to),
                ("date", &date),
                ("type", "2"),
            ],
        )
        .await;
    let key = reply["result"]["queryKey"].as_str().unwrap();
    let form = sim.order_form(key, &sim.ride, "secondseat", &["张三"]);
    assert_failure(&sim.submit(&form).await, wire::SUPPLIER, "暂不支持学生票");
}
