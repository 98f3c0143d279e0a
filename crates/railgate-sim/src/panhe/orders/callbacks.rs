//! Callbacks (订单状态推送通知). The seed names the URLs (`callBackUrl`,
//! `refundTicketCallbackUrl`, a change's `callBackUrl`) but not the body, so
//! the body is the simulator's choice, small on purpose: railgate treats a
//! callback as a trigger and re-fetches order detail.
//!
//! ```json
//! {"notifyType":"order","notifyId":"T26050110000010001-3","notifyTime":"2026-05-01 10:00:03",
//!  "orderNo":"T26050110000010001","customerOrderNo":"c-1","orderStatus":2,"orderStatusName":"占位成功"}
//! ```
//! Refunds add `ticketNo`, `ticketStatus`, `ticketStatusName` and `failMsg`
//! (the seed's name for the refund failure reason); changes add `chaNo`,
//! `chaOrderStatus` and `chaOrderStatusName`. `notifyId` is the same on
//! every retry and copy of one status change.
//!
//! Delivery never blocks a request: each callback is a task that POSTs JSON,
//! counts any 2xx as delivered, and otherwise retries four times after 15,
//! 30, 60 and 120 s of provider time.
//!
//! [`CallbackMode::DuplicateLate`] holds a stale copy of each callback back
//! until the same order's next callback has been delivered, so the copy
//! arrives out of order, after news it predates. The copy of an order's
//! last callback (nothing comes after it) goes out after twice the longest
//! configured delay instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::Scripts;
use super::model::{ChangeOrder, Order, Ticket};
use crate::panhe::SimState;

/// Backoff before each retry, provider time.
const RETRY_BACKOFF: [Duration; 4] = [
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
];

/// Most callback records kept for inspection.
const LOG_LIMIT: usize = 10_000;

/// Numbers status changes, for `notifyId`.
static NOTIFY_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// What happens to callbacks (tests script it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallbackMode {
    /// Send each once, retrying failures.
    #[default]
    Deliver,
    /// Send nothing (the records say `dropped`).
    Drop,
    /// Send each twice: once at once, and a stale copy right after the
    /// same order's next callback was delivered (or, when none comes, after
    /// twice the longest configured delay).
    DuplicateLate,
}

/// One callback and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackRecord {
    pub url: String,
    pub body: Value,
    /// POSTs made so far, copies included.
    pub attempts: u32,
    /// Whether a POST got a 2xx.
    pub delivered: bool,
    /// When each POST that got a 2xx finished, as a simulator-wide count of
    /// such deliveries (copies included): tests compare them to see the
    /// order callbacks arrived in.
    pub deliveries: Vec<u64>,
    /// Whether it was dropped by [`CallbackMode::Drop`].
    pub dropped: bool,
    id: u64,
}

/// A stale copy waiting for its order's next callback
/// ([`CallbackMode::DuplicateLate`]).
#[derive(Debug, Clone)]
pub(super) struct HeldCopy {
    order_no: String,
    id: u64,
    url: String,
    body: Value,
}

/// A callback to send: to `url`, if the order gave one.
#[derive(Debug, Clone)]
pub(super) struct Notice {
    url: Option<String>,
    body: Value,
}

fn header(kind: &str, order: &Order, now: NaiveDateTime) -> Value {
    let sequence = NOTIFY_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    json!({
        "notifyType": kind,
        "notifyId": format!("{}-{sequence}", order.order_no),
        "notifyTime": now.format("%Y-%m-%d %H:%M:%S").to_string(),
        "orderNo": order.order_no,
        "customerOrderNo": order.customer_order_no,
    })
}

impl Notice {
    /// The order's status changed.
    pub fn order(order: &Order, now: NaiveDateTime) -> Notice {
        let mut body = header("order", order, now);
        body["orderStatus"] = json!(order.status.code());
        body["orderStatusName"] = json!(order.status.name());
        Notice {
            url: order.call_back_url.clone(),
            body,
        }
    }

    /// A ticket's refund status changed; to refundTicketCallbackUrl, or
    /// callBackUrl when the order gave none.
    pub fn refund(order: &Order, ticket: &Ticket, now: NaiveDateTime) -> Notice {
        let mut body = header("refund", order, now);
        body["ticketNo"] = json!(ticket.ticket_no);
        body["ticketStatus"] = json!(ticket.status.code());
        body["ticketStatusName"] = json!(ticket.status.name());
        body["failMsg"] = json!(ticket.refund.fail_reason);
        Notice {
            url: order
                .refund_callback_url
                .clone()
                .or_else(|| order.call_back_url.clone()),
            body,
        }
    }

    /// A change order's status changed; to its callBackUrl, or the order's.
    pub fn change(order: &Order, change: &ChangeOrder, now: NaiveDateTime) -> Notice {
        let mut body = header("change", order, now);
        body["chaNo"] = json!(change.cha_no);
        body["chaOrderStatus"] = json!(change.status.code());
        body["chaOrderStatusName"] = json!(change.status.name());
        Notice {
            url: change
                .call_back_url
                .clone()
                .or_else(|| order.call_back_url.clone()),
            body,
        }
    }
}

impl SimState {
    /// Send callbacks in the background, as the callback mode says.
    pub(super) fn notify(self: &Arc<Self>, notices: Vec<Notice>) {
        for notice in notices {
            let Some(url) = notice.url else {
                continue;
            };
            let (mode, id) = {
                let mut scripts = self.scripts();
                let id = NOTIFY_SEQUENCE.fetch_add(1, Ordering::Relaxed);
                let mode = scripts.callback_mode;
                if scripts.callback_log.len() >= LOG_LIMIT {
                    scripts.callback_log.drain(..LOG_LIMIT / 10);
                }
                scripts.callback_log.push(CallbackRecord {
                    url: url.clone(),
                    body: notice.body.clone(),
                    attempts: 0,
                    delivered: false,
                    deliveries: Vec::new(),
                    dropped: mode == CallbackMode::Drop,
                    id,
                });
                (mode, id)
            };
            match mode {
                CallbackMode::Drop => {
                    tracing::debug!(
                        kind = url_kind(&url),
                        "panhe sim callback dropped (scripted)"
                    );
                }
                CallbackMode::Deliver => {
                    tokio::spawn(deliver(Arc::clone(self), id, url, notice.body));
                }
                CallbackMode::DuplicateLate => self.deliver_then_duplicate(id, url, notice.body),
            }
        }
    }

    /// Delivers the callback, then the held copies of the same order's
    /// earlier callbacks (now stale); holds this one's copy back in turn.
    fn deliver_then_duplicate(self: &Arc<Self>, id: u64, url: String, body: Value) {
        let order_no = body["orderNo"].as_str().unwrap_or_default().to_owned();
        let stale = {
            let mut scripts = self.scripts();
            let (stale, others) = std::mem::take(&mut scripts.held_copies)
                .into_iter()
                .partition(|copy| copy.order_no == order_no);
            scripts.held_copies = others;
            scripts.held_copies.push(HeldCopy {
                order_no,
                id,
                url: url.clone(),
                body: body.clone(),
            });
            stale
        };
        let state = Arc::clone(self);
        tokio::spawn(async move {
            deliver(Arc::clone(&state), id, url, body).await;
            for copy in stale {
                deliver(Arc::clone(&state), copy.id, copy.url, copy.body).await;
            }
        });
        // No next callback may ever come: the copy goes out late anyway.
        let config = &self.config;
        let longest = config
            .hold_delay
            .max(config.issue_delay)
            .max(config.refund_delay);
        let late = self.real_duration(longest * 2);
        let state = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(late).await;
            let copy = {
                let mut scripts = state.scripts();
                let index = scripts.held_copies.iter().position(|copy| copy.id == id);
                index.map(|index| scripts.held_copies.remove(index))
            };
            if let Some(copy) = copy {
                deliver(state, copy.id, copy.url, copy.body).await;
            }
        });
    }

    fn update_callback(&self, id: u64, update: impl FnOnce(&mut CallbackRecord)) {
        let mut scripts = self.scripts();
        update_record(&mut scripts, id, update);
    }

    /// Marks a POST of callback `id` as answered with a 2xx.
    fn record_delivery(&self, id: u64) {
        let mut scripts = self.scripts();
        scripts.deliveries += 1;
        let sequence = scripts.deliveries;
        update_record(&mut scripts, id, |record| {
            record.delivered = true;
            record.deliveries.push(sequence);
        });
    }
}

fn update_record(scripts: &mut Scripts, id: u64, update: impl FnOnce(&mut CallbackRecord)) {
    if let Some(record) = scripts
        .callback_log
        .iter_mut()
        .rev()
        .find(|record| record.id == id)
    {
        update(record);
    }
}

/// The last path segment of a callback URL (`order`, `refund`): what logs
/// may say of it. The URL itself carries the receiver's secret.
fn url_kind(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or("")
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
                state.record_delivery(id);
                return;
            }
            Ok(response) => {
                tracing::debug!(kind = url_kind(&url), status = %response.status(), attempt, "panhe sim callback refused");
            }
            Err(error) => {
                tracing::debug!(kind = url_kind(&url), error = %error.without_url(), attempt, "panhe sim callback failed");
            }
        }
    }
    tracing::warn!(
        kind = url_kind(&url),
        "panhe sim callback undelivered after retries"
    );
}
