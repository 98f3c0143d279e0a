//! Every error's status, code, reason and metadata.

use super::*;
use crate::domain::ProviderId;

fn rejected(reason: RejectReason) -> ApiError {
    ProviderError::Rejected {
        provider: ProviderId::Panhe,
        reason,
        code: Some("223801".into()),
        message: "出发车站不存在".into(),
    }
    .into()
}

#[test]
fn every_rejection_has_a_code_and_its_reason() {
    for reason in RejectReason::ALL {
        let status = Status::from(rejected(reason));
        assert_eq!(status.code(), reject_code(reason));
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, reason.as_str());
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(info.metadata["provider"], "panhe");
        assert_eq!(info.metadata["provider_message"], "出发车站不存在");
        assert_eq!(info.metadata["provider_code"], "223801");
    }
}

#[test]
fn an_invalid_grab_order_is_invalid_argument_with_its_fields() {
    use crate::providers::juhe::submit::{InvalidGrabOrder, Violation as GrabViolation};
    let invalid = InvalidGrabOrder {
        violations: vec![GrabViolation {
            field: "passengers[1].passenger_type".into(),
            description: "adult and child tickets only".into(),
        }],
    };
    let status = Status::from(ApiError::Orders(OrderError::InvalidGrab(invalid)));
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let violations = &details.bad_request().expect("BadRequest").field_violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "passengers[1].passenger_type");
}

#[test]
fn answers_never_echo_much_of_the_request() {
    let huge = "长".repeat(3_000_000);
    let mut violations = vec![Violation::new("train_code", format!("{huge:?} is unknown"))];
    violations
        .extend((0..5_000).map(|index| Violation::new(format!("passengers[{index}]"), "bad")));
    let status = Status::from(ApiError::InvalidArgument(violations));
    assert!(
        status.message().len() < 8 * 1024,
        "{}",
        status.message().len()
    );
    assert!(
        status.message().ends_with("; and 4981 more"),
        "{}",
        &status.message()[..100]
    );
    let details = tonic_types::StatusExt::get_error_details(&status);
    let bad_request = details.bad_request().unwrap();
    assert_eq!(bad_request.field_violations.len(), MAX_VIOLATIONS_SHOWN);
    assert!(bad_request.field_violations[0].description.chars().count() <= MAX_EXCERPT_CHARS + 1);
    let not_found = Status::from(ApiError::NotFound {
        what: "station",
        detail: huge.clone(),
    });
    assert!(not_found.message().len() < 1024);
    assert_eq!(excerpt("短"), "短");
}

#[test]
fn invalid_argument_lists_every_violation() {
    let status = Status::from(ApiError::InvalidArgument(vec![
        Violation::new("from_station", "unknown"),
        Violation::new("travel_date", "in the past"),
    ]));
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "from_station: unknown; travel_date: in the past"
    );
    let details = status.get_error_details();
    let violations = &details.bad_request().unwrap().field_violations;
    assert_eq!(violations.len(), 2);
    assert_eq!(violations[1].field, "travel_date");
}

#[test]
fn outbox_errors_say_what_the_operator_can_do() {
    let missing = Status::from(ApiError::from(OutboxError::NotFound(9)));
    assert_eq!(missing.code(), Code::NotFound);
    let info = missing.get_error_details().error_info().unwrap().clone();
    assert_eq!(info.reason, "NOTIFICATION_NOT_FOUND");
    assert_eq!(info.metadata["notification_id"], "9");
    let delivered = Status::from(ApiError::from(OutboxError::NotDead {
        id: 9,
        state: crate::store::OutboxState::Delivered,
    }));
    assert_eq!(delivered.code(), Code::FailedPrecondition);
    let info = delivered.get_error_details().error_info().unwrap().clone();
    assert_eq!(info.reason, "NOTIFICATION_STATE");
    assert_eq!(info.metadata["state"], "delivered");
    let internal = Status::from(ApiError::from(OutboxError::Store(StoreError::Corrupt(
        "payload".into(),
    ))));
    assert_eq!(internal.code(), Code::Internal);
    assert_eq!(internal.message(), "internal error");
    // A database out of reach is worth a retry, the same key and all.
    let down = Status::from(ApiError::from(OutboxError::Store(StoreError::Database(
        sqlx::Error::PoolTimedOut,
    ))));
    assert_eq!(down.code(), Code::Unavailable);
    let details = down.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "DATABASE_UNAVAILABLE");
    assert!(details.retry_info().is_some());
    assert!(!down.message().contains("pool"), "{}", down.message());
}

#[test]
fn transport_failures_map_to_retryable_codes() {
    let timeout = Status::from(ApiError::from(ProviderError::Timeout {
        provider: ProviderId::Panhe,
        timeout: std::time::Duration::from_secs(1),
    }));
    assert_eq!(timeout.code(), Code::DeadlineExceeded);
    let server_error = Status::from(ApiError::from(ProviderError::HttpStatus {
        provider: ProviderId::Panhe,
        status: 502,
    }));
    assert_eq!(server_error.code(), Code::Unavailable);
    let client_error = Status::from(ApiError::from(ProviderError::HttpStatus {
        provider: ProviderId::Panhe,
        status: 404,
    }));
    assert_eq!(client_error.code(), Code::Internal);
}

#[test]
fn contract_breaks_do_not_leak_details() {
    let status = Status::from(ApiError::from(ProviderError::Malformed {
        provider: ProviderId::Panhe,
        detail: "cardNo \"110101199001011234\"".into(),
    }));
    assert_eq!(status.code(), Code::Internal);
    assert!(!status.message().contains("110101"));
    assert_eq!(
        status.get_error_details().error_info().unwrap().reason,
        "PROVIDER_BAD_RESPONSE"
    );
}

#[test]
fn an_open_breaker_is_unavailable_with_when_to_come_back() {
    let status = Status::from(ApiError::from(ProviderError::CircuitOpen {
        provider: ProviderId::Juhe,
        retry_in: std::time::Duration::from_millis(2500),
    }));
    assert_eq!(status.code(), Code::Unavailable);
    let details = status.get_error_details();
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "PROVIDER_UNAVAILABLE");
    assert_eq!(info.metadata["provider"], "juhe");
    assert_eq!(info.metadata["circuit"], "open");
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(std::time::Duration::from_millis(2500))
    );
}
