//! The gRPC edge: one file per proto service, `convert` for proto ⇄ domain,
//! `status` for the only place a `tonic::Status` is built. Handlers
//! validate, convert and call routing; they hold no business rules.

pub mod account;
mod account_request;
pub mod admin;
pub mod audit;
pub mod book_request;
pub mod booking;
mod caller;
pub mod changes;
pub mod channel;
pub mod codec;
pub mod convert;
pub mod convert_order;
mod grab_dates;
pub mod orders;
mod refund_quote;
pub mod search;
pub mod search_reply;
pub mod status;
pub mod watch;

use crate::domain::time::SharedClock;
use crate::proto::account_service_server::AccountServiceServer;
use crate::proto::admin_service_server::AdminServiceServer;
use crate::proto::booking_service_server::BookingServiceServer;
use crate::routing::Router;
use crate::stations::StationDirectory;
use std::sync::Arc;

/// What every handler shares.
pub struct ApiState {
    /// The station directory.
    pub stations: &'static StationDirectory,
    /// Provider routing.
    pub router: Router,
    /// "Now", injectable for tests.
    pub clock: SharedClock,
    /// The booking flows and the order store.
    pub orders: std::sync::Arc<crate::orders::OrderService>,
    /// The feeds of watched orders (WatchOrder).
    pub watch_hub: Arc<watch::WatchHub>,
    /// 12306 account operations (AccountService).
    pub accounts: crate::accounts::Accounts,
    /// Search replies kept encoded while their provider answers are cached.
    pub search_replies: search_reply::ReplyCache,
}

/// The operator service (AdminService), ready to add to a server.
pub fn admin_service(state: Arc<ApiState>) -> AdminServiceServer<admin::AdminApi> {
    AdminServiceServer::new(admin::AdminApi::new(state))
}

/// The tonic services railgate serves, ready to add to a server.
pub fn services(
    state: Arc<ApiState>,
) -> (
    BookingServiceServer<booking::BookingApi>,
    AccountServiceServer<account::AccountApi>,
) {
    (
        BookingServiceServer::new(booking::BookingApi::new(state.clone())),
        AccountServiceServer::new(account::AccountApi::new(state)),
    )
}
