//! Order records → proto, and the order enums both ways. Personal data
//! leaves only masked: names, ID numbers and phones never appear in full.

use super::convert::{berth_to_proto, provider_to_proto, seat_class_to_proto};
use crate::domain::Sex;
use crate::domain::time::to_rfc3339;
use crate::domain::{
    ChangeOrder, ChangeOrigin, ChangeRefundKind, ChangeStatus, Channel, FailureStage, IdType,
    Order, OrderEvent, OrderEventKind, OrderStatus, PassengerType, PriceChange, StationRef, Ticket,
    TicketStatus,
};
use crate::proto as pb;
use crate::stations::StationDirectory;
use chrono::{DateTime, Utc};

/// Order status → proto.
pub fn order_status_to_proto(status: OrderStatus) -> pb::OrderStatus {
    match status {
        OrderStatus::Pending => pb::OrderStatus::Pending,
        OrderStatus::Grabbing => pb::OrderStatus::Grabbing,
        OrderStatus::Held => pb::OrderStatus::Held,
        OrderStatus::Issuing => pb::OrderStatus::Issuing,
        OrderStatus::Issued => pb::OrderStatus::Issued,
        OrderStatus::Failed => pb::OrderStatus::Failed,
        OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
        OrderStatus::Expired => pb::OrderStatus::Expired,
        OrderStatus::Unknown => pb::OrderStatus::Unknown,
    }
}

/// Proto order status → domain; `None` for UNSPECIFIED or unknown numbers.
pub fn order_status_from_proto(value: i32) -> Option<OrderStatus> {
    Some(match pb::OrderStatus::try_from(value).ok()? {
        pb::OrderStatus::Unspecified => return None,
        pb::OrderStatus::Pending => OrderStatus::Pending,
        pb::OrderStatus::Grabbing => OrderStatus::Grabbing,
        pb::OrderStatus::Held => OrderStatus::Held,
        pb::OrderStatus::Issuing => OrderStatus::Issuing,
        pb::OrderStatus::Issued => OrderStatus::Issued,
        pb::OrderStatus::Failed => OrderStatus::Failed,
        pb::OrderStatus::Cancelled => OrderStatus::Cancelled,
        pb::OrderStatus::Expired => OrderStatus::Expired,
        pb::OrderStatus::Unknown => OrderStatus::Unknown,
    })
}

/// Ticket status → proto.
pub fn ticket_status_to_proto(status: TicketStatus) -> pb::TicketStatus {
    match status {
        TicketStatus::Pending => pb::TicketStatus::Pending,
        TicketStatus::Held => pb::TicketStatus::Held,
        TicketStatus::HoldFailed => pb::TicketStatus::HoldFailed,
        TicketStatus::Cancelled => pb::TicketStatus::Cancelled,
        TicketStatus::Issuing => pb::TicketStatus::Issuing,
        TicketStatus::Issued => pb::TicketStatus::Issued,
        TicketStatus::IssueFailed => pb::TicketStatus::IssueFailed,
        TicketStatus::Refunding => pb::TicketStatus::Refunding,
        TicketStatus::Refunded => pb::TicketStatus::Refunded,
        TicketStatus::RefundFailed => pb::TicketStatus::RefundFailed,
        TicketStatus::RefundedAwaitingMoney => pb::TicketStatus::RefundedAwaitingMoney,
        TicketStatus::Changing => pb::TicketStatus::Changing,
        TicketStatus::ChangeHeld => pb::TicketStatus::ChangeHeld,
        TicketStatus::ChangeHoldFailed => pb::TicketStatus::ChangeHoldFailed,
        TicketStatus::ChangeIssuing => pb::TicketStatus::ChangeIssuing,
        TicketStatus::Changed => pb::TicketStatus::Changed,
        TicketStatus::ChangeIssueFailed => pb::TicketStatus::ChangeIssueFailed,
        TicketStatus::ChangeCancelled => pb::TicketStatus::ChangeCancelled,
    }
}

/// Change status → proto.
pub fn change_status_to_proto(status: ChangeStatus) -> pb::ChangeStatus {
    match status {
        ChangeStatus::Pending => pb::ChangeStatus::Pending,
        ChangeStatus::Held => pb::ChangeStatus::Held,
        ChangeStatus::HoldFailed => pb::ChangeStatus::HoldFailed,
        ChangeStatus::Issuing => pb::ChangeStatus::Issuing,
        ChangeStatus::Issued => pb::ChangeStatus::Issued,
        ChangeStatus::IssueFailed => pb::ChangeStatus::IssueFailed,
        ChangeStatus::Cancelled => pb::ChangeStatus::Cancelled,
    }
}

/// Id type → proto.
pub fn id_type_to_proto(id_type: IdType) -> pb::IdType {
    match id_type {
        IdType::ResidentIdCard => pb::IdType::ResidentIdCard,
        IdType::Passport => pb::IdType::Passport,
        IdType::HkMacaoTravelPermit => pb::IdType::HkMacaoTravelPermit,
        IdType::TaiwanTravelPermit => pb::IdType::TaiwanTravelPermit,
        IdType::ForeignPermanentResidentId => pb::IdType::ForeignPermanentResidentId,
        IdType::HkMacaoTaiwanResidencePermit => pb::IdType::HkMacaoTaiwanResidencePermit,
    }
}

/// Proto id type → domain; `None` for UNSPECIFIED or unknown numbers.
pub fn id_type_from_proto(value: i32) -> Option<IdType> {
    Some(match pb::IdType::try_from(value).ok()? {
        pb::IdType::Unspecified => return None,
        pb::IdType::ResidentIdCard => IdType::ResidentIdCard,
        pb::IdType::Passport => IdType::Passport,
        pb::IdType::HkMacaoTravelPermit => IdType::HkMacaoTravelPermit,
        pb::IdType::TaiwanTravelPermit => IdType::TaiwanTravelPermit,
        pb::IdType::ForeignPermanentResidentId => IdType::ForeignPermanentResidentId,
        pb::IdType::HkMacaoTaiwanResidencePermit => IdType::HkMacaoTaiwanResidencePermit,
    })
}

/// Passenger type → proto.
pub fn passenger_type_to_proto(passenger_type: PassengerType) -> pb::PassengerType {
    match passenger_type {
        PassengerType::Adult => pb::PassengerType::Adult,
        PassengerType::Child => pb::PassengerType::Child,
        PassengerType::Student => pb::PassengerType::Student,
        PassengerType::DisabledMilitary => pb::PassengerType::DisabledMilitary,
    }
}

/// Proto sex → domain; unspecified (or an unknown number) is `None`.
pub fn sex_from_proto(value: i32) -> Option<Sex> {
    match pb::Sex::try_from(value).ok()? {
        pb::Sex::Male => Some(Sex::Male),
        pb::Sex::Female => Some(Sex::Female),
        pb::Sex::Unspecified => None,
    }
}

/// Domain sex → proto (`None` is unspecified).
pub fn sex_to_proto(sex: Option<Sex>) -> pb::Sex {
    match sex {
        Some(Sex::Male) => pb::Sex::Male,
        Some(Sex::Female) => pb::Sex::Female,
        None => pb::Sex::Unspecified,
    }
}

/// Proto passenger type → domain; UNSPECIFIED means adult (the default
/// fare), an unknown number is `None`.
pub fn passenger_type_from_proto(value: i32) -> Option<PassengerType> {
    Some(match pb::PassengerType::try_from(value).ok()? {
        pb::PassengerType::Unspecified | pb::PassengerType::Adult => PassengerType::Adult,
        pb::PassengerType::Child => PassengerType::Child,
        pb::PassengerType::Student => PassengerType::Student,
        pb::PassengerType::DisabledMilitary => PassengerType::DisabledMilitary,
    })
}

/// Order event kind → proto (the first event, Created, is a status change
/// from nothing).
pub fn event_kind_to_proto(kind: OrderEventKind) -> pb::OrderEventKind {
    match kind {
        OrderEventKind::Created | OrderEventKind::StatusChanged => {
            pb::OrderEventKind::StatusChanged
        }
        OrderEventKind::TicketChanged => pb::OrderEventKind::TicketChanged,
        OrderEventKind::ChangeOrderChanged => pb::OrderEventKind::ChangeOrderChanged,
    }
}

/// An order, personal data masked.
pub fn order_to_proto(order: &Order, stations: &StationDirectory) -> pb::Order {
    pb::Order {
        order_id: order.id.as_str().to_owned(),
        provider: provider_to_proto(order.provider) as i32,
        provider_order_no: order.provider_order_no.clone().unwrap_or_default(),
        order_no_12306: order.order_no_12306.clone().unwrap_or_default(),
        status: order_status_to_proto(order.status) as i32,
        status_reason: order.status_reason.clone().unwrap_or_default(),
        train_code: order.train_code.clone(),
        from_station: Some(station_ref_to_proto(&order.from_station, stations)),
        to_station: Some(station_ref_to_proto(&order.to_station, stations)),
        departure_time: to_rfc3339(order.departure),
        arrival_time: to_rfc3339(order.arrival),
        tickets: order.tickets.iter().map(ticket_to_proto).collect(),
        total_amount_fen: order.total_amount.map_or(0, |fen| fen.get()),
        ticket_amount_fen: order.ticket_amount.map_or(0, |fen| fen.get()),
        service_fee_fen: order.service_fee.map_or(0, |fen| fen.get()),
        pay_deadline: instant(order.pay_deadline),
        grab_deadline: instant(order.grab_deadline),
        changes: order
            .changes
            .iter()
            .map(|change| change_to_proto(change, stations))
            .collect(),
        channel: order.channel.as_ref().map(channel_to_proto),
        create_time: instant(Some(order.created_at)),
        update_time: instant(Some(order.updated_at)),
        last_sequence: order.last_sequence,
        failure_stage: failure_stage_to_proto(order.failure_stage()) as i32,
    }
}

/// Where a FAILED order failed; unspecified otherwise.
pub fn failure_stage_to_proto(stage: Option<FailureStage>) -> pb::FailureStage {
    match stage {
        None => pb::FailureStage::Unspecified,
        Some(FailureStage::Hold) => pb::FailureStage::Hold,
        Some(FailureStage::Issue) => pb::FailureStage::Issue,
    }
}

/// An order event with its snapshot.
pub fn event_to_proto(event: &OrderEvent, stations: &StationDirectory) -> pb::OrderEvent {
    pb::OrderEvent {
        sequence: event.sequence,
        kind: event_kind_to_proto(event.kind) as i32,
        occur_time: instant(Some(event.occurred_at)),
        order: Some(order_to_proto(&event.order, stations)),
    }
}

fn ticket_to_proto(ticket: &Ticket) -> pb::Ticket {
    pb::Ticket {
        ticket_id: ticket.id.as_str().to_owned(),
        passenger_name: ticket.passenger.name.masked(),
        id_type: id_type_to_proto(ticket.passenger.id_type) as i32,
        id_number: ticket.passenger.id_number.masked(),
        passenger_type: passenger_type_to_proto(ticket.passenger.passenger_type) as i32,
        seat_class: seat_class_to_proto(ticket.seat_class) as i32,
        berth: ticket.berth.map_or(pb::Berth::Unspecified, berth_to_proto) as i32,
        status: ticket_status_to_proto(ticket.status) as i32,
        price_fen: ticket.price.map_or(0, |fen| fen.get()),
        coach: ticket.coach.clone().unwrap_or_default(),
        seat_number: ticket.seat_number.clone().unwrap_or_default(),
        ticket_number: ticket.ticket_number.clone().unwrap_or_default(),
        refund_fee_fen: ticket.refund_fee.map_or(0, |fen| fen.get()),
        refund_amount_fen: ticket.refund_amount.map_or(0, |fen| fen.get()),
        refund_failure_reason: ticket.refund_failure_reason.clone().unwrap_or_default(),
        replaced: ticket.replaced.as_ref().map(|replaced| pb::ReplacedTicket {
            change_id: replaced.change_id.as_str().to_owned(),
            ticket_number: replaced.ticket_number.clone().unwrap_or_default(),
            seat_class: seat_class_to_proto(replaced.seat_class) as i32,
            price_fen: replaced.price.map_or(0, |fen| fen.get()),
            coach: replaced.coach.clone().unwrap_or_default(),
            seat_number: replaced.seat_number.clone().unwrap_or_default(),
        }),
    }
}

/// A change order.
pub fn change_to_proto(change: &ChangeOrder, stations: &StationDirectory) -> pb::ChangeOrder {
    pb::ChangeOrder {
        change_id: change.id.as_str().to_owned(),
        provider_change_no: change.provider_change_no.clone().unwrap_or_default(),
        status: change_status_to_proto(change.status) as i32,
        ticket_ids: change
            .ticket_ids
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect(),
        train_code: change.train_code.clone(),
        from_station: Some(station_ref_to_proto(&change.from_station, stations)),
        to_station: Some(station_ref_to_proto(&change.to_station, stations)),
        departure_time: to_rfc3339(change.departure),
        arrival_time: to_rfc3339(change.arrival),
        seat_class: seat_class_to_proto(change.seat_class) as i32,
        price_difference_fen: change.price_difference.map_or(0, |fen| fen.get()),
        change_fee_fen: change.change_fee.map_or(0, |fen| fen.get()),
        need_to_pay_fen: change.need_to_pay.map_or(0, |fen| fen.get()),
        refund_amount_fen: change.refund_amount.map_or(0, |fen| fen.get()),
        confirm_deadline: instant(change.confirm_deadline),
        status_reason: change.status_reason.clone().unwrap_or_default(),
        price_change: change
            .settlement
            .price_change
            .map_or(pb::PriceChange::Unspecified, price_change_to_proto)
            as i32,
        refund_due_fen: change.settlement.refund_due.map_or(0, |fen| fen.get()),
        difference_refund_fee_fen: change
            .settlement
            .difference_refund_fee
            .map_or(0, |fen| fen.get()),
        paid_amount_fen: change.settlement.paid_amount.map_or(0, |fen| fen.get()),
        pay_time: instant(change.settlement.paid_at),
        refund_kind: change.settlement.refund_kind.map_or(
            pb::ChangeRefundKind::Unspecified,
            change_refund_kind_to_proto,
        ) as i32,
        origin: match change.origin {
            ChangeOrigin::Railgate => pb::ChangeOrigin::Railgate,
            ChangeOrigin::Provider => pb::ChangeOrigin::Provider,
        } as i32,
        apply_time: instant(Some(change.created_at)),
        new_fare_fen: change.settlement.new_fare.map_or(0, |fen| fen.get()),
        change_fee_rate_bps: change.settlement.change_fee_rate_bps.unwrap_or(0),
        difference_refund_fee_rate_bps: change
            .settlement
            .difference_refund_fee_rate_bps
            .unwrap_or(0),
    }
}

/// Price change → proto.
pub fn price_change_to_proto(value: PriceChange) -> pb::PriceChange {
    match value {
        PriceChange::Undetermined => pb::PriceChange::Undetermined,
        PriceChange::Higher => pb::PriceChange::Higher,
        PriceChange::Equal => pb::PriceChange::Equal,
        PriceChange::Lower => pb::PriceChange::Lower,
    }
}

/// Change refund kind → proto.
pub fn change_refund_kind_to_proto(value: ChangeRefundKind) -> pb::ChangeRefundKind {
    match value {
        ChangeRefundKind::FailedChangePayment => pb::ChangeRefundKind::FailedChangePayment,
        ChangeRefundKind::LowerFareDifference => pb::ChangeRefundKind::LowerFareDifference,
        ChangeRefundKind::HigherOriginalFare => pb::ChangeRefundKind::HigherOriginalFare,
    }
}

fn channel_to_proto(channel: &Channel) -> pb::Channel {
    match channel {
        Channel::Alitrip {
            order_id,
            purchase_type,
            extra,
            passenger_ids,
        } => pb::Channel {
            kind: Some(pb::channel::Kind::Alitrip(pb::AlitripChannel {
                order_id: order_id.clone(),
                purchase_type: purchase_type.clone(),
                extra: extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                passenger_ids: passenger_ids.clone(),
            })),
        },
    }
}

/// The full station when the directory knows it, else the recorded name.
fn station_ref_to_proto(station: &StationRef, stations: &StationDirectory) -> pb::Station {
    stations
        .by_telecode(&station.telecode)
        .or_else(|| stations.by_name(&station.name))
        .map(super::convert::station_to_proto)
        .unwrap_or_else(|| pb::Station {
            telecode: station.telecode.clone(),
            name: station.name.clone(),
            ..Default::default()
        })
}

/// An instant as RFC 3339 in Asia/Shanghai; empty when unknown.
pub(super) fn instant(value: Option<DateTime<Utc>>) -> String {
    value
        .map(|at| at.with_timezone(&crate::domain::time::RAIL_TZ).to_rfc3339())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statuses_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(
                order_status_from_proto(order_status_to_proto(status) as i32),
                Some(status)
            );
        }
        assert_eq!(order_status_from_proto(0), None);
        assert_eq!(order_status_from_proto(99), None);
    }

    #[test]
    fn change_money_enums_are_distinct_and_set() {
        let prices: std::collections::HashSet<i32> = PriceChange::ALL
            .iter()
            .map(|value| price_change_to_proto(*value) as i32)
            .collect();
        assert_eq!(prices.len(), PriceChange::ALL.len());
        assert!(!prices.contains(&0));
        let kinds: std::collections::HashSet<i32> = ChangeRefundKind::ALL
            .iter()
            .map(|value| change_refund_kind_to_proto(*value) as i32)
            .collect();
        assert_eq!(kinds.len(), ChangeRefundKind::ALL.len());
        assert!(!kinds.contains(&0));
    }

    #[test]
    fn failure_stages_are_distinct() {
        assert_eq!(failure_stage_to_proto(None), pb::FailureStage::Unspecified);
        assert_eq!(
            failure_stage_to_proto(Some(FailureStage::Hold)),
            pb::FailureStage::Hold
        );
        assert_eq!(
            failure_stage_to_proto(Some(FailureStage::Issue)),
            pb::FailureStage::Issue
        );
    }

    #[test]
    fn ticket_and_change_statuses_are_distinct() {
        let tickets: std::collections::HashSet<_> = TicketStatus::ALL
            .iter()
            .map(|s| ticket_status_to_proto(*s) as i32)
            .collect();
        assert_eq!(tickets.len(), TicketStatus::ALL.len());
        assert!(!tickets.contains(&0));
        let changes: std::collections::HashSet<_> = ChangeStatus::ALL
            .iter()
            .map(|s| change_status_to_proto(*s) as i32)
            .collect();
        assert_eq!(changes.len(), ChangeStatus::ALL.len());
    }

    #[test]
    fn id_and_passenger_types_round_trip() {
        for id_type in [
            IdType::ResidentIdCard,
            IdType::Passport,
            IdType::HkMacaoTravelPermit,
            IdType::TaiwanTravelPermit,
            IdType::ForeignPermanentResidentId,
            IdType::HkMacaoTaiwanResidencePermit,
        ] {
            assert_eq!(
                id_type_from_proto(id_type_to_proto(id_type) as i32),
                Some(id_type)
            );
        }
        assert_eq!(id_type_from_proto(0), None);
        for passenger_type in [
            PassengerType::Adult,
            PassengerType::Child,
            PassengerType::Student,
            PassengerType::DisabledMilitary,
        ] {
            assert_eq!(
                passenger_type_from_proto(passenger_type_to_proto(passenger_type) as i32),
                Some(passenger_type)
            );
        }
        assert_eq!(passenger_type_from_proto(0), Some(PassengerType::Adult));
        assert_eq!(passenger_type_from_proto(9), None);
    }
}
