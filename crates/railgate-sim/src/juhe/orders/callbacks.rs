//! addCallbackUrl.php and the callbacks it registers, with seed 001's
//! exact payloads: type 1 (占座和出票结果合并推送, success and failure),
//! type 2 (退票退款推送, success and failure) and type 3 (抢票过期推送).
//!
//! The seed does not say how a callback travels; the simulator POSTs the
//! payload as JSON and counts any 2xx as delivered, retrying anything else
//! four times after 15, 30, 60 and 120 s of provider time. A callback of a
//! type nobody registered is logged (url `None`) and not sent. Callbacks
//! carry no id of their own: a receiver deduplicates on orderNo, msgCode
//! and (for refunds) passengerId.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::model::{Order, Ticket, mask_id};
use crate::juhe::SimState;
use crate::juhe::codes::{callback_station_code, msg, seat_number};
use crate::juhe::params::Params;
use crate::juhe::wire::{CallbackUrlReply, Failure, SUCCESS_REASON, yuan_short, yuan2};

/// Backoff before each retry, provider time.
const RETRY_BACKOFF: [Duration; 4] = [
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
];

/// Most callback records kept for inspection.
const LOG_LIMIT: usize = 10_000;

/// Numbers callback records.
static RECORD_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// addCallbackUrl's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackType {
    /// 1: 占座和出票结果合并推送 (success and failure).
    IssueResult,
    /// 2: 退票退款推送.
    Refund,
    /// 3: 抢票过期推送.
    Expiry,
}

impl CallbackType {
    pub fn code(self) -> u8 {
        match self {
            CallbackType::IssueResult => 1,
            CallbackType::Refund => 2,
            CallbackType::Expiry => 3,
        }
    }

    pub(super) fn index(self) -> usize {
        usize::from(self.code() - 1)
    }

    fn parse(text: &str) -> Option<CallbackType> {
        match text {
            "1" => Some(CallbackType::IssueResult),
            "2" => Some(CallbackType::Refund),
            "3" => Some(CallbackType::Expiry),
            _ => None,
        }
    }
}

/// What happens to callbacks (tests script it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallbackMode {
    /// Send each once, retrying failures.
    #[default]
    Deliver,
    /// Send nothing (the records say `dropped`).
    Drop,
    /// Send each twice: once at once, and a stale copy later (twice the
    /// longest configured delay), after the next event's callback.
    DuplicateLate,
}

/// One callback and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackRecord {
    pub kind: CallbackType,
    /// The registered URL, or `None` when nobody registered the type.
    pub url: Option<String>,
    pub body: Value,
    /// POSTs made so far, copies included.
    pub attempts: u32,
    /// Whether a POST got a 2xx.
    pub delivered: bool,
    /// Whether it was dropped by [`CallbackMode::Drop`].
    pub dropped: bool,
    id: u64,
}

/// A callback to send.
#[derive(Debug, Clone)]
pub(super) struct Notice {
    kind: CallbackType,
    body: Value,
}

/// One passenger of a type 1 callback.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IssuedPassenger {
    passenger_name: String,
    passenger_type: String,
    card_type: String,
    card_no: String,
    passenger_id: String,
    seat_class: String,
    seat_no: String,
    price: String,
    p_ticket_no: String,
    service_charge: &'static str,
    insurance_charge: &'static str,
}

/// Type 1, in the seed's field order. A failure has nulls where the seed's
/// failure example has them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IssueResultBody {
    order_no: String,
    out_order_no: String,
    msg_code: &'static str,
    msg_info: &'static str,
    from_station_code: Option<String>,
    to_station_code: Option<String>,
    departure_time: Option<String>,
    arrival_time: Option<String>,
    train_no: Option<String>,
    ticket_no: Option<String>,
    order_amount: Option<String>,
    from_station: Option<String>,
    to_station: Option<String>,
    issue_time: String,
    mail_charge: Option<&'static str>,
    msg_detail: Option<String>,
    passengers: Vec<IssuedPassenger>,
    is_changed_order: &'static str,
    original_order_no: &'static str,
    changed_type: &'static str,
    service_charge: &'static str,
    change_price_diff: &'static str,
    juhe_service_fee: String,
}

/// Type 3.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpiryBody {
    msg_code: &'static str,
    msg_info: &'static str,
    order_no: String,
    out_order_no: String,
}

/// One passenger of a type 2 callback.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundPassenger {
    passenger_id: String,
    p_ticket_no: String,
    passenger_name: String,
    passenger_type: String,
    card_type: String,
    /// Empty in both of the seed's refund examples.
    card_no: &'static str,
    refund_price: String,
}

/// Type 2, in the seed's success example's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundBody {
    order_no: String,
    out_order_no: String,
    refund_time: String,
    refund_price: String,
    refund_type: &'static str,
    passengers: Vec<RefundPassenger>,
    msg_code: &'static str,
    msg_info: &'static str,
}

fn time(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Notice {
    /// Type 1: the grab's result (F or U).
    pub fn issue_result(order: &Order) -> Notice {
        let issued = order.failure.is_none();
        let (msg_code, msg_info, msg_detail) = match &order.failure {
            None => (msg::ISSUED.0, msg::ISSUED.1, None),
            Some(failure) => (
                failure.msg_code,
                failure.msg_info,
                failure.msg_detail.clone(),
            ),
        };
        let ride = order.shown_ride();
        let main = order.candidates[0];
        let passengers = order
            .tickets
            .iter()
            .map(|ticket| IssuedPassenger {
                passenger_name: ticket.passenger.name.clone(),
                passenger_type: ticket.passenger.passenger_type.to_string(),
                card_type: ticket.passenger.id_type.to_string(),
                card_no: mask_id(&ticket.passenger.id_no),
                passenger_id: ticket.passenger.passenger_id.to_string(),
                seat_class: ticket
                    .sold
                    .as_ref()
                    .map_or_else(
                        || seat_number(main.seat, main.berth),
                        |sold| seat_number(sold.seat, sold.berth),
                    )
                    .to_string(),
                seat_no: ticket
                    .sold
                    .as_ref()
                    .map(|sold| sold.seat_no.clone())
                    .unwrap_or_default(),
                price: yuan2(ticket.price_fen),
                p_ticket_no: ticket
                    .sold
                    .as_ref()
                    .map(|sold| sold.p_ticket_no.clone())
                    .unwrap_or_default(),
                service_charge: "0",
                insurance_charge: "0.00",
            })
            .collect();
        let when_issued = |value: String| issued.then_some(value);
        let body = IssueResultBody {
            order_no: order.order_no.clone(),
            out_order_no: order.out_order_no.clone(),
            msg_code,
            msg_info,
            // Numeric, as in the seed's example; search's are pinyin.
            from_station_code: callback_station_code(&ride.from_station).filter(|_| issued),
            to_station_code: callback_station_code(&ride.to_station).filter(|_| issued),
            departure_time: when_issued(time(ride.depart)),
            arrival_time: when_issued(time(ride.arrive)),
            train_no: when_issued(ride.train_code.clone()),
            ticket_no: order.ticket_no.clone(),
            order_amount: when_issued(yuan2(order.price_fen())),
            from_station: when_issued(ride.from_station.clone()),
            to_station: when_issued(ride.to_station.clone()),
            issue_time: order.issued_at.map(time).unwrap_or_default(),
            mail_charge: issued.then_some("0.00"),
            msg_detail,
            passengers,
            is_changed_order: "0",
            original_order_no: "",
            changed_type: "",
            service_charge: "",
            change_price_diff: "",
            juhe_service_fee: if issued {
                yuan_short(order.service_fee_fen)
            } else {
                "0".to_owned()
            },
        };
        Notice {
            kind: CallbackType::IssueResult,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }

    /// Type 3: the order expired.
    pub fn expired(order: &Order) -> Notice {
        let body = ExpiryBody {
            msg_code: msg::EXPIRED.0,
            msg_info: msg::EXPIRED.1,
            order_no: order.order_no.clone(),
            out_order_no: order.out_order_no.clone(),
        };
        Notice {
            kind: CallbackType::Expiry,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }

    /// Type 2: one ticket's refund ended, `refunded_fen` back (0 when it
    /// failed with `failure`'s msgCode).
    pub fn refund(
        order: &Order,
        ticket: &Ticket,
        refunded_fen: u32,
        failure: Option<(&'static str, &'static str)>,
        at: chrono::NaiveDateTime,
    ) -> Notice {
        let (msg_code, msg_info) = failure.unwrap_or(msg::REFUNDED);
        let body = RefundBody {
            order_no: order.order_no.clone(),
            out_order_no: order.out_order_no.clone(),
            refund_time: time(at),
            refund_price: yuan2(refunded_fen),
            refund_type: "online",
            passengers: vec![RefundPassenger {
                passenger_id: ticket.passenger.passenger_id.to_string(),
                p_ticket_no: ticket
                    .sold
                    .as_ref()
                    .map(|sold| sold.p_ticket_no.clone())
                    .unwrap_or_default(),
                passenger_name: ticket.passenger.name.clone(),
                passenger_type: ticket.passenger.passenger_type.to_string(),
                card_type: ticket.passenger.id_type.to_string(),
                card_no: "",
                refund_price: yuan2(refunded_fen),
            }],
            msg_code,
            msg_info,
        };
        Notice {
            kind: CallbackType::Refund,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }
}

/// addCallbackUrl.php: register `url` for `type` (1, 2 or 3), replacing
/// what was registered; registering the same again changes nothing.
pub(in crate::juhe) fn add_callback_url(
    state: &SimState,
    params: &Params,
) -> Result<Response, Failure> {
    let url = params.required("url")?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Failure::parameter("url格式错误,应为http(s)地址"));
    }
    let kind = params.required("type")?;
    let kind = CallbackType::parse(kind)
        .ok_or_else(|| Failure::parameter(format!("type格式错误,应为1、2或3:{kind}")))?;
    state.book().callback_urls[kind.index()] = Some(url.to_owned());
    Ok(Json(CallbackUrlReply {
        error_code: 0,
        reason: SUCCESS_REASON,
        data: None,
    })
    .into_response())
}

impl SimState {
    /// Send callbacks in the background, as the callback mode says.
    pub(super) fn notify(self: &Arc<Self>, notices: Vec<Notice>) {
        for notice in notices {
            let url = self.callback_url(notice.kind);
            let id = RECORD_SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let mode = {
                let mut scripts = self.scripts();
                let mode = scripts.callback_mode;
                if scripts.callback_log.len() >= LOG_LIMIT {
                    scripts.callback_log.drain(..LOG_LIMIT / 10);
                }
                scripts.callback_log.push(CallbackRecord {
                    kind: notice.kind,
                    url: url.clone(),
                    body: notice.body.clone(),
                    attempts: 0,
                    delivered: false,
                    dropped: mode == CallbackMode::Drop,
                    id,
                });
                mode
            };
            let Some(url) = url else {
                tracing::debug!(kind = notice.kind.code(), "juhe sim callback has no url");
                continue;
            };
            match mode {
                CallbackMode::Drop => {
                    tracing::debug!(
                        kind = notice.kind.code(),
                        "juhe sim callback dropped (scripted)"
                    );
                }
                CallbackMode::Deliver => {
                    tokio::spawn(deliver(Arc::clone(self), id, url, notice.body));
                }
                CallbackMode::DuplicateLate => {
                    let config = &self.config;
                    let longest = config
                        .accept_delay
                        .max(config.start_delay)
                        .max(config.grab_interval)
                        .max(config.refund_delay);
                    let late = self.real_duration(longest * 2);
                    tokio::spawn(deliver(
                        Arc::clone(self),
                        id,
                        url.clone(),
                        notice.body.clone(),
                    ));
                    let state = Arc::clone(self);
                    tokio::spawn(async move {
                        tokio::time::sleep(late).await;
                        deliver(state, id, url, notice.body).await;
                    });
                }
            }
        }
    }

    fn update_callback(&self, id: u64, update: impl FnOnce(&mut CallbackRecord)) {
        let mut scripts = self.scripts();
        if let Some(record) = scripts
            .callback_log
            .iter_mut()
            .rev()
            .find(|record| record.id == id)
        {
            update(record);
        }
    }
}

/// POST `body` to `url` until a 2xx, with backoff.
async fn deliver(state: Arc<SimState>, id: u64, url: String, body: Value) {
    for attempt in 0..=RETRY_BACKOFF.len() {
        if attempt > 0 {
            let backoff = state.real_duration(RETRY_BACKOFF[attempt - 1]);
            tokio::time::sleep(backoff).await;
        }
        state.update_callback(id, |record| record.attempts += 1);
        match state.http.post(&url).json(&body).send().await {
            Ok(response) if response.status().is_success() => {
                state.update_callback(id, |record| record.delivered = true);
                return;
            }
            Ok(response) => {
                tracing::debug!(status = %response.status(), attempt, "juhe sim callback refused");
            }
            Err(error) => {
                tracing::debug!(error = %error.without_url(), attempt, "juhe sim callback failed");
            }
        }
    }
    // The URL may carry the receiver's secret: never logged.
    tracing::warn!("juhe sim callback undelivered after retries");
}
