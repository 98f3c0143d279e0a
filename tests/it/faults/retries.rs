//! The caller's retry right after a lost answer (issue 19). The matrix
//! retries once the reconciler has settled the order; a caller may retry
//! sooner, with the same idempotency key, and that must not send a
//! payment whose outcome is unknown a second time.

use super::group::Group;
use super::observe::past_the_lease;
use super::panhe_cells::held_change;
use super::proxy::Fault;
use railgate::proto::{self as pb};
use tonic::Code;

const CONFIRM_CHANGE: &str = "/train/confirmChange";

/// ConfirmChange's answer is lost after Panhe took the payment: the
/// same-key retry at once is told the first is still in progress (its key
/// stays claimed for the lease) instead of sending confirmChange again;
/// after the lease it finds the change as the reconciler read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_change_confirmation_is_not_sent_again_by_a_prompt_retry() {
    let group = Group::start().await;
    let (order, change) = held_change(&group, "prompt").await;
    let request = pb::ConfirmChangeRequest {
        idempotency_key: "prompt-confirm-change".into(),
        order_id: order.order_id.clone(),
        change_id: change.change_id.clone(),
        expected_amount_fen: change.need_to_pay_fen,
    };
    let proxy = &group.panhe_proxy;
    proxy.arm(Fault::ResetBeforeAnswer, CONFIRM_CHANGE).await;
    let lost = group
        .app
        .booking()
        .confirm_change(request.clone())
        .await
        .expect_err("the answer was lost");
    proxy.disarm().await;
    assert_eq!(lost.code(), Code::Unavailable, "{lost:?}");

    let prompt = group
        .app
        .booking()
        .confirm_change(request.clone())
        .await
        .expect_err("still in progress");
    assert_eq!(prompt.code(), Code::Aborted, "{prompt:?}");
    assert_eq!(proxy.sent(CONFIRM_CHANGE), 1);

    let later = past_the_lease(async || group.app.booking().confirm_change(request.clone()).await)
        .await
        .expect_err("the change is no longer held");
    assert_eq!(later.code(), Code::FailedPrecondition, "{later:?}");
    assert_eq!(proxy.sent(CONFIRM_CHANGE), 1);
    let confirmed = group
        .panhe
        .order(&order.provider_order_no)
        .expect("the order at Panhe")
        .train_cha_order
        .iter()
        .filter(|change| matches!(change.cha_order_status, 33..=35))
        .count();
    assert_eq!(confirmed, 1);
}
