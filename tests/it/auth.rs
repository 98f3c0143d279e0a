//! Caller authentication and scopes on a real server: bearer tokens from a
//! clients file, UNAUTHENTICATED without a known token, PERMISSION_DENIED
//! (naming the scope) without the RPC's scope; health stays open.

use crate::booking::book_request;
use crate::support::{TestApp, date_in, details};
use railgate::auth::clients::token_hash;
use railgate::proto::{
    self as pb, admin_service_client::AdminServiceClient,
    booking_service_client::BookingServiceClient,
};
use std::io::Write;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const SHOP: &str = "shop-token-0123456789abcdef0123456789";
const PAYER: &str = "payer-token-0123456789abcdef012345678";
const OPS: &str = "ops-token-0123456789abcdef0123456789ab";

pub type Authorized = InterceptedService<
    Channel,
    Box<dyn FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Send>,
>;

/// A channel whose calls carry `authorization: Bearer <token>` (none
/// for None).
pub fn with_token(channel: &Channel, token: Option<&'static str>) -> Authorized {
    InterceptedService::new(
        channel.clone(),
        Box::new(move |mut request: tonic::Request<()>| {
            if let Some(token) = token {
                request
                    .metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse().unwrap());
            }
            Ok(request)
        }),
    )
}

/// railgate with three clients: a shop that searches and books, a payer
/// that may also pay and refund, and operations with admin only.
async fn app_with_clients() -> (TestApp, tempfile::NamedTempFile) {
    let mut clients = tempfile::NamedTempFile::new().unwrap();
    write!(
        clients,
        "[[client]]\nid = \"shop\"\ntoken_sha256 = \"{}\"\nscopes = [\"search\", \"book\"]\n\n\
         [[client]]\nid = \"payer\"\ntoken_sha256 = \"{}\"\nscopes = [\"search\", \"book\", \"pay\", \"refund\"]\n\n\
         [[client]]\nid = \"ops\"\ntoken_sha256 = \"{}\"\nscopes = [\"admin\"]\n",
        token_hash(SHOP),
        token_hash(PAYER),
        token_hash(OPS),
    )
    .unwrap();
    let path = clients.path().to_owned();
    let app = TestApp::spawn_with(move |config| {
        config.sandbox.clock_scale = 60.0;
        config.orders.reconcile_interval_ms = 50;
        config.auth.mode = Some(railgate::config::AuthMode::Tokens);
        config.auth.clients_file = Some(path);
    })
    .await;
    (app, clients)
}

pub fn search_request() -> pb::SearchRequest {
    pb::SearchRequest {
        from_station: "北京南".into(),
        to_station: "上海虹桥".into(),
        travel_date: date_in(3),
        ..Default::default()
    }
}

fn assert_missing_scope(status: &tonic::Status, scope: &str) {
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let info = details(status).error_info().expect("ErrorInfo").clone();
    assert_eq!(info.reason, "MISSING_SCOPE");
    assert_eq!(info.metadata.get("scope").map(String::as_str), Some(scope));
}

#[tokio::test]
async fn calls_need_a_known_token_and_the_scope_of_their_rpc() {
    let (app, _clients) = app_with_clients().await;
    // No token, a malformed header, an unknown token.
    for token in [None, Some("not-a-token")] {
        let status = BookingServiceClient::new(with_token(&app.channel, token))
            .search(search_request())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        let info = details(&status).error_info().expect("ErrorInfo").clone();
        assert_eq!(info.reason, "UNAUTHENTICATED");
    }

    // The shop searches and books, but may not pay.
    let mut shop = BookingServiceClient::new(with_token(&app.channel, Some(SHOP)));
    let search = shop.search(search_request()).await.unwrap().into_inner();
    let offer = search
        .trains
        .iter()
        .flat_map(|train| &train.seats)
        .find(|seat| seat.seat_class == pb::SeatClass::Second as i32 && seat.remaining >= 2)
        .expect("an offer")
        .clone();
    let order = shop
        .book(book_request("auth-shop", &offer.offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let status = shop
        .confirm(pb::ConfirmRequest {
            idempotency_key: "auth-shop-confirm".into(),
            order_id: order.order_id.clone(),
            expected_amount_fen: 1,
        })
        .await
        .unwrap_err();
    assert_missing_scope(&status, "pay");
    let status = shop
        .refund(pb::RefundRequest {
            idempotency_key: "auth-shop-refund".into(),
            order_id: order.order_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_missing_scope(&status, "refund");
    let status = AdminServiceClient::new(with_token(&app.channel, Some(SHOP)))
        .list_notifications(pb::ListNotificationsRequest::default())
        .await
        .unwrap_err();
    assert_missing_scope(&status, "admin");

    // The payer's Confirm passes the scope check (and reaches the order).
    let status = BookingServiceClient::new(with_token(&app.channel, Some(PAYER)))
        .confirm(pb::ConfirmRequest {
            idempotency_key: "auth-payer-confirm".into(),
            order_id: order.order_id.clone(),
            expected_amount_fen: 1,
        })
        .await;
    if let Err(status) = &status {
        assert!(
            !matches!(
                status.code(),
                Code::PermissionDenied | Code::Unauthenticated
            ),
            "{status:?}"
        );
    }

    // Operations read notifications but may not search.
    AdminServiceClient::new(with_token(&app.channel, Some(OPS)))
        .list_notifications(pb::ListNotificationsRequest::default())
        .await
        .expect("admin lists notifications");
    let status = BookingServiceClient::new(with_token(&app.channel, Some(OPS)))
        .search(search_request())
        .await
        .unwrap_err();
    assert_missing_scope(&status, "search");

    // Probes need no token.
    let health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn orders_belong_to_the_caller_that_booked_them() {
    let (app, _clients) = app_with_clients().await;
    let mut shop = BookingServiceClient::new(with_token(&app.channel, Some(SHOP)));
    let mut payer = BookingServiceClient::new(with_token(&app.channel, Some(PAYER)));
    let seats: Vec<pb::SeatOffer> = shop
        .search(search_request())
        .await
        .unwrap()
        .into_inner()
        .trains
        .iter()
        .flat_map(|train| train.seats.clone())
        .filter(|seat| {
            seat.provider == pb::Provider::Panhe as i32
                && seat.seat_class == pb::SeatClass::Second as i32
                && seat.remaining >= 2
        })
        .collect();
    // The same idempotency key from two callers: two orders.
    let mine = shop
        .book(book_request("same-key", &seats[0].offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let theirs = payer
        .book(book_request("same-key", &seats[1].offer_id))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_ne!(mine.order_id, theirs.order_id);

    // The payer cannot see, watch, pay, cancel or refund the shop's order:
    // NOT_FOUND, exactly as for an order that does not exist.
    let id = mine.order_id.clone();
    let not_found = |status: tonic::Status| {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert_eq!(
            details(&status).error_info().unwrap().reason,
            "ORDER_NOT_FOUND"
        );
    };
    not_found(
        payer
            .get_order(pb::GetOrderRequest {
                order_id: id.clone(),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        payer
            .watch_order(pb::WatchOrderRequest {
                order_id: id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    not_found(
        payer
            .confirm(pb::ConfirmRequest {
                idempotency_key: "steal-confirm".into(),
                order_id: id.clone(),
                expected_amount_fen: mine.total_amount_fen.max(1),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        payer
            .cancel(pb::CancelRequest {
                idempotency_key: "steal-cancel".into(),
                order_id: id.clone(),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        payer
            .refund(pb::RefundRequest {
                idempotency_key: "steal-refund".into(),
                order_id: id.clone(),
                ticket_id: mine.tickets[0].ticket_id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    // Its owner still sees it; each lists only its own.
    shop.get_order(pb::GetOrderRequest {
        order_id: id.clone(),
    })
    .await
    .expect("the owner reads its order");
    let listed = |orders: Vec<pb::Order>| {
        orders
            .into_iter()
            .map(|order| order.order_id)
            .collect::<Vec<_>>()
    };
    let shop_list = shop
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(listed(shop_list), [id]);
    let payer_list = payer
        .list_orders(pb::ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(listed(payer_list), [theirs.order_id]);
}
