//! orderDetail.php in both of seed 000's shapes, field for field and in
//! their order:
//!
//! - without `issue` (or `issue=0`): the grab view (`status` letter,
//!   `departDate`/`grabEndTime` as `yyyy-MM-ddTHH:mm:ss`, numbers where the
//!   example has numbers);
//! - with `issue=1`: the ticket view (`orderStateCode`, passengers with
//!   `passengerId` for refunds, strings where the example has strings).
//!   "若加上此参数则没有抢票的状态": N, B and D all show as N there.
//!
//! Id numbers and mobiles are masked as the examples show them
//! (`320382XXXXXXXX3916`, `1599XXXXXXX`, `1599****577`); names are not.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::model::{Order, mask_id, mask_phone_stars, mask_phone_x};
use crate::juhe::SimState;
use crate::juhe::codes::{OrderStatus, SEAT_CLASS_CODES, SeatCode, seat_name, sold_code};
use crate::juhe::params::Params;
use crate::juhe::wire::{self, Envelope, Failure, yuan, yuan_short, yuan2};

/// `result` without `issue`: the grab view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrabDetail {
    pub status: &'static str,
    pub from_station: String,
    pub to_station: String,
    pub depart_date: String,
    pub order_no: String,
    /// The booked train once issued; before, the trains as submitted
    /// (`G1|G3`).
    pub train_no: String,
    /// The booked class's name once issued; before, the submitted classes'
    /// names (`二等座|一等座`).
    pub seat_class: String,
    pub passengers: Vec<GrabPassenger>,
    pub phone: String,
    /// The submitted main train and seat code, empty when only one train
    /// and one class were submitted (as in the seed's example).
    pub main_train_no: String,
    pub fail_msg: String,
    pub main_seat_class: String,
    pub grab_end_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrabPassenger {
    pub passenger_name: String,
    pub passenger_type: u8,
    pub certificate_no: String,
    /// Yuan; 0 until issued, as in the seed's failed example.
    pub ticket_price: f64,
}

/// `result` with `issue=1`: the ticket view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedDetail {
    pub order_no: String,
    pub out_order_no: String,
    pub train_no: String,
    pub train_date: String,
    pub from_station: String,
    pub to_station: String,
    pub departure_time: String,
    pub arrival_time: String,
    pub order_state: &'static str,
    pub order_state_code: &'static str,
    pub failure_reason: String,
    pub book_time: String,
    pub pay_time: String,
    pub issue_time: String,
    pub pay_type: &'static str,
    pub order_price: String,
    pub ticket_no: String,
    pub place_time: String,
    pub pay_status: &'static str,
    pub pay_info: &'static str,
    pub passengers: Vec<IssuedPassenger>,
    pub contact_info: ContactInfo,
    pub postal_info: PostalInfo,
    pub juhe_service_fee: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedPassenger {
    pub passenger_id: String,
    pub passenger_name: String,
    pub passenger_type: String,
    /// The dictionary's 1-based idType.
    pub id_type: String,
    pub id_card: String,
    pub birthday: String,
    /// The seatClassCode (`hardseat`).
    pub seat_class: &'static str,
    pub seat_class_name: &'static str,
    pub seat_no: String,
    pub p_ticket_no: String,
    pub ticket_state_code: &'static str,
    pub ticket_state: &'static str,
    pub ticket_price: String,
    pub insure_unit_price: &'static str,
    pub insure_state: Option<String>,
    pub insure_bill_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactInfo {
    pub person: String,
    pub cellphone: String,
    pub email: String,
}

/// Always null, as the example's (可忽略) postal block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostalInfo {
    pub person: Option<String>,
    pub cellphone: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub zip: Option<String>,
}

/// orderDetail.php.
pub(in crate::juhe) fn order_detail(
    state: &SimState,
    params: &Params,
) -> Result<Response, Failure> {
    let out_order_no = params.required("outOrderNo")?;
    let issued = match params.optional("issue") {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(Failure::parameter("issue格式错误,应为0或1")),
    };
    let book = state.book();
    let order = book
        .orders
        .get(out_order_no)
        .ok_or_else(|| Failure::code(wire::ORDER_NOT_FOUND))?;
    Ok(if issued {
        Envelope::ok(self::issued(order)).into_response()
    } else {
        Envelope::ok(grab(order)).into_response()
    })
}

fn iso(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn time(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn code_name(code: SeatCode) -> &'static str {
    SEAT_CLASS_CODES
        .iter()
        .find(|(text, _)| SeatCode::parse(text) == Some(code))
        .map_or("", |(_, name)| *name)
}

fn code_text(code: SeatCode) -> &'static str {
    SEAT_CLASS_CODES
        .iter()
        .find(|(text, _)| SeatCode::parse(text) == Some(code))
        .map_or("", |(text, _)| *text)
}

/// The grab view of an order.
pub fn grab(order: &Order) -> GrabDetail {
    let ride = order.shown_ride();
    let issued = order.booked_ride.is_some();
    let sold = order
        .tickets
        .first()
        .and_then(|ticket| ticket.sold.as_ref());
    let (train_no, seat_class) = match sold {
        Some(sold) => (ride.train_code.clone(), seat_name(sold.seat).to_owned()),
        None => (
            order.train_nos.clone(),
            order
                .seat_codes
                .iter()
                .map(|code| code_name(*code))
                .collect::<Vec<_>>()
                .join("|"),
        ),
    };
    let single = order.rides.len() == 1 && order.seat_codes.len() == 1;
    GrabDetail {
        status: order.status.letter(),
        from_station: ride.from_station.clone(),
        to_station: ride.to_station.clone(),
        depart_date: iso(ride.depart),
        order_no: order.order_no.clone(),
        train_no,
        seat_class,
        passengers: order
            .tickets
            .iter()
            .map(|ticket| GrabPassenger {
                passenger_name: ticket.passenger.name.clone(),
                passenger_type: ticket.passenger.passenger_type,
                certificate_no: mask_id(&ticket.passenger.id_no),
                ticket_price: if issued { yuan(ticket.price_fen) } else { 0.0 },
            })
            .collect(),
        phone: mask_phone_x(&order.contact.cellphone),
        main_train_no: if single {
            String::new()
        } else {
            order.rides[order.main_ride].train_code.clone()
        },
        fail_msg: order
            .failure
            .as_ref()
            .map(|failure| failure.fail_msg.clone())
            .unwrap_or_default(),
        main_seat_class: if single {
            String::new()
        } else {
            code_text(order.main_seat).to_owned()
        },
        grab_end_time: iso(order.close_time),
    }
}

/// The ticket view of an order.
pub fn issued(order: &Order) -> IssuedDetail {
    let ride = order.shown_ride();
    let main = order.candidates[0];
    let (order_state, order_state_code) = match order.status {
        // The ticket view has no grab states.
        OrderStatus::Created | OrderStatus::Waiting | OrderStatus::Grabbing => {
            (OrderStatus::Created.name(), OrderStatus::Created.letter())
        }
        // The seed's example says 已出票 where the dictionary says
        // 抢票成功(出票成功).
        OrderStatus::Issued => ("已出票", "F"),
        other => (other.name(), other.letter()),
    };
    let issued_at = order.issued_at.map(time).unwrap_or_default();
    let issued = order.issued_at.is_some();
    IssuedDetail {
        order_no: order.order_no.clone(),
        out_order_no: order.out_order_no.clone(),
        train_no: ride.train_code.clone(),
        train_date: ride.date.to_string(),
        from_station: ride.from_station.clone(),
        to_station: ride.to_station.clone(),
        departure_time: time(ride.depart),
        arrival_time: time(ride.arrive),
        order_state,
        order_state_code,
        failure_reason: order
            .failure
            .as_ref()
            .map(|failure| failure.fail_msg.clone())
            .unwrap_or_default(),
        book_time: time(order.created_at),
        pay_time: issued_at.clone(),
        issue_time: issued_at.clone(),
        pay_type: if issued { "暂存单支付" } else { "" },
        order_price: yuan2(order.price_fen()),
        ticket_no: order.ticket_no.clone().unwrap_or_default(),
        place_time: issued_at,
        pay_status: "0",
        pay_info: "",
        passengers: order
            .tickets
            .iter()
            .map(|ticket| {
                let (seat, berth) = ticket
                    .sold
                    .as_ref()
                    .map_or((main.seat, main.berth), |sold| (sold.seat, sold.berth));
                IssuedPassenger {
                    passenger_id: ticket.passenger.passenger_id.to_string(),
                    passenger_name: ticket.passenger.name.clone(),
                    passenger_type: ticket.passenger.passenger_type.to_string(),
                    id_type: ticket.passenger.id_type.to_string(),
                    id_card: mask_id(&ticket.passenger.id_no),
                    birthday: ticket.passenger.birthday.clone(),
                    seat_class: sold_code(seat, berth),
                    seat_class_name: seat_name(seat),
                    seat_no: ticket
                        .sold
                        .as_ref()
                        .map(|sold| sold.seat_no.clone())
                        .unwrap_or_default(),
                    p_ticket_no: ticket
                        .sold
                        .as_ref()
                        .map(|sold| sold.p_ticket_no.clone())
                        .unwrap_or_default(),
                    ticket_state_code: ticket.state.letter(),
                    ticket_state: ticket.state.name(),
                    ticket_price: yuan2(ticket.price_fen),
                    insure_unit_price: "0.00",
                    insure_state: None,
                    insure_bill_no: None,
                }
            })
            .collect(),
        contact_info: ContactInfo {
            person: order.contact.person.clone(),
            cellphone: mask_phone_stars(&order.contact.cellphone),
            email: order.contact.email.clone(),
        },
        postal_info: PostalInfo {
            person: None,
            cellphone: None,
            province: None,
            city: None,
            district: None,
            address: None,
            zip: None,
        },
        juhe_service_fee: if issued {
            yuan_short(order.service_fee_fen)
        } else {
            "0".to_owned()
        },
    }
}
