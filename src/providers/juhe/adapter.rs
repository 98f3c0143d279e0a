//! The Juhe adapter: neutral calls in, neutral answers out. Search maps
//! through [`super::search`], grab orders are checked and built by
//! [`super::submit`]; order detail and callbacks are applied to the order
//! record by [`super::order_sync`].

use super::PROVIDER;
use super::client::JuheClient;
use super::mapping::{SubmitIdNumbering, search_date};
use super::order_wire::{SubmitOrderRequest, SubmitOrderResult};
use super::search::search_answer;
use super::submit::{GrabOrder, InvalidGrabOrder, SubmitError, submit_request};
use super::wire::SearchRequest;
use crate::providers::{ProviderError, SearchAnswer, SearchQuery};
use crate::stations::StationDirectory;
use chrono::{DateTime, Utc};

/// The Juhe adapter.
#[derive(Debug, Clone)]
pub struct JuheAdapter {
    client: JuheClient,
    stations: &'static StationDirectory,
    submit_id_numbering: SubmitIdNumbering,
}

impl JuheAdapter {
    /// An adapter over `client`, naming stations from `stations`.
    pub fn new(client: JuheClient, stations: &'static StationDirectory) -> Self {
        Self {
            client,
            stations,
            submit_id_numbering: SubmitIdNumbering::default(),
        }
    }

    /// Numbers submitOrder's idCardType as `numbering` says (seed 001 is
    /// ambiguous; see [`SubmitIdNumbering`]).
    pub fn with_submit_id_numbering(mut self, numbering: SubmitIdNumbering) -> Self {
        self.submit_id_numbering = numbering;
        self
    }

    /// Checks `order` against Juhe's rules at `now` and builds its
    /// submitOrder request, without sending anything.
    pub fn submit_request<'a>(
        &self,
        order: &GrabOrder<'a>,
        now: DateTime<Utc>,
    ) -> Result<SubmitOrderRequest<'a>, InvalidGrabOrder> {
        submit_request(order, now, self.submit_id_numbering)
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// The client, for the calls that need no mapping on the way out
    /// (order detail, cancel, refund, callback registration).
    pub fn client(&self) -> &JuheClient {
        &self.client
    }

    /// 站站查询 → trains with fares and availability; each offer keeps the
    /// search's queryKey for [`JuheAdapter::submit_order`].
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchAnswer, ProviderError> {
        let request = SearchRequest {
            from: &query.from.name,
            to: &query.to.name,
            date: search_date(query.date),
            ticket_type: None,
        };
        let result = self.client.search(&request).await?;
        search_answer(result, query.date, self.stations)
    }

    /// 创建抢票单: checks `order` against Juhe's rules at `now` (nothing is
    /// sent when it breaks one) and submits it. Returns Juhe's order
    /// number; the grab itself goes on at Juhe until the deadline.
    pub async fn submit_order(
        &self,
        order: &GrabOrder<'_>,
        now: DateTime<Utc>,
    ) -> Result<String, SubmitError> {
        let request = self.submit_request(order, now)?;
        tracing::info!(
            provider = %PROVIDER,
            out_order_no = order.out_order_no,
            trains = request.train_nos.len(),
            seat_classes = request.seat_class_codes.len(),
            passengers = request.passengers.len(),
            "submitting grab order"
        );
        let result = self.client.submit_order(&request).await?;
        Ok(submitted_order_no(result, order.out_order_no)?)
    }
}

/// Juhe's order number from the submitOrder `result` for the order
/// `out_order_no`; an answer about another order is malformed. (Public
/// for the fuzz targets, `crate::fuzzing`.)
pub fn submitted_order_no(
    result: SubmitOrderResult,
    out_order_no: &str,
) -> Result<String, ProviderError> {
    if result.out_order_no != out_order_no {
        return Err(ProviderError::Malformed {
            provider: PROVIDER,
            detail: format!(
                "submitOrder answered for order {:?}, not {:?}",
                result.out_order_no, out_order_no
            ),
        });
    }
    Ok(result.order_no)
}
