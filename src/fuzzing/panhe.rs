//! Panhe's answers, read by the adapter's own readers: 余票查询 and the
//! stops, order detail (applied to orders), the mutating calls' answers,
//! and the 12306 account answers.

use super::samples::panhe_orders;
use crate::domain::Offer;
use crate::providers::SearchAnswer;
use crate::providers::panhe::client::{unwrap_acknowledgement, unwrap_answer, unwrap_envelope};
use crate::providers::panhe::order_sync::apply_detail;
use crate::providers::panhe::order_wire::{OrderDetail, OrderDetailRequest};
use crate::providers::panhe::wire::{QueryTicketsRequest, StationEntry, StopStation};
use crate::providers::panhe::{accounts, booking, search_answer, stops_from_wire};
use crate::stations::StationDirectory;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// 余票查询 and 经停站查询 answers: trains with their offer ids, stops.
/// Every offer id written for an accepted answer must decode to its train
/// and seat class.
pub fn panhe_search(data: &[u8]) {
    let stations = StationDirectory::embedded();
    let request = QueryTicketsRequest {
        from_station: "苏州北",
        to_station: "昆山南",
        from_date: "2024-01-27".to_owned(),
    };
    if let Ok(answer) = search_answer(data, "/queryTickets", &request, stations) {
        check_offer_ids(&answer);
    }
    if let Ok(stops) = unwrap_envelope::<Vec<StopStation>>(data, "/stopStationsV2") {
        let _ = stops_from_wire(stops, stations);
    }
    let _ = unwrap_envelope::<Vec<StationEntry>>(data, "/stationList");
}

/// The offer ids of a search answer read back as the offers they stand for.
pub(super) fn check_offer_ids(answer: &SearchAnswer) {
    for train in &answer.trains {
        for seat in &train.seats {
            let offer = Offer::decode(&seat.offer_id)
                .unwrap_or_else(|error| panic!("an offer id of a search does not decode: {error}"));
            assert_eq!(offer.seat_class, seat.seat_class, "offer id's seat class");
            assert_eq!(offer.provider, seat.provider, "offer id's provider");
            assert_eq!(offer.train_code, train.train_code, "offer id's train");
            assert_eq!(offer.departure, train.departure, "offer id's departure");
            assert_eq!(offer.arrival, train.arrival, "offer id's arrival");
        }
    }
}

/// 查询订单详情: the answer, applied to a just-booked, a held and an issued
/// order (ticket matching, status machine, changes, amounts).
pub fn panhe_order_detail(data: &[u8]) {
    let request = OrderDetailRequest {
        order_no: "T24012512251820419",
    };
    let Ok(detail) = unwrap_answer::<OrderDetail, _>(data, "/orderDetail", &request) else {
        return;
    };
    for mut order in panhe_orders() {
        let _ = apply_detail(&mut order, &detail);
    }
}

/// What railgate sends with each mutating call, as far as a refusal's
/// classification reads it (the values a refusal may quote).
static CREATE_REQUEST: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "customerOrderNo": "123456000",
        "contactName": "张三",
        "contactMobile": "18754683215",
        "trainCode": "G7199",
        "fromStation": "苏州北",
        "toStation": "昆山南",
        "fromDateTime": "2024-01-27 06:57",
        "toDateTime": "2024-01-27 07:08",
        "trainAccount": "account",
        "trainPassword": "password",
        "chooseSleeper": "000",
        "passengers": [{
            "name": "李三",
            "cardType": 1,
            "cardNo": "341122199202021958",
            "mobile": "18754683215",
            "ticketType": 1,
            "seatType": 4
        }]
    })
});

static CHANGE_REQUEST: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "orderNo": "T24012512251820419",
        "changePsgTicketNos": "EF48476727103001A",
        "fromStation": "苏州",
        "toStation": "昆山",
        "trainCode": "K289",
        "seatType": 1,
        "fromDateTime": "2024-01-30 04:30",
        "toDateTime": "2024-01-30 04:58",
        "chooseSleeper": "000",
        "remark": "改签"
    })
});

/// The answers of createOrder (a new order number or a duplicate
/// refusal), of the calls answered `data: true` (confirm, cancel, refund,
/// confirm and cancel a change) and of 申请改签 (a change number).
pub fn panhe_mutation(data: &[u8]) {
    let _ = booking::create_outcome(data, "/createOrder", &*CREATE_REQUEST, "123456000");
    let order = json!({ "orderNo": "T24012512251820419", "payAmount": 38.5, "sign": "0" });
    let _ = booking::acceptance(data, "/confirmOrder", &order);
    let refund = json!({
        "orderNo": "T24012512251820419",
        "tickets": [{ "name": "李三", "ticketNo": "EF48476727103001A", "cardType": 1,
                      "cardNo": "341122199202021958" }]
    });
    let _ = booking::acceptance(data, "/refundTicket", &refund);
    let _ = unwrap_answer::<String, _>(data, "/applyChange", &*CHANGE_REQUEST);
}

/// The 12306 account answers: registration, login check, frequent
/// passengers listed, saved and deleted, and the calls answered only with
/// success (SMS and face checks, passwords, the holder's details).
pub fn panhe_account(data: &[u8]) {
    let account = json!({ "trainAccount": "account", "trainPassword": "password" });
    let person = json!({
        "trainAccount": "account",
        "trainPassword": "password",
        "name": "张飞",
        "cardType": 1,
        "cardNo": "34112219900101196X",
        "mobile": "18754683215",
        "passengerType": 1
    });
    let _ = accounts::registration(data, "/register", &person);
    let _ = accounts::login_check(data, "/checkLogin", &account);
    let _ = accounts::listed_passengers(data, "/passengers", &account);
    let _ = accounts::passenger_saved(data, "/savePassenger", &person);
    let _ = accounts::deletion(data, "/deletePassenger", &person);
    let _ = unwrap_acknowledgement(data, "/verifySms", &account);
}
