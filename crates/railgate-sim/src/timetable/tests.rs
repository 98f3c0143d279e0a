use super::*;

fn hm(hours: u32, minutes: u32) -> u32 {
    hours * 60 + minutes
}

#[test]
fn embedded_counts_match_the_data() {
    let timetable = Timetable::embedded();
    assert_eq!(timetable.len(), 10_476);
    assert_eq!(timetable.stop_count(), 95_461);
    let stops: usize = timetable.trains().map(|train| train.stops.len()).sum();
    assert_eq!(stops, 95_461);
    // 3,173 distinct names in SOURCES.md; removing spaces merges 13 spaced
    // aliases into their plain names, apart from those used nowhere else.
    let stations = timetable.station_names().count();
    assert!((3_160..=3_173).contains(&stations), "{stations} stations");
}

/// How long the parse takes: an indication for the start-up budget
/// (`cargo test --release parse_time -- --nocapture` for release numbers).
#[test]
fn parse_time() {
    let started = std::time::Instant::now();
    let timetable = Timetable::parse(TRAINS_CSV, STOPS_CSV).unwrap();
    let elapsed = started.elapsed();
    println!(
        "parsed {} trains / {} stops in {elapsed:?}",
        timetable.len(),
        timetable.stop_count()
    );
    assert_eq!(timetable.len(), 10_476);
}

#[test]
fn times_never_go_backwards() {
    for train in Timetable::embedded().trains() {
        let mut previous = 0;
        for (index, stop) in train.stops.iter().enumerate() {
            let at = stop.arrive_or_depart();
            assert!(at >= previous, "{} stop {index}", train.train_no);
            assert!(stop.depart >= at, "{} stop {index}", train.train_no);
            previous = stop.depart;
        }
        if train.stops.len() > 1 {
            assert_eq!(train.terminus().arrive, Some(train.terminus().depart));
        }
    }
}

#[test]
fn station_no_gaps_keep_numbers_and_positions() {
    let c103 = Timetable::embedded().train_by_code("C103").unwrap();
    assert_eq!(c103.train_no, "010000C10300");
    let numbers: Vec<u16> = c103.stops.iter().map(|stop| stop.station_no).collect();
    assert_eq!(&numbers[..3], &[1, 2, 4]);
    assert_eq!(c103.stops.len(), 6);
    assert_eq!(&*c103.origin().station_name, "哈尔滨");
    assert_eq!(c103.origin().arrive, None, "`----` arrival");
    assert_eq!(c103.origin().depart, hm(6, 10));
    assert_eq!(&*c103.terminus().station_name, "鹤岗");
    assert_eq!(c103.terminus().arrive, Some(hm(10, 9)));
}

#[test]
fn train_code_changes_en_route() {
    let timetable = Timetable::embedded();
    // 银川 G1943 → 吴忠..民权北 G1946 → 商丘.. G1943.
    let train = timetable.train_by_code("G1946").unwrap();
    assert_eq!(train.train_no, "87000G194301");
    assert!(std::ptr::eq(
        train,
        timetable.train_by_code("g1943").unwrap()
    ));
    assert_eq!(&*train.train_code, "G1943");
    let segment = timetable
        .trains_between("吴忠", "西安北")
        .into_iter()
        .find(|segment| segment.train.train_no == "87000G194301")
        .unwrap();
    assert_eq!(segment.train_code(), "G1946");
    // Its first stop lists a bogus 00:00 arrival before an 11:14 departure.
    assert_eq!(train.origin().arrive, None);
    assert_eq!(train.origin().depart, hm(11, 14));

    // The seed's own example: G8296 becomes G8293 before 苏州.
    let seed = timetable
        .trains_between("苏州", "昆山南")
        .into_iter()
        .find(|segment| segment.train.train_no == "5f000G829601")
        .unwrap();
    assert_eq!(seed.train_code(), "G8293");
    assert_eq!(seed.depart(), hm(22, 20));
    assert_eq!(seed.arrive(), hm(22, 33));
}

#[test]
fn k22_rolls_over_to_the_next_day() {
    let timetable = Timetable::embedded();
    let k22 = timetable.train_by_no("7100000K2210").unwrap();
    assert_eq!(&*k22.train_code, "K22");
    assert_eq!(k22.stops.len(), 30);
    let changsha = &k22.stops[k22.stop_index("长沙").unwrap()];
    assert_eq!(changsha.arrive, Some(DAY_MINUTES + hm(1, 41)));
    assert_eq!(changsha.depart, DAY_MINUTES + hm(1, 47));
    let whole = timetable
        .trains_between("南宁", "北京西")
        .into_iter()
        .find(|segment| segment.train.train_no == "7100000K2210")
        .unwrap();
    assert_eq!(whole.minutes(), hm(34, 10));
    assert_eq!(whole.arrive_days(), 1);
    // 衡阳 23:28 → 长沙 01:41: a short hop across midnight.
    let hop = timetable
        .trains_between("衡阳", "长沙")
        .into_iter()
        .find(|segment| segment.train.train_no == "7100000K2210")
        .unwrap();
    assert_eq!(hop.minutes(), 133);
    assert_eq!(hop.arrive_days(), 1);
}

#[test]
fn running_time_from_elsewhere_does_not_shift_times() {
    // K7566's data starts at 乌兰浩特 (station_no 05) and its running_time
    // counts from the real origin; the clock times are what matter.
    let train = Timetable::embedded().train_by_no("11000K75660R").unwrap();
    assert_eq!(train.origin().station_no, 5);
    assert_eq!(train.origin().arrive, Some(hm(21, 6)));
    assert_eq!(train.origin().depart, hm(21, 12));
    let siping = &train.stops[train.stop_index("四平").unwrap()];
    assert_eq!(siping.arrive, Some(DAY_MINUTES + hm(3, 27)));
}

#[test]
fn spaced_names_are_normalised() {
    let timetable = Timetable::embedded();
    assert!(timetable.serves("贵阳北"));
    assert!(timetable.serves(" 贵  阳北 "));
    assert!(
        timetable
            .station_names()
            .all(|name| !name.contains(char::is_whitespace))
    );
    // C5802 is listed as ending at `贵  阳北`.
    let segment = timetable
        .trains_between("贵阳", "贵  阳北")
        .into_iter()
        .find(|segment| segment.train.train_no == "78000C580210")
        .unwrap();
    assert_eq!(&*segment.to_stop().station_name, "贵阳北");
    assert_eq!(segment.to_stop().arrive, Some(hm(8, 16)));
}

#[test]
fn beijing_south_to_shanghai_hongqiao() {
    let segments = Timetable::embedded().trains_between("北京南", "上海虹桥");
    assert_eq!(segments.len(), 38);
    let find = |code: &str| {
        segments
            .iter()
            .find(|segment| segment.train_code() == code)
            .unwrap_or_else(|| panic!("{code} missing"))
    };
    // Rows of train_stops.csv: (code, depart 北京南, arrive 上海虹桥).
    for (code, depart, arrive) in [
        ("G101", hm(6, 10), hm(12, 9)),
        ("G5", hm(9, 0), hm(13, 37)),
        ("G25", hm(18, 4), hm(22, 58)),
        ("G161", hm(17, 33), hm(23, 32)),
    ] {
        let segment = find(code);
        assert_eq!(
            (segment.depart(), segment.arrive()),
            (depart, arrive),
            "{code}"
        );
        assert_eq!(&*segment.from_stop().station_name, "北京南");
        assert_eq!(&*segment.to_stop().station_name, "上海虹桥");
    }
    // G1 ran to 上海, not 上海虹桥, that day.
    assert!(segments.iter().all(|segment| segment.train_code() != "G1"));
    let departures: Vec<u32> = segments.iter().map(|s| s.depart() % DAY_MINUTES).collect();
    assert!(departures.windows(2).all(|pair| pair[0] <= pair[1]));
    assert_eq!(segments[0].train_code(), "G101");
    assert!(segments.iter().all(|segment| segment.from < segment.to));
}

#[test]
fn stations_do_not_merge_by_city() {
    let timetable = Timetable::embedded();
    // 北京 (not 北京南) to 上海虹桥: G1 leaves from 北京南 and must not appear.
    let segments = timetable.trains_between("北京", "上海");
    assert!(
        segments
            .iter()
            .all(|s| &*s.from_stop().station_name == "北京")
    );
    assert!(segments.iter().all(|s| s.train_code() != "G1"));
    assert!(timetable.trains_between("北京南", "不存在站").is_empty());
    assert!(timetable.trains_between("不存在站", "上海").is_empty());
    // Direction matters: a southbound train is not offered northbound.
    let northbound = timetable.trains_between("上海虹桥", "北京南");
    assert!(
        northbound
            .iter()
            .all(|s| s.train.train_no != "240000G1010T")
    );
}

#[test]
fn moving_time_excludes_dwell() {
    let timetable = Timetable::embedded();
    let g35 = timetable
        .trains_between("北京南", "杭州东")
        .into_iter()
        .find(|segment| segment.train_code() == "G35")
        .unwrap();
    // 09:56 → 14:26, 2 minutes each at 济南西 and 南京南.
    assert_eq!(g35.minutes(), 270);
    assert_eq!(g35.intermediate_stops(), 2);
    assert_eq!(g35.moving_minutes(), 266);
}

#[test]
fn parse_reports_bad_input() {
    let trains = "train_no,train_code,train_class_name\nT1,X1,快速\n";
    let stops = "train_no,station_no,station_name,station_telecode,station_train_code,arrive_time,depart_time,arrive_day_diff,running_time\n";
    let unknown = format!("{stops}T2,01,甲,,X1,----,08:00,0,00:00\n");
    let error = Timetable::parse(trains, &unknown).unwrap_err().to_string();
    assert!(error.contains("T2 not in trains.csv"), "{error}");
    let no_stops = Timetable::parse(trains, stops).unwrap_err().to_string();
    assert!(no_stops.contains("no stops"), "{no_stops}");
    let good = format!(
        "{stops}T1,02,乙,,X1,23:50,00:10,0,01:50\nT1,01,甲,,X1,----,22:00,0,00:00\nT1,03,丙,,X2,01:00,01:00,1,03:00\n"
    );
    let timetable = Timetable::parse(trains, &good).unwrap();
    let train = timetable.train_by_code("X2").unwrap();
    let names: Vec<&str> = train.stops.iter().map(|s| &*s.station_name).collect();
    assert_eq!(names, ["甲", "乙", "丙"], "sorted by station_no");
    // The dwell at 乙 crosses midnight: 23:50 arrive, 00:10 depart.
    assert_eq!(train.stops[1].depart, DAY_MINUTES + 10);
    assert_eq!(train.stops[2].arrive, Some(DAY_MINUTES + 60));
}
