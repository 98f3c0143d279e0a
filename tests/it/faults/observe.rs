//! What a cell observes, and how: the caller's answers (code and reason,
//! or the order's status), the order as it settles, and the checks every
//! cell must pass. A failed check is recorded in the row, not panicked
//! on, so one run shows every cell that misbehaves.

use super::proxy::Fault;
use crate::support::{TestApp, details};
use railgate::proto::{self as pb};
use std::time::{Duration, Instant};
use tonic::{Code, Status};

/// How long an order may take to settle: a stall ends within the provider
/// timeout, then the reconciler needs a round or two.
const SETTLE_WITHIN: Duration = Duration::from_secs(20);

/// One cell of the matrix, as the table shows it. No timing: the table is
/// the same on every run.
#[derive(Debug, Clone)]
pub struct Row {
    pub provider: &'static str,
    pub operation: &'static str,
    pub fault: Fault,
    /// The caller's answer: `OK · <order status>` or `<code> · <reason>`.
    pub answer: String,
    /// What the order settled to before the caller retried.
    pub settled: String,
    /// The same request again, with the same idempotency key.
    pub retry: String,
    /// Where the order ended.
    pub last: String,
    /// At the simulator: bookings / payments / refunds of the cell.
    pub at_simulator: String,
    /// Requests of the operation's endpoint that reached the simulator.
    pub sent: String,
    /// Checks the cell failed; empty when railgate behaved.
    pub violations: Vec<String>,
}

impl Row {
    pub fn new(provider: &'static str, operation: &'static str, fault: Fault) -> Row {
        Row {
            provider,
            operation,
            fault,
            answer: "—".into(),
            settled: "—".into(),
            retry: "—".into(),
            last: "—".into(),
            at_simulator: "—".into(),
            sent: "—".into(),
            violations: Vec::new(),
        }
    }

    pub fn violation(&mut self, what: impl Into<String>) {
        self.violations.push(what.into());
    }
}

/// `DEADLINE_EXCEEDED` for `Code::DeadlineExceeded`.
pub fn code_name(code: Code) -> String {
    let mut name = String::new();
    for (index, letter) in format!("{code:?}").chars().enumerate() {
        if letter.is_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(letter.to_ascii_uppercase());
    }
    name
}

/// `ISSUED` for an order status.
pub fn order_status(order: &pb::Order) -> String {
    pb::OrderStatus::try_from(order.status)
        .map(|status| status.as_str_name().trim_start_matches("ORDER_STATUS_"))
        .unwrap_or("?")
        .to_owned()
}

/// `ticket REFUNDED` for the order's first ticket.
pub fn first_ticket(order: &pb::Order) -> String {
    let status = order.tickets.first().map_or(0, |ticket| ticket.status);
    let name = pb::TicketStatus::try_from(status)
        .map(|status| status.as_str_name().trim_start_matches("TICKET_STATUS_"))
        .unwrap_or("?");
    format!("ticket {name}")
}

/// `change HELD` for the order's newest change, `no change` without one.
pub fn newest_change(order: &pb::Order) -> String {
    match order.changes.last() {
        None => "no change".into(),
        Some(change) => {
            let name = pb::ChangeStatus::try_from(change.status)
                .map(|status| status.as_str_name().trim_start_matches("CHANGE_STATUS_"))
                .unwrap_or("?");
            format!("change {name}")
        }
    }
}

/// Whether the order's newest change has `status`.
pub fn change_is(order: &pb::Order, status: pb::ChangeStatus) -> bool {
    order
        .changes
        .last()
        .is_some_and(|change| change.status == status as i32)
}

/// The answer as the table shows it; a refusal railgate did not map
/// (UNKNOWN, or no ErrorInfo reason: a panic, a transport error) is a
/// violation.
pub fn answer<T>(
    row: &mut Row,
    result: &Result<T, Status>,
    describe: impl Fn(&T) -> String,
) -> String {
    match result {
        Ok(value) => match describe(value) {
            note if note.is_empty() => "OK".into(),
            note => format!("OK · {note}"),
        },
        Err(status) => refusal(row, status),
    }
}

/// What an answer's order says beyond OK: only that its outcome is not
/// known (how far the order got afterwards depends on timing, and the
/// table has none).
pub fn unsettled_note(order: &pb::Order) -> String {
    if order.status == pb::OrderStatus::Unknown as i32 {
        return "UNKNOWN".into();
    }
    match order.changes.last() {
        Some(change) if change.provider_change_no.is_empty() => "change without chaNo".into(),
        _ => String::new(),
    }
}

fn refusal(row: &mut Row, status: &Status) -> String {
    let reason = details(status)
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    if status.code() == Code::Unknown || reason.is_empty() {
        row.violation(format!(
            "unmapped error: {:?} {:?} (no ErrorInfo reason)",
            status.code(),
            status.message()
        ));
    }
    format!("{} · {}", code_name(status.code()), reason)
}

/// A mutating RPC's response: each carries the order.
pub trait WithOrder {
    fn order(self) -> Option<pb::Order>;
}

macro_rules! with_order {
    ($($response:ty),*) => {
        $(impl WithOrder for $response {
            fn order(self) -> Option<pb::Order> {
                self.order
            }
        })*
    };
}

with_order!(
    pb::BookResponse,
    pb::ConfirmResponse,
    pb::CancelResponse,
    pb::RefundResponse,
    pb::ChangeResponse,
    pb::ConfirmChangeResponse,
    pb::CancelChangeResponse
);

/// The order of a mutating RPC's answer.
pub fn order_of<T: WithOrder>(
    answer: Result<tonic::Response<T>, Status>,
) -> Result<pb::Order, Status> {
    answer.map(|answer| {
        answer
            .into_inner()
            .order()
            .expect("an answer carries its order")
    })
}

pub async fn get(app: &TestApp, order_id: &str) -> pb::Order {
    app.booking()
        .get_order(pb::GetOrderRequest {
            order_id: order_id.into(),
        })
        .await
        .expect("GetOrder answers")
        .into_inner()
        .order
        .expect("an order")
}

/// Polls the order until `done`, for at most [`SETTLE_WITHIN`]: `Ok` with
/// the order then, `Err` with the order as it was last seen.
pub async fn settle(
    app: &TestApp,
    order_id: &str,
    done: impl Fn(&pb::Order) -> bool,
) -> Result<pb::Order, pb::Order> {
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let order = get(app, order_id).await;
        if done(&order) {
            return Ok(order);
        }
        if Instant::now() >= deadline {
            return Err(order);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Sends `call` until it is not refused as still in progress (ABORTED: the
/// first attempt's key is leased), for at most [`SETTLE_WITHIN`].
pub async fn past_the_lease<T>(
    mut call: impl AsyncFnMut() -> Result<T, Status>,
) -> Result<T, Status> {
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let result = call().await;
        match &result {
            Err(status) if status.code() == Code::Aborted && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => return result,
        }
    }
}

/// How many calls to `operation` (an endpoint path) of `provider` railgate
/// counted with `outcome`, from its metrics.
pub async fn provider_calls(app: &TestApp, provider: &str, operation: &str, outcome: &str) -> u64 {
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    let labels = [
        format!("provider=\"{provider}\""),
        format!("operation=\"{operation}\""),
        format!("outcome=\"{outcome}\""),
    ];
    text.lines()
        .filter(|line| line.starts_with("railgate_provider_call_duration_seconds_count{"))
        .filter(|line| labels.iter().all(|label| line.contains(label.as_str())))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
