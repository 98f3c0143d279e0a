//! Tests against the real, embedded 12306 list (April 2026, 3,364 stations).

use std::collections::HashSet;

use super::*;

fn dir() -> &'static StationDirectory {
    StationDirectory::embedded()
}

fn names(stations: &[&Station]) -> Vec<String> {
    stations.iter().map(|s| s.name.clone()).collect()
}

fn resolved(input: &str) -> String {
    match dir().resolve(input) {
        Ok(station) => station.name.clone(),
        Err(err) => panic!("{input:?} did not resolve: {err}"),
    }
}

#[test]
fn embedded_list_has_every_station() {
    let dir = dir();
    assert_eq!(dir.len(), 3364);
    assert!(!dir.is_empty());
    assert_eq!(dir.iter().count(), 3364);
    let first = dir.iter().next().unwrap();
    assert_eq!(first.name, "北京北");
    assert_eq!(first.telecode, "VAP");
    assert_eq!(format!("{first}"), "北京北 (VAP)");
    assert_eq!(
        format!("{dir:?}"),
        "StationDirectory { stations: 3364, .. }"
    );
}

#[test]
fn names_and_telecodes_are_unique() {
    let dir = dir();
    let names: HashSet<&str> = dir.iter().map(|s| s.name.as_str()).collect();
    let codes: HashSet<&str> = dir.iter().map(|s| s.telecode.as_str()).collect();
    assert_eq!(names.len(), 3364);
    assert_eq!(codes.len(), 3364);
}

/// The collision figures quoted in the module documentation.
#[test]
fn collision_counts_match_the_docs() {
    use std::collections::HashMap;
    let dir = dir();
    let shared = |field: fn(&Station) -> &str| {
        let mut groups: HashMap<&str, usize> = HashMap::new();
        for station in dir.iter() {
            *groups.entry(field(station)).or_default() += 1;
        }
        let shared: Vec<usize> = groups.into_values().filter(|&n| n > 1).collect();
        (shared.len(), shared.iter().sum::<usize>())
    };
    assert_eq!(shared(|s| &s.pinyin), (91, 188));
    assert_eq!(shared(|s| &s.short_pinyin), (528, 2213));
    let mut initials: Vec<&str> = dir.iter().map(|s| s.short_pinyin.as_str()).collect();
    initials.sort_unstable();
    initials.dedup();
    let other_telecode = initials
        .iter()
        .filter(|i| {
            dir.by_telecode(i)
                .is_some_and(|station| station.short_pinyin != **i)
        })
        .count();
    assert_eq!(other_telecode, 262);
    // No pinyin is anybody's initials or telecode.
    for station in dir.iter() {
        assert!(initials.binary_search(&station.pinyin.as_str()).is_err());
        assert!(dir.by_telecode(&station.pinyin).is_none());
    }
}

#[test]
fn every_station_is_found_by_name_and_telecode() {
    let dir = dir();
    for station in dir.iter() {
        assert_eq!(dir.by_name(&station.name), Some(station));
        assert_eq!(dir.by_telecode(&station.telecode), Some(station));
        assert_eq!(
            dir.by_telecode(&station.telecode.to_lowercase()),
            Some(station)
        );
        assert_eq!(dir.resolve(&station.name), Ok(station));
        assert_eq!(dir.resolve(&station.telecode), Ok(station));
        // Full pinyin names this station, alone, among the candidates, or
        // loses to the one major station that shares it.
        match dir.resolve(&station.pinyin) {
            Ok(found) if found == station => {}
            Ok(major) => {
                assert_eq!(major.pinyin, station.pinyin);
                assert!(dir.resolve(&major.telecode) != Ok(station));
            }
            Err(ResolveError::Ambiguous { candidates, .. }) => {
                assert!(candidates.contains(&station.name), "{}", station.name)
            }
            Err(err) => panic!("{}: {err}", station.pinyin),
        }
    }
}

#[test]
fn every_form_of_beijing_south_resolves() {
    for input in [
        "北京南",
        " 北京南 ",
        "北京 南",
        "北京南站",
        "beijingnan",
        "BeiJingNan",
        "bei jing nan",
        "VNP",
        "vnp",
    ] {
        assert_eq!(resolved(input), "北京南", "{input:?}");
    }
    assert_eq!(dir().resolve("VNP").unwrap().city, "北京");
}

#[test]
fn shared_short_forms_mean_the_one_major_station() {
    // 宝鸡南 also has the initials bjn; 北京南 is in 12306's major block.
    assert_eq!(resolved("bjn"), "北京南");
    assert_eq!(resolved("BJN"), "北京南", "BJN is no telecode, so initials");
    assert_eq!(resolved("bjx"), "北京西");
    assert_eq!(resolved("nanjing"), "南京");
    assert_eq!(resolved(" FuZhou "), "福州");
    assert_eq!(resolved("bj"), "北京");
    assert_eq!(resolved("shx"), "上海西");
    assert_eq!(resolved("gz"), "广州");
    // The block ends where 12306's A–Z listing starts (昂昂溪).
    let aax = dir().resolve("昂昂溪").unwrap();
    assert_eq!(aax.short_pinyin, "aax");
}

#[test]
fn every_form_of_shanghai_hongqiao_resolves() {
    for input in [
        "上海虹桥",
        "上海虹桥站",
        "shanghaihongqiao",
        "ShangHai HongQiao",
        "shhq",
        "SHHQ",
        "AOH",
        "aoh",
    ] {
        assert_eq!(resolved(input), "上海虹桥", "{input:?}");
    }
}

#[test]
fn other_major_stations_resolve() {
    assert_eq!(resolved("shanghai"), "上海");
    assert_eq!(resolved("SHH"), "上海");
    assert_eq!(resolved("xi'an"), "西安");
    assert_eq!(resolved("Xian"), "西安");
    assert_eq!(resolved("guangzhounan"), "广州南");
    assert_eq!(resolved("cqb"), "重庆北");
    assert_eq!(resolved("njn"), "南京南");
}

#[test]
fn lowercase_initials_win_over_lowercase_telecodes() {
    // tjn: initials of 天津南, telecode of 天河机场.
    assert_eq!(resolved("tjn"), "天津南");
    assert_eq!(resolved("TJN"), "天河机场");
    assert_eq!(dir().by_telecode("tjn").unwrap().name, "天河机场");
}

#[test]
fn laos_station_parses_with_city() {
    let vientiane = dir().by_telecode("YTM").unwrap();
    assert_eq!(
        *vientiane,
        Station {
            telecode: "YTM".into(),
            name: "万象".into(),
            pinyin: "wanxiang".into(),
            short_pinyin: "wx".into(),
            city: "万象".into(),
        }
    );
    assert_eq!(resolved("wanxiang"), "万象");
    assert_eq!(dir().by_name("万荣").unwrap().city, "老挝万荣");
}

#[test]
fn timetable_spaced_names_are_found() {
    for (spaced, name) in [
        ("贵  阳北", "贵阳北"),
        ("哈  尔  滨", "哈尔滨"),
        ("南 昌", "南昌"),
        ("合肥 南", "合肥南"),
        ("济  南", "济南"),
        ("重  庆西", "重庆西"),
    ] {
        assert_eq!(dir().by_name(spaced).unwrap().name, name);
        assert_eq!(resolved(spaced), name);
    }
    assert_eq!(dir().by_name("北京南站"), None, "by_name is exact");
    assert_eq!(dir().by_name("beijingnan"), None);
}

#[test]
fn shared_pinyin_and_initials_are_ambiguous() {
    let ambiguous = |input: &str| match dir().resolve(input) {
        Err(ResolveError::Ambiguous {
            input: got,
            candidates,
        }) => {
            assert_eq!(got, input.trim());
            candidates
        }
        other => panic!("{input:?}: expected Ambiguous, got {other:?}"),
    };
    // No candidate, or more than one, in the major block.
    assert_eq!(ambiguous("szb"), ["深圳北", "苏州北", "绥中北", "嵊州北"]);
    assert_eq!(ambiguous("jinzhou"), ["锦州", "金州", "晋州"]);
    let message = dir().resolve("szb").unwrap_err().to_string();
    assert_eq!(
        message,
        "\"szb\" matches several stations: 深圳北, 苏州北, 绥中北, 嵊州北; use the Chinese name or the telecode"
    );
    // 22 stations share sy: capped at 10, major stations first.
    let sy = ambiguous("sy");
    assert_eq!(sy.len(), 10);
    assert_eq!(sy[..3], ["沈阳", "水源", "三亚"]);
    let all_sy = dir().iter().filter(|s| s.short_pinyin == "sy").count();
    assert_eq!(all_sy, 22);
}

#[test]
fn unknown_input_gets_suggestions() {
    let unknown = |input: &str| match dir().resolve(input) {
        Err(ResolveError::Unknown {
            input: got,
            suggestions,
        }) => {
            assert_eq!(got, input.trim());
            assert!(suggestions.len() <= 5, "{suggestions:?}");
            suggestions
        }
        other => panic!("{input:?}: expected Unknown, got {other:?}"),
    };
    // Edit distance: one letter missing.
    let sugg = unknown("beijingnn");
    assert_eq!(sugg[0], "北京南", "{sugg:?}");
    let message = dir().resolve("beijingnn").unwrap_err().to_string();
    assert!(
        message.starts_with("unknown station \"beijingnn\"; did you mean: 北京南, "),
        "{message}"
    );
    assert!(unknown("shanghaihonqiao").contains(&"上海虹桥".to_owned()));
    assert!(unknown("北京难").contains(&"北京南".to_owned()));
    // Prefixes.
    assert_eq!(unknown("上海虹")[0], "上海虹桥");
    assert_eq!(unknown("beijingna")[0], "北京南");
    // Contained in a name.
    assert!(unknown("虹桥").contains(&"上海虹桥".to_owned()));
    // Nothing close.
    assert_eq!(unknown("qqqqqqqqqqqq"), Vec::<String>::new());
    assert_eq!(
        dir().resolve("qqqqqqqqqqqq").unwrap_err().to_string(),
        "unknown station \"qqqqqqqqqqqq\""
    );
}

#[test]
fn blank_input_is_empty() {
    for input in ["", "   ", "\t\n", "\u{3000}"] {
        assert_eq!(dir().resolve(input), Err(ResolveError::Empty), "{input:?}");
    }
}

#[test]
fn lookup_puts_exact_matches_first() {
    let found = dir().lookup("bj", 10);
    assert_eq!(
        names(&found),
        [
            // Exact initials matches, by list index.
            "北京",
            "毕节",
            "宝鸡",
            "白涧",
            "北滘",
            "碧江",
            // Then prefix matches: shorter names first, then list index.
            "北京北",
            "北京东",
            "北京南",
            "北京西",
        ]
    );
    for station in &found {
        assert!(
            station.short_pinyin.starts_with("bj") || station.telecode.starts_with("BJ"),
            "{station}"
        );
    }
    assert_eq!(dir().lookup("BJ", 10), found, "case-insensitive");
    // All matches without a limit, each station once.
    let all = dir().lookup("bj", usize::MAX);
    let unique: HashSet<&str> = all.iter().map(|s| s.telecode.as_str()).collect();
    assert_eq!(unique.len(), all.len());
    assert!(all.len() > 10);
}

#[test]
fn lookup_by_name_pinyin_and_telecode_prefix() {
    let shanghai = names(&dir().lookup("上海", 5));
    assert_eq!(shanghai[0], "上海");
    assert!(shanghai.contains(&"上海虹桥".to_owned()), "{shanghai:?}");
    assert_eq!(names(&dir().lookup("shanghaih", 5)), ["上海虹桥"]);
    assert_eq!(names(&dir().lookup("bei jing n", 5)), ["北京南"]);
    // Telecode prefix.
    let vn = dir().lookup("VN", 50);
    assert!(vn.iter().all(|s| s.telecode.starts_with("VN")), "{vn:?}");
    assert!(names(&vn).contains(&"北京南".to_owned()));
    assert_eq!(dir().lookup("vnp", 5)[0].name, "北京南");
    assert_eq!(dir().lookup("AOH", 5)[0].name, "上海虹桥");
    // Degenerate queries.
    assert!(dir().lookup("", 10).is_empty());
    assert!(dir().lookup("  ", 10).is_empty());
    assert!(dir().lookup("bj", 0).is_empty());
    assert!(dir().lookup("zzzzzz", 10).is_empty());
}

const SAMPLE: &str = "var station_names ='@bjb|北京北|VAP|beijingbei|bjb|0|0357|北京|||\
@shq|上海虹桥|AOH|shanghaihongqiao|shhq|19|0712|上海|||\
@wxi|万象|YTM|wanxiang|wx|25|9206|万象|lao|老挝|vientiane';";

#[test]
fn parse_accepts_a_small_list() {
    let dir = StationDirectory::parse(SAMPLE).unwrap();
    assert_eq!(dir.len(), 3);
    assert_eq!(dir.resolve("shhq").unwrap().telecode, "AOH");
    assert_eq!(dir.by_telecode("ytm").unwrap().city, "万象");
    // Trailing newline, no semicolon.
    let relaxed = format!("{}\n", SAMPLE.trim_end_matches(';'));
    assert_eq!(StationDirectory::parse(&relaxed).unwrap().len(), 3);
}

#[test]
fn parse_rejects_malformed_records() {
    let bad = |js: &str| StationDirectory::parse(js).unwrap_err();

    let err = bad(
        "var station_names ='@bjb|北京北|VAP|beijingbei|bjb|0|0357|北京|||@shq|上海虹桥|AOH|shanghaihongqiao|shhq|19|0712|上海||';",
    );
    assert_eq!(
        err,
        StationDataError::BadRecord {
            record: 2,
            text: "shq|上海虹桥|AOH|shanghaihongqiao|shhq|19|0712|上海||".into(),
            problem: RecordProblem::FieldCount(10),
        }
    );
    assert_eq!(
        err.to_string(),
        "station record #2 `shq|上海虹桥|AOH|shanghaihongqiao|shhq|19|0712|上海||`: \
         expected 11 `|`-separated fields, found 10"
    );

    let err = bad(&SAMPLE.replace("|AOH|", "|AO1|"));
    assert!(
        matches!(&err, StationDataError::BadRecord { record: 2, problem: RecordProblem::BadTelecode(t), .. } if t == "AO1"),
        "{err}"
    );
    let err = bad(&SAMPLE.replace("|wanxiang|", "||"));
    assert_eq!(
        err.to_string(),
        "station record #3 `wxi|万象|YTM||wx|25|9206|万象|lao|老挝|vientiane`: field 3 (pinyin) is empty"
    );
    let err = bad(&SAMPLE.replace("|19|", "|x9|"));
    assert!(
        err.to_string()
            .ends_with("index \"x9\" is not a non-negative integer"),
        "{err}"
    );
    let err = bad(&SAMPLE.replace("|shhq|", "|SHHQ|"));
    assert!(
        err.to_string()
            .ends_with("pinyin initials \"SHHQ\" is not lowercase ASCII letters"),
        "{err}"
    );
    let err = bad(&SAMPLE.replace("|万象|YTM", "|万 象|YTM"));
    assert!(
        err.to_string()
            .ends_with("station name \"万 象\" contains whitespace"),
        "{err}"
    );

    // Duplicates of the unique fields.
    let err = bad(&SAMPLE.replace("|YTM|", "|VAP|"));
    assert_eq!(
        err.to_string(),
        "station records #1 and #3 have the same telecode \"VAP\""
    );
    let err = bad(&SAMPLE.replace("|上海虹桥|", "|万象|"));
    assert_eq!(
        err,
        StationDataError::Duplicate {
            field: "name",
            value: "万象".into(),
            first: 2,
            second: 3
        }
    );

    // Not a station list at all.
    assert!(matches!(bad(""), StationDataError::NotAStationList(_)));
    assert!(matches!(
        bad("var x ='@a';"),
        StationDataError::NotAStationList(_)
    ));
    assert!(matches!(
        bad("var station_names ='@a"),
        StationDataError::NotAStationList(_)
    ));
    assert_eq!(bad("var station_names ='';"), StationDataError::NoRecords);
    // The old 6-field format.
    let err = bad("var station_names ='@bjb|北京北|VAP|beijingbei|bjb|0';");
    assert_eq!(
        err.to_string(),
        "station record #1 `bjb|北京北|VAP|beijingbei|bjb|0`: expected 11 `|`-separated fields, found 6"
    );
    // Long records are shortened in the message.
    let long = format!("var station_names ='@{}';", "x|".repeat(100));
    assert!(
        bad(&long).to_string().contains("x|x|...`: expected 11"),
        "{}",
        bad(&long)
    );
}

#[test]
fn a_city_namesake_covers_the_city_named_stations() {
    let dir = StationDirectory::embedded();
    let city_of = |input: &str| -> Option<Vec<String>> {
        let station = dir.resolve(input).unwrap();
        dir.city_stations(station)
            .map(|stations| stations.iter().map(|s| s.name.clone()).collect())
    };
    let beijing = city_of("北京").unwrap();
    assert_eq!(beijing[0], "北京", "the namesake comes first");
    for station in ["北京南", "北京西", "北京丰台", "北京朝阳", "北京大兴"] {
        assert!(beijing.iter().any(|name| name == station), "{station}");
    }
    // Outlying stations of the municipality are other places.
    assert!(
        !beijing
            .iter()
            .any(|name| name == "八达岭" || name == "怀柔北")
    );
    assert_eq!(beijing.len(), 9);
    assert_eq!(
        city_of("shanghai").unwrap(),
        ["上海", "上海南", "上海西", "上海虹桥", "上海松江"]
    );
    assert_eq!(city_of("bj"), city_of("北京"));
    // A station that is not its city's namesake is a station, not a city.
    assert_eq!(city_of("北京南"), None);
    assert_eq!(city_of("昆山南"), None);
    // Every city search stays within 10 stations an end.
    let largest = dir
        .iter()
        .filter_map(|station| dir.city_stations(station))
        .map(|stations| stations.len())
        .max();
    assert_eq!(largest, Some(10));
}
