//! `railgate.v1.BookingService`: each RPC delegates to one handler module
//! (`search`, `orders`, `changes`, `watch`).

use super::ApiState;
use super::audit::audited;
use super::caller;
use super::changes;
use super::orders;
use super::search;
use super::status::ApiError;
use super::watch;
use crate::proto as pb;
use crate::proto::booking_service_server::BookingService;
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// The BookingService implementation.
pub struct BookingApi {
    state: Arc<ApiState>,
}

impl BookingApi {
    /// A service over shared state.
    pub fn new(state: Arc<ApiState>) -> Self {
        Self { state }
    }
}

fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

/// The stream type of WatchOrder.
pub type WatchOrderStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchOrderResponse, Status>> + Send>>;

#[tonic::async_trait]
impl BookingService for BookingApi {
    async fn search(
        &self,
        request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchReply>, Status> {
        respond(search::search(&self.state, request.into_inner()).await)
    }

    async fn get_stops(
        &self,
        request: Request<pb::GetStopsRequest>,
    ) -> Result<Response<pb::GetStopsResponse>, Status> {
        respond(search::get_stops(&self.state, request.into_inner()).await)
    }

    async fn lookup_stations(
        &self,
        request: Request<pb::LookupStationsRequest>,
    ) -> Result<Response<pb::LookupStationsResponse>, Status> {
        respond(search::lookup_stations(&self.state, request.into_inner()))
    }

    async fn book(
        &self,
        request: Request<pb::BookRequest>,
    ) -> Result<Response<pb::BookResponse>, Status> {
        let state = &self.state;
        audited("Book", request, |caller, request| async move {
            orders::book(state, &caller, request).await
        })
        .await
    }

    async fn confirm(
        &self,
        request: Request<pb::ConfirmRequest>,
    ) -> Result<Response<pb::ConfirmResponse>, Status> {
        let state = &self.state;
        audited("Confirm", request, |caller, request| async move {
            orders::confirm(state, &caller, request).await
        })
        .await
    }

    async fn cancel(
        &self,
        request: Request<pb::CancelRequest>,
    ) -> Result<Response<pb::CancelResponse>, Status> {
        let state = &self.state;
        audited("Cancel", request, |caller, request| async move {
            orders::cancel(state, &caller, request).await
        })
        .await
    }

    async fn refund(
        &self,
        request: Request<pb::RefundRequest>,
    ) -> Result<Response<pb::RefundResponse>, Status> {
        let state = &self.state;
        audited("Refund", request, |caller, request| async move {
            orders::refund(state, &caller, request).await
        })
        .await
    }

    async fn quote_refund(
        &self,
        request: Request<pb::QuoteRefundRequest>,
    ) -> Result<Response<pb::QuoteRefundResponse>, Status> {
        let caller = caller::of(&request)?;
        respond(super::refund_quote::quote_refund(&self.state, &caller, request.into_inner()).await)
    }

    async fn change(
        &self,
        request: Request<pb::ChangeRequest>,
    ) -> Result<Response<pb::ChangeResponse>, Status> {
        let state = &self.state;
        audited("Change", request, |caller, request| async move {
            changes::change(state, &caller, request).await
        })
        .await
    }

    async fn confirm_change(
        &self,
        request: Request<pb::ConfirmChangeRequest>,
    ) -> Result<Response<pb::ConfirmChangeResponse>, Status> {
        let state = &self.state;
        audited("ConfirmChange", request, |caller, request| async move {
            changes::confirm_change(state, &caller, request).await
        })
        .await
    }

    async fn cancel_change(
        &self,
        request: Request<pb::CancelChangeRequest>,
    ) -> Result<Response<pb::CancelChangeResponse>, Status> {
        let state = &self.state;
        audited("CancelChange", request, |caller, request| async move {
            changes::cancel_change(state, &caller, request).await
        })
        .await
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        let caller = caller::of(&request)?;
        respond(orders::get_order(&self.state, &caller, request.into_inner()).await)
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = caller::of(&request)?;
        respond(orders::list_orders(&self.state, &caller, request.into_inner()).await)
    }

    type WatchOrderStream = WatchOrderStream;

    async fn watch_order(
        &self,
        request: Request<pb::WatchOrderRequest>,
    ) -> Result<Response<Self::WatchOrderStream>, Status> {
        let caller = caller::of(&request)?;
        let stream = watch::watch_order(&self.state, &caller, request.into_inner()).await?;
        Ok(Response::new(Box::pin(stream)))
    }
}
