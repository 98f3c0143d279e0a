//! submitOrder's rules, unit by unit: passengers, stations, departDate,
//! order numbers.

use serde_json::json;

use super::*;

fn passengers_param(value: Value) -> Params {
    Params::from_pairs(&[("passengers", &value.to_string())])
}

#[test]
fn passengers_accept_strings_and_numbers() {
    let params = passengers_param(json!([
        {"passengerName": "张三", "passengerType": "1", "idCardType": "0",
         "idCardNo": "11010519491231002x", "birthday": "1949-12-31"},
        {"passengerName": "李四", "passengerType": 2, "idCardType": 1,
         "idCardNo": "E12345678"}
    ]));
    let passengers = passengers(&params, SubmitIdNumbering::ZeroBased).unwrap();
    assert_eq!(
        passengers[0].id_type, 1,
        "0-based 身份证 is the dictionary's 1"
    );
    assert_eq!(passengers[0].id_no, "11010519491231002X");
    assert_eq!(passengers[1].passenger_type, 2);
    assert_eq!(passengers[1].id_type, 2);
    assert_eq!(passengers[1].birthday, "");
}

#[test]
fn passengers_are_refused_as_the_seed_says() {
    let one = |entry: Value| {
        passengers(
            &passengers_param(json!([entry])),
            SubmitIdNumbering::ZeroBased,
        )
        .unwrap_err()
    };
    let valid = json!({"passengerName": "张三", "passengerType": "1", "idCardType": "0",
                       "idCardNo": "11010519491231002X"});
    let mut student = valid.clone();
    student["passengerType"] = json!("3");
    assert_eq!(one(student).code, wire::SUPPLIER);
    let mut soldier = valid.clone();
    soldier["passengerType"] = json!(4);
    assert_eq!(one(soldier).reason, NO_STUDENTS);
    let mut bad_id = valid.clone();
    bad_id["idCardNo"] = json!("110105194912310021");
    let failure = one(bad_id);
    assert_eq!(failure.code, wire::BAD_PARAMETER);
    assert!(!failure.reason.contains("110105"), "{}", failure.reason);
    let mut bad_type = valid.clone();
    bad_type["idCardType"] = json!("4");
    assert!(one(bad_type).reason.contains("passengers[0].idCardType"));
    // Set to the dictionary's numbering, 0 is refused and 1 is 身份证.
    let one_based = |entry: Value| {
        passengers(
            &passengers_param(json!([entry])),
            SubmitIdNumbering::OneBased,
        )
    };
    let failure = one_based(valid.clone()).unwrap_err();
    assert!(failure.reason.contains("passengers[0].idCardType"));
    let mut dictionary = valid.clone();
    dictionary["idCardType"] = json!("1");
    assert_eq!(one_based(dictionary).unwrap()[0].id_type, 1);
    let mut nameless = valid.clone();
    nameless["passengerName"] = json!(" ");
    assert!(one(nameless).reason.contains("passengerName不能为空"));
    let six: Vec<Value> = (0..6).map(|_| valid.clone()).collect();
    let failure =
        passengers(&passengers_param(json!(six)), SubmitIdNumbering::ZeroBased).unwrap_err();
    assert_eq!(failure.code, wire::SUPPLIER);
    assert!(failure.reason.contains("五名乘客"));
    let failure = passengers(
        &Params::from_pairs(&[("passengers", "张三")]),
        SubmitIdNumbering::ZeroBased,
    )
    .unwrap_err();
    assert!(failure.reason.contains("JSON数组"));
}

fn ride(from_station: &str, to_station: &str) -> Ride {
    let depart = chrono::NaiveDate::from_ymd_opt(2026, 5, 2)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    Ride {
        train_no: "240000G1010A".to_owned(),
        train_code: "G101".to_owned(),
        from_station: from_station.to_owned(),
        to_station: to_station.to_owned(),
        from_code: String::new(),
        to_code: String::new(),
        date: depart.date(),
        depart,
        arrive: depart + chrono::TimeDelta::hours(5),
        fares: Vec::new(),
    }
}

#[test]
fn stations_are_the_main_trains_not_the_searched_ones() {
    // A search from 北京 may list a train from 北京南: submitOrder names
    // the train's station.
    let main = ride("北京南", "上海虹桥");
    let form =
        |from: &str, to: &str| Params::from_pairs(&[("fromStation", from), ("toStation", to)]);
    assert!(check_stations(&form("北京南", "上海虹桥"), &main).is_ok());
    let failure = check_stations(&form("北京", "上海虹桥"), &main).unwrap_err();
    assert!(
        failure
            .reason
            .contains("fromStation与站站查询结果不符:G101应为北京南")
    );
    let failure = check_stations(&form("北京南", "上海"), &main).unwrap_err();
    assert!(failure.reason.contains("toStation"), "{}", failure.reason);
}

#[test]
fn depart_date_follows_the_seeds_rule() {
    let main = ride("北京南", "上海虹桥");
    let check = |text: &str, trains: usize, classes: usize| {
        check_depart_date(
            &Params::from_pairs(&[("departDate", text)]),
            &main,
            trains,
            classes,
        )
        .map_err(|failure| failure.reason)
    };
    assert!(check("2026-05-02 09:00", 1, 1).is_ok());
    assert!(check("2026-05-02 09:00", 1, 2).is_ok());
    assert!(check("2026-05-02 09:00", 3, 2).is_ok());
    assert!(check("2026-05-02", 3, 1).is_ok());
    assert!(
        check("2026-05-02", 1, 1)
            .unwrap_err()
            .contains("须传主车次发车时间")
    );
    assert!(
        check("2026-05-02", 2, 2)
            .unwrap_err()
            .contains("须传主车次发车时间")
    );
    assert!(
        check("2026-05-02 09:00", 2, 1)
            .unwrap_err()
            .contains("须传发车日期")
    );
    assert!(
        check("2026-05-02 10:00", 1, 1)
            .unwrap_err()
            .contains("不一致")
    );
    assert!(check("2026-05-03", 2, 1).unwrap_err().contains("不一致"));
    assert!(check("soon", 1, 1).unwrap_err().contains("格式错误"));
}

#[test]
fn order_numbers_look_like_the_seeds() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let no = order_no(now, 7, "2016113001");
    assert_eq!(no.len(), "TFT583U752U210D284004800356".len());
    assert!(no.starts_with("TFT260501100000"));
    assert!(
        no.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
}
