//! Provider faults sprinkled over the soak: one group a minute, ten
//! seconds past the minute (the resource samples are taken on the minute,
//! between groups), in a four-minute rotation. The simulators run in the
//! bench process, so their scripting reaches them; the client-side faults
//! (bad requests, abandoned calls, retries, idle connections) are the
//! traffic's own, in [`super::traffic`].

use super::providers::Providers;
use railgate_sim::{juhe, panhe};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;

/// A provider fault the soak injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Fault {
    PanheHoldFails,
    PanheIssueFails,
    PanheRefundFails,
    PanheSlow,
    PanheOutage,
    JuheBusy,
    JuheGrabFails,
    JuheRefundFails,
}

/// How long Panhe is down in an outage: past the breaker's five failures
/// in a row and its 30 s ejection, so a probe meets it down or back.
pub const OUTAGE: Duration = Duration::from_secs(30);
/// How long Panhe answers late, and how late: past railgate's 10 s Panhe
/// timeout, so every booking call's answer is lost.
pub const SLOW_WINDOW: Duration = Duration::from_secs(15);
pub const SLOW_ANSWER: Duration = Duration::from_secs(12);

impl Fault {
    /// Every fault, in the order the document lists them.
    pub const ALL: [Fault; 8] = [
        Fault::PanheHoldFails,
        Fault::PanheIssueFails,
        Fault::PanheRefundFails,
        Fault::PanheSlow,
        Fault::PanheOutage,
        Fault::JuheBusy,
        Fault::JuheGrabFails,
        Fault::JuheRefundFails,
    ];

    /// What is done, and what railgate should make of it.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Fault::PanheHoldFails => (
                "Panhe: the next seat hold fails (占位失败, scripted)",
                "that order ends FAILED with the provider's reason",
            ),
            Fault::PanheIssueFails => (
                "Panhe: the next issuing fails (出票失败, payment refunded)",
                "that order ends FAILED after Confirm",
            ),
            Fault::PanheRefundFails => (
                "Panhe: the next refund fails (退票失败)",
                "that ticket ends REFUND_FAILED",
            ),
            Fault::PanheSlow => (
                "Panhe answers every booking call 12 s late, for 15 s (its effect happens; railgate gives up at 10 s)",
                "answers lost: orders UNKNOWN until the reconciler (or, for Book, the caller's retry with the same key) settles them",
            ),
            Fault::PanheOutage => (
                "Panhe down for 30 s: its port closed, connections refused, then back on the same address",
                "Search answers from Juhe, Panhe calls fail UNAVAILABLE, the circuit breaker opens and closes again",
            ),
            Fault::JuheBusy => (
                "Juhe: the next request answers 225700 网络繁忙 (scripted)",
                "one search or order read fails and is retried, or reported in provider_results",
            ),
            Fault::JuheGrabFails => (
                "Juhe: the next grab attempt fails (U, 出票失败)",
                "that grab order ends FAILED",
            ),
            Fault::JuheRefundFails => (
                "Juhe: the next refund fails (msgCode 312)",
                "that ticket ends REFUND_FAILED",
            ),
        }
    }

    /// The group injected in minute `minute` of the run.
    pub fn group(minute: u64) -> &'static [Fault] {
        match minute % 4 {
            0 => &[Fault::PanheHoldFails, Fault::JuheBusy],
            1 => &[Fault::PanheSlow, Fault::JuheGrabFails],
            2 => &[
                Fault::PanheIssueFails,
                Fault::PanheRefundFails,
                Fault::JuheRefundFails,
            ],
            _ => &[Fault::PanheOutage],
        }
    }
}

/// How many times each fault was injected.
pub type Injected = BTreeMap<Fault, u64>;

/// Injects a group a minute until `stop`; hands the simulators back with
/// what it injected.
pub async fn sprinkle(
    mut providers: Providers,
    mut stop: watch::Receiver<bool>,
) -> (Providers, Injected) {
    let mut injected = Injected::new();
    let started = tokio::time::Instant::now();
    for minute in 0.. {
        let due = started + Duration::from_secs(minute * 60 + 10);
        tokio::select! {
            _ = tokio::time::sleep_until(due) => {}
            _ = stop.wait_for(|stop| *stop) => break,
        }
        for fault in Fault::group(minute) {
            if *stop.borrow() {
                break;
            }
            inject(&mut providers, *fault, &mut stop).await;
            *injected.entry(*fault).or_default() += 1;
        }
    }
    (providers, injected)
}

async fn inject(providers: &mut Providers, fault: Fault, stop: &mut watch::Receiver<bool>) {
    match fault {
        Fault::PanheHoldFails => providers
            .panhe
            .script(panhe::orders::Fault::FailNextHold("12306系统维护中".into())),
        Fault::PanheIssueFails => providers.panhe.script(panhe::orders::Fault::FailNextIssue),
        Fault::PanheRefundFails => providers.panhe.script(panhe::orders::Fault::FailNextRefund),
        Fault::JuheBusy => providers
            .juhe
            .script(juhe::orders::Fault::FailNextRequest(225_700)),
        Fault::JuheGrabFails => providers
            .juhe
            .script(juhe::orders::Fault::FailNextGrab("余票不足".into())),
        Fault::JuheRefundFails => providers.juhe.script(juhe::orders::Fault::FailNextRefund),
        Fault::PanheSlow => {
            providers.panhe.set_response_delay(Some(SLOW_ANSWER));
            pause(SLOW_WINDOW, stop).await;
            providers.panhe.set_response_delay(None);
        }
        Fault::PanheOutage => {
            providers.panhe_down().await;
            pause(OUTAGE, stop).await;
            if let Err(error) = providers.panhe_up().await {
                // The soak goes on without Panhe: its figures still say
                // whether railgate leaks; the document shows the failures.
                tracing::warn!(error = %error, "soak: Panhe did not come back");
            }
        }
    }
}

/// Sleeps `length`, or less if the soak stops.
async fn pause(length: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(length) => {}
        _ = stop.wait_for(|stop| *stop) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_is_in_the_rotation_and_described() {
        let rotated: Vec<Fault> = (0..4)
            .flat_map(|minute| Fault::group(minute).to_vec())
            .collect();
        for fault in Fault::ALL {
            assert_eq!(
                rotated.iter().filter(|one| **one == fault).count(),
                1,
                "{fault:?} once every four minutes"
            );
            let (what, expected) = fault.describe();
            assert!(!what.is_empty() && !expected.is_empty());
        }
        assert_eq!(Fault::group(4), Fault::group(0));
    }
}
