//! The provider-neutral model. Nothing here knows a provider's codes, money
//! format or quirks; adapters translate into these types at their boundary.

pub mod account;
pub mod booking;
pub mod money;
pub mod offer;
pub mod offer_seal;
pub mod order;
pub mod personal;
pub mod provider;
pub mod refund_rule;
pub mod seat;
pub mod ticket_transitions;
pub mod time;
pub mod train;

pub use booking::{
    ChangeId, ChangeOrder, ChangeOrigin, ChangeRefundKind, ChangeSettlement, Channel, Contact,
    FailureStage, Order, OrderEvent, OrderEventKind, OrderId, Passenger, PriceChange,
    ReplacedTicket, StationRef, Ticket, TicketId,
};
pub use money::Fen;
pub use offer::{Offer, OfferError};
pub use offer_seal::OfferSeal;
pub use order::{ChangeStatus, OrderStatus, TicketStatus, TransitionError};
pub use personal::{IdNumber, IdType, PassengerType, PersonName, PhoneNumber, Sex};
pub use provider::ProviderId;
pub use seat::{Berth, SeatClass};
pub use ticket_transitions::TicketTransitionError;
pub use time::Clock;
pub use train::{SeatOffer, Stop, TrainOption, TrainType};
