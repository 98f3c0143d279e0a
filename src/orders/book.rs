//! Book: record the order, hold seats at the provider, and answer; and
//! resume a booking whose first attempt stopped before Panhe answered.

use super::fingerprint::{self, customer_order_no};
use super::resolution::{Send, resolve};
use super::{Claim, OrderError, OrderService};
use crate::accounts::{NamedTraveller, check_travellers};
use crate::domain::{
    Berth, Channel, Contact, Offer, Order, OrderId, OrderStatus, Passenger, ProviderId, SeatClass,
    StationRef, Ticket,
};
use crate::providers::ProviderError;
use crate::providers::panhe::booking::{
    CallbackUrls, CreateOutcome, SeatPreferences, TrainCredentials,
};
use crate::routing::capabilities::{Capability, supports};
use secrecy::{ExposeSecret, SecretString};

/// One passenger and the seat they want.
#[derive(Clone)]
pub struct BookPassenger {
    /// Who travels.
    pub passenger: Passenger,
    /// Seat class (defaults to the offer's in the API).
    pub seat_class: SeatClass,
    /// Preferred berth, for sleepers.
    pub berth: Option<Berth>,
    /// The booking account's frequent passenger this is, when the caller
    /// named one: checked with the account before booking.
    pub frequent_passenger_id: Option<i64>,
}

/// A validated Book request.
#[derive(Clone)]
pub struct BookCommand {
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// The offer being booked.
    pub offer: Offer,
    /// Boarding station as recorded.
    pub from_station: StationRef,
    /// Alighting station as recorded.
    pub to_station: StationRef,
    /// Passengers, in order.
    pub passengers: Vec<BookPassenger>,
    /// Who the provider notifies.
    pub contact: Contact,
    /// Seats to choose, one per passenger ("1A").
    pub seat_choices: Vec<String>,
    /// Accept standing tickets.
    pub accept_standing: bool,
    /// 12306 account (user name, password).
    pub account: Option<(String, SecretString)>,
    /// Where the order came from.
    pub channel: Option<Channel>,
    /// Present for a grab order (抢票): deadline and alternatives.
    pub grab: Option<super::GrabCommand>,
    /// The caller booking (the order's owner); its idempotency key is
    /// already scoped to it.
    pub owner: String,
}

impl BookCommand {
    /// Whether any passenger is named as a frequent passenger.
    pub fn names_frequent_passengers(&self) -> bool {
        self.passengers
            .iter()
            .any(|booked| booked.frequent_passenger_id.is_some())
    }

    pub(super) fn fingerprint(&self) -> Vec<u8> {
        let mut parts: Vec<String> = vec![
            self.offer.encode(),
            self.contact.name.expose().to_owned(),
            self.contact.phone.expose().to_owned(),
            self.seat_choices.join(","),
            self.accept_standing.to_string(),
            self.account
                .as_ref()
                .map(|(user, _)| user.clone())
                .unwrap_or_default(),
            format!("{:?}", self.channel),
            self.grab
                .as_ref()
                .map(super::GrabCommand::fingerprint_part)
                .unwrap_or_default(),
        ];
        for booked in &self.passengers {
            let passenger = &booked.passenger;
            parts.push(format!(
                "{}|{:?}|{}|{:?}|{:?}|{:?}|{:?}",
                passenger.name.expose(),
                passenger.id_type,
                passenger.id_number.expose(),
                passenger.passenger_type,
                booked.seat_class,
                booked.berth,
                passenger.phone.as_ref().map(|phone| phone.expose())
            ));
            // Only when named: the fingerprints of keys stored before the
            // field existed stay the same.
            if let Some(id) = booked.frequent_passenger_id {
                parts.push(format!("frequent passenger {id}"));
            }
        }
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        fingerprint::of(&parts)
    }
}

impl OrderService {
    /// Books `command`: at most one provider order per idempotency key.
    pub async fn book(&self, command: BookCommand) -> Result<Order, OrderError> {
        let capability = if command.grab.is_some() {
            Capability::GrabOrders
        } else {
            Capability::DirectBooking
        };
        if !supports(command.offer.provider, capability) {
            return Err(OrderError::Unsupported {
                provider: command.offer.provider,
                capability: capability.as_str(),
            });
        }
        if let Some(grab) = &command.grab {
            if command.names_frequent_passengers() {
                return Err(OrderError::Unsupported {
                    provider: command.offer.provider,
                    capability: Capability::AccountManagement.as_str(),
                });
            }
            return self.book_grab(&command, grab).await;
        }
        let key = command.idempotency_key.clone();
        let customer_order_no = customer_order_no(&key);
        let resumed = match self.claim(&key, "book", &command.fingerprint()).await? {
            Claim::Done(order) => return Ok(*order),
            Claim::Owned { resumed } => resumed,
        };
        if resumed
            && let Some(order) = self
                .store
                .find_by_customer_order_no(ProviderId::Panhe, &customer_order_no)
                .await?
        {
            return self.resume_unfinished_booking(&key, order, &command).await;
        }

        // Nothing recorded or sent yet: a refusal frees the key for a
        // corrected request.
        if let Err(refused) = self.check_travellers(&command).await {
            self.store.release_idempotent(&key).await?;
            return Err(refused);
        }
        // Recorded before sending, so a crash after the send leaves an
        // order for the retry to find (by customer order number).
        let mut order = new_order(&command, customer_order_no, self.clock.now_utc());
        self.insert(&mut order).await?;
        let outcome = self.send_create_order(&order, &command).await;
        self.record_booking(&key, order, resolve(outcome, Send::First))
            .await
    }

    /// Finishes a booking whose earlier attempt stopped (crashed, or never
    /// heard back from Panhe) after recording the order.
    async fn resume_unfinished_booking(
        &self,
        key: &str,
        order: Order,
        command: &BookCommand,
    ) -> Result<Order, OrderError> {
        let unanswered = order.provider_order_no.is_none()
            && matches!(order.status, OrderStatus::Pending | OrderStatus::Unknown);
        if !unanswered {
            // The answer was recorded; only the key was left open.
            self.store
                .complete_idempotent(key, order.id.as_str().as_bytes())
                .await?;
            return Ok(order);
        }
        // The earlier createOrder may or may not have reached Panhe. Sending
        // the same customerOrderNo again cannot book twice (Panhe refuses a
        // repeat), and either answer says what the first send did. Only this
        // path can do it: the retry carries the 12306 credentials, which the
        // store never holds.
        tracing::info!(order_id = %order.id.as_str(), "resuming a booking without Panhe's answer: sending createOrder again");
        let outcome = self.send_create_order(&order, command).await;
        self.record_booking(key, order, resolve(outcome, Send::Again))
            .await
    }

    /// Sends createOrder for `order` as `command` asks.
    async fn send_create_order(
        &self,
        order: &Order,
        command: &BookCommand,
    ) -> Result<CreateOutcome, ProviderError> {
        let credentials = self.credentials(command.account.as_ref());
        let callback_url = |kind: &str| {
            self.config
                .panhe_callback_url
                .as_ref()
                .map(|base| format!("{base}/{kind}"))
        };
        let (order_url, refund_url) = (callback_url("order"), callback_url("refund"));
        let callbacks = CallbackUrls {
            order: order_url.as_deref(),
            refund: refund_url.as_deref(),
        };
        let preferences = SeatPreferences {
            seat_choices: &command.seat_choices,
            accept_standing: command.accept_standing,
        };
        self.panhe
            .create_order(order, &credentials, &preferences, &callbacks)
            .await
    }

    /// The frequent passengers `command` names are on its account, the
    /// same people and identity-verified (one list call, only when it
    /// names any).
    async fn check_travellers(&self, command: &BookCommand) -> Result<(), OrderError> {
        let named: Vec<NamedTraveller<'_>> = command
            .passengers
            .iter()
            .enumerate()
            .filter_map(|(index, booked)| {
                let passenger = &booked.passenger;
                Some(NamedTraveller {
                    index,
                    frequent_passenger_id: booked.frequent_passenger_id?,
                    name: passenger.name.expose(),
                    id_type: passenger.id_type,
                    id_number: passenger.id_number.expose(),
                })
            })
            .collect();
        if named.is_empty() {
            return Ok(());
        }
        let credentials = self.credentials(command.account.as_ref());
        let listed = self.panhe.frequent_passengers(&credentials).await?;
        Ok(check_travellers(&listed, &named)?)
    }

    fn credentials(&self, account: Option<&(String, SecretString)>) -> TrainCredentials {
        let (user, password) = account
            .map(|(user, password)| (user.as_str(), password.expose_secret()))
            .unwrap_or(("", ""));
        TrainCredentials {
            account: SecretString::from(self.config.cipher.encrypt(user)),
            password: SecretString::from(self.config.cipher.encrypt(password)),
        }
    }
}

/// One line per booking for support: which order, train and (masked)
/// passengers, and why the provider call failed if it did. `PersonName`
/// displays masked; provider messages were masked by the adapter.
/// One line per booking, with masked passengers (names print masked).
pub(super) fn log_booking(order: &Order, failure: Option<&ProviderError>) {
    let passengers = order
        .tickets
        .iter()
        .map(|ticket| ticket.passenger.name.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let order_id = order.id.as_str();
    let provider_order_no = order.provider_order_no.as_deref().unwrap_or("");
    match failure {
        None => tracing::info!(
            order_id,
            provider_order_no,
            train = %order.train_code,
            %passengers,
            "order booked"
        ),
        Some(error) => tracing::info!(
            order_id,
            train = %order.train_code,
            %passengers,
            %error,
            "booking failed at the provider"
        ),
    }
}

/// Whether the request may have reached the provider without an answer:
/// then the order's fate is unknown and must be asked, not retried.
pub(super) fn outcome_unknown(error: &ProviderError) -> bool {
    match error {
        ProviderError::Timeout { .. } => true,
        ProviderError::Unreachable { sent, .. } => *sent,
        ProviderError::HttpStatus { status, .. } => *status >= 500,
        ProviderError::Malformed { .. } | ProviderError::UnknownCode { .. } => true,
        // Refused before sending: nothing reached the provider.
        ProviderError::Rejected { .. } | ProviderError::CircuitOpen { .. } => false,
    }
}

pub(super) fn new_order(
    command: &BookCommand,
    customer_order_no: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Order {
    let offer = &command.offer;
    Order {
        id: OrderId::new(),
        provider: offer.provider,
        provider_order_no: None,
        customer_order_no,
        order_no_12306: None,
        status: OrderStatus::Pending,
        status_reason: None,
        train_code: offer.train_code.clone(),
        train_no: Some(offer.train_no.clone()),
        from_station: command.from_station.clone(),
        to_station: command.to_station.clone(),
        departure: offer.departure,
        arrival: offer.arrival,
        tickets: command
            .passengers
            .iter()
            .map(|booked| {
                // Without a preference, the berth the offer was quoted for.
                let quoted = offer
                    .berth
                    .filter(|_| booked.seat_class == offer.seat_class);
                Ticket::new(
                    booked.passenger.clone(),
                    booked.seat_class,
                    booked.berth.or(quoted),
                )
            })
            .collect(),
        contact: Some(command.contact.clone()),
        total_amount: None,
        ticket_amount: None,
        service_fee: None,
        pay_deadline: None,
        grab_deadline: None,
        changes: Vec::new(),
        channel: command.channel.clone(),
        created_at: now,
        updated_at: now,
        version: 0,
        last_sequence: 0,
        owner: command.owner.clone(),
        trace_parent: crate::telemetry::current_traceparent(),
    }
}
