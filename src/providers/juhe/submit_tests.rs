//! Grab order checks and request building.

use super::*;
use crate::domain::{IdNumber, IdType, PassengerType, PersonName, PhoneNumber};
use crate::providers::juhe::mapping::SubmitIdNumbering;

const KEY: &str = "6d31300d58be4d239af4039c71ddc313";

/// 08:00 in Shanghai on 2026-11-20.
fn now() -> DateTime<Utc> {
    "2026-11-20T00:00:00Z".parse().unwrap()
}

fn at(text: &str) -> NaiveDateTime {
    text.parse().unwrap()
}

fn offer(train_code: &str, seat_class: SeatClass, departure: &str) -> Offer {
    let departure = at(departure);
    Offer {
        provider: ProviderId::Juhe,
        train_code: train_code.into(),
        train_no: String::new(),
        from_station: "上海西".into(),
        to_station: "苏州园区".into(),
        departure,
        arrival: departure + TimeDelta::minutes(28),
        seat_class,
        provider_key: Some(KEY.into()),
        berth: None,
    }
}

fn passenger(name: &str, id: &str, passenger_type: PassengerType, id_type: IdType) -> Passenger {
    Passenger {
        name: PersonName::new(name.into()).unwrap(),
        id_type,
        id_number: IdNumber::new(id.into()).unwrap(),
        passenger_type,
        phone: None,
        birth_date: "1949-12-31".parse().ok(),
        sex: None,
        country_code: None,
        id_expiry_date: None,
    }
}

fn adult() -> Passenger {
    passenger(
        "张三",
        "11010519491231002X",
        PassengerType::Adult,
        IdType::ResidentIdCard,
    )
}

fn contact(phone: &str) -> Contact {
    Contact {
        name: PersonName::new("李四".into()).unwrap(),
        phone: PhoneNumber::new(phone.into()).unwrap(),
    }
}

/// A valid one-train, one-class order; tests change what they test.
struct Fixture {
    main: Offer,
    alternatives: Vec<Offer>,
    berth: Option<Berth>,
    deadline: DateTime<Utc>,
    passengers: Vec<Passenger>,
    contact: Contact,
    account: Option<TrainAccount>,
    out_order_no: &'static str,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            main: offer("G7066", SeatClass::Second, "2026-11-24T09:02:00"),
            alternatives: Vec::new(),
            berth: None,
            deadline: "2026-11-23T10:00:00Z".parse().unwrap(),
            passengers: vec![adult()],
            contact: contact("15712340587"),
            account: None,
            out_order_no: "rg2026112001",
        }
    }

    fn order(&self) -> GrabOrder<'_> {
        GrabOrder {
            out_order_no: self.out_order_no,
            main: &self.main,
            alternatives: &self.alternatives,
            berth: self.berth,
            deadline: self.deadline,
            passengers: &self.passengers,
            contact: &self.contact,
            accept_no_seat: false,
            account: self.account.as_ref(),
        }
    }

    fn request(&self) -> SubmitOrderRequest<'_> {
        submit_request(&self.order(), now(), SubmitIdNumbering::default()).unwrap()
    }

    fn violations(&self) -> Vec<(String, String)> {
        submit_request(&self.order(), now(), SubmitIdNumbering::default())
            .unwrap_err()
            .violations
            .into_iter()
            .map(|violation| (violation.field, violation.description))
            .collect()
    }

    fn fields(&self) -> Vec<String> {
        self.violations()
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }
}

#[test]
fn builds_a_one_train_order_as_the_seed_asks() {
    let fixture = Fixture::new();
    let request = fixture.request();
    assert_eq!(request.query_key, KEY);
    assert_eq!(request.out_order_no, "rg2026112001");
    assert_eq!(request.ticket_model, Some(TicketModel::Proxy));
    assert_eq!((request.account_no, request.account_pwd), (None, None));
    assert_eq!(request.train_nos, ["G7066"]);
    assert_eq!(request.seat_class_codes, ["secondseat"]);
    assert_eq!(request.main_train_no, "G7066");
    assert_eq!(request.main_seat_class, "secondseat");
    assert_eq!(request.from_station, "上海西");
    assert_eq!(request.to_station, "苏州园区");
    // One train: the main train's departure time.
    assert_eq!(request.depart_date, "2026-11-24 09:02");
    // 10:00 UTC is 18:00 in Shanghai.
    assert_eq!(request.close_time, "2026-11-23 18:00:00");
    assert!(!request.accept_no_seat);
    assert_eq!(request.person, "李四");
    assert_eq!(request.cellphone, "15712340587");
    let [passenger] = request.passengers.as_slice() else {
        panic!("one passenger");
    };
    assert_eq!(passenger.passenger_name, "张三");
    assert_eq!(passenger.passenger_type, 1);
    assert_eq!(passenger.id_card_type, 0, "zero-based in submitOrder");
    assert_eq!(passenger.id_card_no, "11010519491231002X");
    assert_eq!(passenger.birthday.as_deref(), Some("1949-12-31"));
    // The dictionary's reading, when Juhe confirms it, is a setting.
    let one_based = submit_request(&fixture.order(), now(), SubmitIdNumbering::OneBased).unwrap();
    assert_eq!(one_based.passengers[0].id_card_type, 1);
}

#[test]
fn alternatives_add_their_trains_and_classes_once() {
    let mut fixture = Fixture::new();
    fixture.alternatives = vec![
        offer("G7068", SeatClass::Second, "2026-11-24T10:02:00"),
        offer("G7066", SeatClass::First, "2026-11-24T09:02:00"),
        offer("G7068", SeatClass::First, "2026-11-24T10:02:00"),
    ];
    let request = fixture.request();
    assert_eq!(request.train_nos, ["G7066", "G7068"]);
    assert_eq!(request.seat_class_codes, ["secondseat", "firstseat"]);
    assert_eq!(request.main_train_no, "G7066");
    assert_eq!(request.main_seat_class, "secondseat");
    // Several trains with several classes: the main train's time.
    assert_eq!(request.depart_date, "2026-11-24 09:02");
}

#[test]
fn several_trains_in_one_class_send_the_date_only() {
    let mut fixture = Fixture::new();
    fixture.alternatives = vec![offer("G7068", SeatClass::Second, "2026-11-24T10:02:00")];
    assert_eq!(fixture.request().depart_date, "2026-11-24");
    fixture.alternatives = vec![offer("G7066", SeatClass::First, "2026-11-24T09:02:00")];
    assert_eq!(
        fixture.request().depart_date,
        "2026-11-24 09:02",
        "one train with two classes is still one train"
    );
}

#[test]
fn a_wanted_berth_picks_the_sleeper_code_and_spares_seats() {
    let mut fixture = Fixture::new();
    fixture.main = offer("K289", SeatClass::HardSleeper, "2026-11-24T04:30:00");
    fixture.alternatives = vec![
        offer("K289", SeatClass::SoftSleeper, "2026-11-24T04:30:00"),
        offer("K289", SeatClass::HardSeat, "2026-11-24T04:30:00"),
    ];
    fixture.deadline = "2026-11-23T12:00:00Z".parse().unwrap();
    fixture.berth = Some(Berth::Upper);
    let request = fixture.request();
    assert_eq!(
        request.seat_class_codes,
        ["hardsleeperup", "softsleeperup", "hardseat"]
    );
    assert_eq!(request.main_seat_class, "hardsleeperup");
    fixture.berth = None;
    assert_eq!(
        fixture.request().seat_class_codes,
        ["hardsleeperdown", "softsleeperdown", "hardseat"],
        "as search lists the sleepers"
    );
    // Offers quoted for a berth book that berth unless the caller wants
    // another.
    fixture.main.berth = Some(Berth::Upper);
    fixture.alternatives[0].berth = Some(Berth::Upper);
    assert_eq!(
        fixture.request().seat_class_codes,
        ["hardsleeperup", "softsleeperup", "hardseat"],
        "the berth Search quoted"
    );
    fixture.berth = Some(Berth::Lower);
    assert_eq!(
        fixture.request().seat_class_codes,
        ["hardsleeperdown", "softsleeperdown", "hardseat"],
        "the caller's berth wins"
    );
}

#[test]
fn berths_juhe_cannot_name_are_refused() {
    let mut fixture = Fixture::new();
    fixture.berth = Some(Berth::Middle);
    assert_eq!(fixture.fields(), ["berth"]);
    fixture.main = offer("K289", SeatClass::SoftSleeper, "2026-11-24T04:30:00");
    fixture.deadline = "2026-11-23T12:00:00Z".parse().unwrap();
    assert_eq!(
        fixture.violations(),
        [(
            "main".to_owned(),
            "Juhe cannot grab the Middle berth of SoftSleeper".to_owned()
        )]
    );
}

#[test]
fn self_purchase_sends_the_account() {
    let mut fixture = Fixture::new();
    fixture.account = Some(TrainAccount {
        account: SecretString::from("rail-user"),
        password: SecretString::from("rail-pass"),
    });
    let request = fixture.request();
    assert_eq!(request.ticket_model, Some(TicketModel::SelfPurchase));
    assert_eq!(request.account_no, Some("rail-user"));
    assert_eq!(request.account_pwd, Some("rail-pass"));
    fixture.account = Some(TrainAccount {
        account: SecretString::from("rail-user"),
        password: SecretString::from(""),
    });
    assert_eq!(fixture.fields(), ["account"]);
}

#[test]
fn lists_every_problem_at_once() {
    let mut fixture = Fixture::new();
    fixture.out_order_no = "rg-1";
    // Leaves at 10:30 today, two and a half hours from now.
    fixture.main = offer("G7066", SeatClass::Second, "2026-11-20T10:30:00");
    let mut panhe = offer("G1", SeatClass::Second, "2026-11-24T07:00:00");
    panhe.provider = ProviderId::Panhe;
    panhe.provider_key = None;
    let mut elsewhere = offer("G7070", SeatClass::EmuSleeper, "2026-11-24T11:00:00");
    elsewhere.to_station = "苏州".into();
    elsewhere.provider_key = Some("another-search".into());
    fixture.alternatives = vec![panhe, elsewhere];
    fixture.deadline = "2026-11-19T00:00:00Z".parse().unwrap();
    fixture.passengers = vec![
        adult(),
        passenger(
            "王五",
            "E12345678",
            PassengerType::Student,
            IdType::Passport,
        ),
        passenger(
            "赵六",
            "110105194912310021",
            PassengerType::DisabledMilitary,
            IdType::ResidentIdCard,
        ),
        passenger(
            "Ann Lee",
            "A1234567",
            PassengerType::Adult,
            IdType::ForeignPermanentResidentId,
        ),
        adult(),
        adult(),
    ];
    fixture.contact = contact("+85291234578");
    let fields = fixture.fields();
    assert_eq!(
        fields,
        [
            "out_order_no",
            "main",
            "alternatives[0]",
            "alternatives[1]",
            "alternatives[1]",
            "alternatives[1]",
            "deadline",
            "passengers",
            "passengers[1].passenger_type",
            "passengers[2].passenger_type",
            "passengers[3].id_type",
            "contact.phone",
        ]
    );
    let error = submit_request(&fixture.order(), now(), SubmitIdNumbering::default()).unwrap_err();
    let shown = error.to_string();
    assert!(shown.starts_with("Juhe would refuse this grab order: out_order_no: "));
    assert!(shown.contains("G7066 leaves at 2026-11-20 10:30, less than 3 hours"));
    assert!(shown.contains("6 passengers: a Juhe grab order takes at most 5"));
    assert!(shown.contains("not student"));
    assert!(shown.contains("does not take foreign_permanent_resident_id"));
    for personal in [
        "张三",
        "王五",
        "Ann Lee",
        "11010519491231002X",
        "E12345678",
        "852912",
        "李四",
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
}

#[test]
fn the_deadline_must_fall_before_the_main_train_leaves() {
    let mut fixture = Fixture::new();
    fixture.deadline = "2026-11-24T01:03:00Z".parse().unwrap();
    assert_eq!(
        fixture.violations(),
        [(
            "deadline".to_owned(),
            "must not be after the main train leaves (2026-11-24 09:02)".to_owned()
        )]
    );
    fixture.deadline = "2026-11-24T01:02:00Z".parse().unwrap();
    assert_eq!(fixture.request().close_time, "2026-11-24 09:02:00");
}

#[test]
fn three_hours_ahead_is_just_enough() {
    let mut fixture = Fixture::new();
    fixture.main = offer("G7066", SeatClass::Second, "2026-11-20T11:00:00");
    fixture.deadline = "2026-11-20T02:00:00Z".parse().unwrap();
    assert_eq!(fixture.request().main_train_no, "G7066");
    fixture.main = offer("G7066", SeatClass::Second, "2026-11-20T10:59:00");
    assert_eq!(fixture.fields(), ["main"]);
}

#[test]
fn an_offer_without_a_query_key_cannot_be_grabbed() {
    let mut fixture = Fixture::new();
    fixture.main.provider_key = None;
    assert_eq!(
        fixture.violations(),
        [(
            "main".to_owned(),
            "carries no Juhe queryKey: search again".to_owned()
        )]
    );
    fixture.passengers.clear();
    assert_eq!(fixture.fields(), ["main", "passengers"]);
}
