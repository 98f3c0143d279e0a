//! Panhe booking calls: create (hold seats), confirm (pay), cancel, refund,
//! change, and order detail. Requests are built from the neutral order
//! record; answers go back through `order_sync`.

use super::client::unwrap_answer;
use super::codes::duplicate_order;
use super::mapping::seat_class_to_code;
use super::order_sync::{id_type_to_code, passenger_type_to_code, sex_to_code};
use super::order_wire::{
    ApplyChangeRequest, CancelChangeRequest, CancelOrderRequest, ConfirmChangeRequest,
    ConfirmOrderRequest, CreateOrderData, CreateOrderRequest, OrderDetail, OrderDetailRequest,
    PassengerRequest, RefundTicketInfo, RefundTicketRequest,
};
use super::sign::{pay_amount, payment_sign};
use super::wire::BareEnvelope;
use super::{PROVIDER, PanheAdapter};
use crate::domain::{Berth, Fen, Offer, Order, Ticket};
use crate::providers::ProviderError;
use secrecy::{ExposeSecret, SecretString};

const MINUTES: &str = "%Y-%m-%d %H:%M";
const DATE: &str = "%Y-%m-%d";

/// The 12306 credentials of a booking, already in the form the provider
/// wants. Panhe takes them as ciphertext; the cipher is pluggable
/// ([`super::credentials`]) because the seed does not name it.
pub struct TrainCredentials {
    /// Account, encrypted.
    pub account: SecretString,
    /// Password, encrypted.
    pub password: SecretString,
}

/// Where Panhe calls back, per order.
pub struct CallbackUrls<'a> {
    /// Order status changes.
    pub order: Option<&'a str>,
    /// Refund results.
    pub refund: Option<&'a str>,
}

/// What 申请改签 needs.
pub struct ChangeApplication<'a> {
    /// Panhe's order number.
    pub provider_order_no: &'a str,
    /// Ticket numbers to change together.
    pub ticket_nos: &'a [&'a str],
    /// The new train, stations, times and seat class.
    pub offer: &'a Offer,
    /// Seats to choose, one per ticket.
    pub seat_choices: &'a [String],
    /// Berths wanted, one per ticket (sleepers).
    pub berths: &'a [Berth],
    /// Accept standing tickets.
    pub accept_standing: bool,
    /// Required by Panhe.
    pub remark: &'a str,
    /// Change status callback URL.
    pub callback_url: Option<&'a str>,
}

/// What createOrder did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// A new order: Panhe's order number.
    Created(String),
    /// Refused because an order with this customerOrderNo exists already
    /// (an earlier send arrived): nothing new was booked. Panhe's number of
    /// that order, if the refusal named it.
    Duplicate {
        /// The existing order's number.
        existing_order_no: Option<String>,
    },
}

/// Seat choice and standing for a booking.
pub struct SeatPreferences<'a> {
    /// One per passenger, e.g. "1A".
    pub seat_choices: &'a [String],
    /// Accept a standing ticket.
    pub accept_standing: bool,
}

impl PanheAdapter {
    /// 创单占座: holds seats for `order`. Returns Panhe's order number; the
    /// hold itself completes asynchronously. Sending the same order again
    /// is safe: Panhe refuses a repeated customerOrderNo, which comes back
    /// as [`CreateOutcome::Duplicate`].
    pub async fn create_order(
        &self,
        order: &Order,
        credentials: &TrainCredentials,
        preferences: &SeatPreferences<'_>,
        callbacks: &CallbackUrls<'_>,
    ) -> Result<CreateOutcome, ProviderError> {
        let contact = order
            .contact
            .as_ref()
            .ok_or_else(|| invalid("a contact is required"))?;
        let passengers = order
            .tickets
            .iter()
            .map(passenger_request)
            .collect::<Result<Vec<_>, _>>()?;
        let request = CreateOrderRequest {
            customer_order_no: &order.customer_order_no,
            contact_name: contact.name.expose(),
            contact_mobile: contact.phone.expose(),
            train_code: &order.train_code,
            from_station: &order.from_station.name,
            to_station: &order.to_station.name,
            from_date_time: order.departure.format(MINUTES).to_string(),
            to_date_time: order.arrival.format(MINUTES).to_string(),
            train_account: credentials.account.expose_secret(),
            train_password: credentials.password.expose_secret(),
            is_choose_seats: !preferences.seat_choices.is_empty(),
            choose_seats: (!preferences.seat_choices.is_empty())
                .then(|| preferences.seat_choices.concat()),
            choose_sleeper: choose_sleeper(&order.tickets),
            is_accept_standing: preferences.accept_standing,
            call_back_url: callbacks.order,
            refund_ticket_callback_url: callbacks.refund,
            passengers,
        };
        let path = &self.client.paths.create_order;
        let body = self.client.post(path, &request).await?;
        create_outcome(&body, path, &request, &order.customer_order_no)
    }

    /// 确认出票: pays `amount` for the held order (signed).
    pub async fn confirm_order(
        &self,
        provider_order_no: &str,
        amount: Fen,
        secret_key: &SecretString,
    ) -> Result<(), ProviderError> {
        let amount = pay_amount(amount.to_yuan());
        let request = ConfirmOrderRequest {
            order_no: provider_order_no,
            pay_amount: Some(amount),
            sign: payment_sign(secret_key, provider_order_no, Some(amount)),
        };
        self.accepted(&self.client.paths.confirm_order, &request)
            .await
    }

    /// 取消订单.
    pub async fn cancel_order(&self, provider_order_no: &str) -> Result<(), ProviderError> {
        let request = CancelOrderRequest {
            order_no: provider_order_no,
        };
        self.accepted(&self.client.paths.cancel_order, &request)
            .await
    }

    /// 退票: one ticket per call, as Panhe requires.
    pub async fn refund_ticket(
        &self,
        provider_order_no: &str,
        ticket: &Ticket,
        remark: Option<&str>,
    ) -> Result<(), ProviderError> {
        let ticket_no = ticket
            .ticket_number
            .as_deref()
            .ok_or_else(|| invalid("the ticket has no ticket number yet"))?;
        let request = RefundTicketRequest {
            order_no: provider_order_no,
            tickets: [RefundTicketInfo {
                name: ticket.passenger.name.expose(),
                ticket_no,
                card_type: id_type_to_code(ticket.passenger.id_type),
                card_no: ticket.passenger.id_number.expose(),
            }],
            remark,
        };
        self.accepted(&self.client.paths.refund_ticket, &request)
            .await
    }

    /// 申请改签: holds new seats for `ticket_nos` on the offer's train.
    /// Returns Panhe's change number.
    pub async fn apply_change(
        &self,
        application: &ChangeApplication<'_>,
    ) -> Result<String, ProviderError> {
        let offer = application.offer;
        let request = ApplyChangeRequest {
            order_no: application.provider_order_no,
            change_psg_ticket_nos: application.ticket_nos.join("|"),
            from_station: &offer.from_station,
            to_station: &offer.to_station,
            train_code: &offer.train_code,
            seat_type: seat_class_to_code(offer.seat_class),
            from_date_time: offer.departure.format(MINUTES).to_string(),
            to_date_time: offer.arrival.format(MINUTES).to_string(),
            is_choose_seats: !application.seat_choices.is_empty(),
            choose_seats: (!application.seat_choices.is_empty())
                .then(|| application.seat_choices.concat()),
            choose_sleeper: berth_counts(application.berths),
            is_accept_standing: application.accept_standing,
            remark: application.remark,
            call_back_url: application.callback_url,
        };
        self.client
            .call(&self.client.paths.apply_change, &request)
            .await
    }

    /// 确认改签: pays `need_to_pay` (when above zero, signed with it).
    pub async fn confirm_change(
        &self,
        provider_order_no: &str,
        change_no: &str,
        need_to_pay: Fen,
        secret_key: &SecretString,
    ) -> Result<(), ProviderError> {
        let amount = (need_to_pay.get() > 0).then(|| pay_amount(need_to_pay.to_yuan()));
        let request = ConfirmChangeRequest {
            order_no: provider_order_no,
            cha_no: change_no,
            pay_amount: amount,
            sign: payment_sign(secret_key, change_no, amount),
        };
        self.accepted(&self.client.paths.confirm_change, &request)
            .await
    }

    /// 取消改签.
    pub async fn cancel_change(&self, change_no: &str, remark: &str) -> Result<(), ProviderError> {
        let request = CancelChangeRequest {
            cha_no: change_no,
            remark,
        };
        self.accepted(&self.client.paths.cancel_change, &request)
            .await
    }

    /// 查询订单详情.
    pub async fn order_detail(
        &self,
        provider_order_no: &str,
    ) -> Result<OrderDetail, ProviderError> {
        let request = OrderDetailRequest {
            order_no: provider_order_no,
        };
        self.client
            .call(&self.client.paths.order_detail, &request)
            .await
    }

    /// Calls an endpoint whose `data` is `true` on acceptance.
    async fn accepted<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), ProviderError> {
        let answer = self.client.post(path, body).await?;
        acceptance(&answer, path, body)
    }
}

/// Reads the createOrder answer `body` to `request` (sent to `path`) for
/// the order `customer_order_no`: Panhe's new order number, or a refusal
/// of that number as a duplicate. (What [`PanheAdapter::create_order`]
/// does with an answer; public for the fuzz targets, `crate::fuzzing`.)
pub fn create_outcome<B: serde::Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
    customer_order_no: &str,
) -> Result<CreateOutcome, ProviderError> {
    // Read before unwrapping: the rejection's message comes out masked,
    // and masking blurs the order number a duplicate refusal names.
    if let Some(duplicate) = duplicate_refusal(body, customer_order_no) {
        return Ok(duplicate);
    }
    let data: CreateOrderData = unwrap_answer(body, path, request)?;
    Ok(CreateOutcome::Created(data.order_no))
}

/// Reads the answer `body` of an endpoint whose `data` is `true` on
/// acceptance (confirm, cancel, refund, confirm and cancel a change).
/// (Public for the fuzz targets, `crate::fuzzing`.)
pub fn acceptance<B: serde::Serialize>(
    body: &[u8],
    path: &str,
    request: &B,
) -> Result<(), ProviderError> {
    let accepted: Option<bool> = unwrap_answer(body, path, request)?;
    match accepted {
        Some(false) => Err(ProviderError::Rejected {
            provider: PROVIDER,
            reason: crate::providers::RejectReason::Other,
            code: None,
            message: "the provider answered success with data false".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// A createOrder answer that refuses `customer_order_no` as a duplicate.
fn duplicate_refusal(body: &[u8], customer_order_no: &str) -> Option<CreateOutcome> {
    let envelope: BareEnvelope = serde_json::from_slice(body).ok()?;
    if envelope.success {
        return None;
    }
    let duplicate = duplicate_order(envelope.msg.as_deref()?, customer_order_no)?;
    Some(CreateOutcome::Duplicate {
        existing_order_no: duplicate.existing_order_no,
    })
}

fn passenger_request(ticket: &Ticket) -> Result<PassengerRequest<'_>, ProviderError> {
    let passenger = &ticket.passenger;
    let mobile = passenger
        .phone
        .as_ref()
        .ok_or_else(|| invalid("Panhe requires a mobile number for every passenger"))?;
    Ok(PassengerRequest {
        name: passenger.name.expose(),
        card_type: id_type_to_code(passenger.id_type),
        card_no: passenger.id_number.expose(),
        mobile: mobile.expose(),
        ticket_type: passenger_type_to_code(passenger.passenger_type),
        seat_type: seat_class_to_code(ticket.seat_class),
        birthday: passenger
            .birth_date
            .map(|date| date.format(DATE).to_string()),
        card_valid_end_date: passenger
            .id_expiry_date
            .map(|date| date.format(DATE).to_string()),
        sex: passenger.sex.map(sex_to_code),
        country_code: passenger.country_code.as_deref(),
    })
}

/// "lower middle upper" counts as three digits ("201"); "000" for none.
fn choose_sleeper(tickets: &[Ticket]) -> String {
    let berths: Vec<Berth> = tickets.iter().filter_map(|ticket| ticket.berth).collect();
    berth_counts(&berths)
}

fn berth_counts(berths: &[Berth]) -> String {
    let count = |berth: Berth| {
        berths
            .iter()
            .filter(|wanted| **wanted == berth)
            .count()
            .min(9)
    };
    format!(
        "{}{}{}",
        count(Berth::Lower),
        count(Berth::Middle),
        count(Berth::Upper)
    )
}

fn invalid(message: &str) -> ProviderError {
    ProviderError::Rejected {
        provider: PROVIDER,
        reason: crate::providers::RejectReason::InvalidRequest,
        code: None,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IdNumber, IdType, Passenger, PassengerType, PersonName, SeatClass};

    fn ticket(berth: Option<Berth>) -> Ticket {
        let passenger = Passenger {
            name: PersonName::new("张三".into()).unwrap(),
            id_type: IdType::ResidentIdCard,
            id_number: IdNumber::new("11010519491231002X".into()).unwrap(),
            passenger_type: PassengerType::Adult,
            phone: None,
            birth_date: None,
            sex: None,
            country_code: None,
            id_expiry_date: None,
        };
        Ticket::new(passenger, SeatClass::HardSleeper, berth)
    }

    #[test]
    fn sleeper_choice_counts_lower_middle_upper() {
        let tickets = [
            ticket(Some(Berth::Lower)),
            ticket(Some(Berth::Lower)),
            ticket(Some(Berth::Upper)),
            ticket(None),
        ];
        assert_eq!(choose_sleeper(&tickets), "201");
        assert_eq!(choose_sleeper(&[ticket(None)]), "000");
    }

    #[test]
    fn passengers_without_a_phone_are_refused_before_calling() {
        let error = passenger_request(&ticket(None)).unwrap_err();
        assert!(matches!(
            error,
            ProviderError::Rejected {
                reason: crate::providers::RejectReason::InvalidRequest,
                ..
            }
        ));
    }

    #[test]
    fn duplicate_refusals_are_read_from_the_unmasked_message() {
        let body = r#"{"data":null,"success":false,"msg":"重复下单:商户订单号RGabc已存在,订单号T26050110000010001"}"#;
        assert_eq!(
            duplicate_refusal(body.as_bytes(), "RGabc"),
            Some(CreateOutcome::Duplicate {
                existing_order_no: Some("T26050110000010001".to_owned())
            })
        );
        let other = r#"{"data":null,"success":false,"msg":"余票不足,占座失败"}"#;
        assert_eq!(duplicate_refusal(other.as_bytes(), "RGabc"), None);
        let created = r#"{"data":{"orderNo":"T1"},"success":true,"msg":"重复下单"}"#;
        assert_eq!(duplicate_refusal(created.as_bytes(), "RGabc"), None);
        assert_eq!(duplicate_refusal(b"<html>", "RGabc"), None);
    }
}
