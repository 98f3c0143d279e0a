//! The baseline: a tonic server whose Search answers a pre-built response
//! of the same size and shape as railgate's, doing no other work. Its
//! figures are the ceiling of tonic + HTTP/2 on this machine; every other
//! RPC is UNIMPLEMENTED.

use railgate::proto::booking_service_server::BookingServiceServer;
use railgate::proto::{self as pb, booking_service_server::BookingService};
use std::future::Future;
use std::pin::Pin;
use tokio::net::TcpListener;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// Answers Search with one captured response, encoded once.
pub struct Baseline {
    answer: pb::SearchReply,
}

impl Baseline {
    pub fn new(answer: pb::SearchResponse) -> Self {
        Self {
            answer: pb::SearchReply::new(answer),
        }
    }
}

/// Serves the baseline on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    answer: pb::SearchResponse,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    // Same server settings and accepted sockets as railgate's gRPC
    // listener, so the ceiling is comparable.
    tonic::transport::Server::builder()
        .add_service(BookingServiceServer::new(Baseline::new(answer)))
        .serve_with_incoming_shutdown(
            railgate::grpc_incoming::incoming(listener, std::time::Duration::from_secs(10), None),
            shutdown,
        )
        .await
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("the baseline serves Search only"))
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchOrderResponse, Status>> + Send>>;

#[tonic::async_trait]
impl BookingService for Baseline {
    async fn search(
        &self,
        _request: Request<pb::SearchRequest>,
    ) -> Result<Response<pb::SearchReply>, Status> {
        // The encoded bytes, shared, and the provider results: what
        // railgate serves a cached search with, minus railgate's own work.
        Ok(Response::new(self.answer.clone()))
    }

    async fn get_stops(
        &self,
        _request: Request<pb::GetStopsRequest>,
    ) -> Result<Response<pb::GetStopsResponse>, Status> {
        unimplemented()
    }

    async fn lookup_stations(
        &self,
        _request: Request<pb::LookupStationsRequest>,
    ) -> Result<Response<pb::LookupStationsResponse>, Status> {
        unimplemented()
    }

    async fn book(
        &self,
        _request: Request<pb::BookRequest>,
    ) -> Result<Response<pb::BookResponse>, Status> {
        unimplemented()
    }

    async fn confirm(
        &self,
        _request: Request<pb::ConfirmRequest>,
    ) -> Result<Response<pb::ConfirmResponse>, Status> {
        unimplemented()
    }

    async fn cancel(
        &self,
        _request: Request<pb::CancelRequest>,
    ) -> Result<Response<pb::CancelResponse>, Status> {
        unimplemented()
    }

    async fn refund(
        &self,
        _request: Request<pb::RefundRequest>,
    ) -> Result<Response<pb::RefundResponse>, Status> {
        unimplemented()
    }

    async fn quote_refund(
        &self,
        _request: Request<pb::QuoteRefundRequest>,
    ) -> Result<Response<pb::QuoteRefundResponse>, Status> {
        unimplemented()
    }

    async fn change(
        &self,
        _request: Request<pb::ChangeRequest>,
    ) -> Result<Response<pb::ChangeResponse>, Status> {
        unimplemented()
    }

    async fn confirm_change(
        &self,
        _request: Request<pb::ConfirmChangeRequest>,
    ) -> Result<Response<pb::ConfirmChangeResponse>, Status> {
        unimplemented()
    }

    async fn cancel_change(
        &self,
        _request: Request<pb::CancelChangeRequest>,
    ) -> Result<Response<pb::CancelChangeResponse>, Status> {
        unimplemented()
    }

    async fn get_order(
        &self,
        _request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        unimplemented()
    }

    async fn list_orders(
        &self,
        _request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        unimplemented()
    }

    type WatchOrderStream = WatchStream;

    async fn watch_order(
        &self,
        _request: Request<pb::WatchOrderRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        unimplemented()
    }
}
