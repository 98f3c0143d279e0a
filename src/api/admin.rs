//! `railgate.v1.AdminService`: the notification outbox for operators:
//! list pending, delivered and dead notifications; replay a dead one.

use super::ApiState;
use super::convert_order::instant;
use super::status::{ApiError, Violation};
use crate::notify::alitrip_book::BookCallbackPayload;
use crate::proto as pb;
use crate::proto::admin_service_server::AdminService;
use crate::store::{MAX_OUTBOX_PAGE_SIZE, OutboxEntry, OutboxError, OutboxState, StoreError};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Page size when the request gives none.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// The AdminService implementation.
pub struct AdminApi {
    state: Arc<ApiState>,
}

impl AdminApi {
    /// A service over shared state.
    pub fn new(state: Arc<ApiState>) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        list_notifications(&self.state, request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn replay_notification(
        &self,
        request: Request<pb::ReplayNotificationRequest>,
    ) -> Result<Response<pb::ReplayNotificationResponse>, Status> {
        let state = &self.state;
        super::audit::audited("ReplayNotification", request, |_, request| async move {
            replay_notification(state, request).await
        })
        .await
    }
}

/// ListNotifications.
pub async fn list_notifications(
    state: &ApiState,
    request: pb::ListNotificationsRequest,
) -> Result<pb::ListNotificationsResponse, ApiError> {
    let mut violations = Vec::new();
    let page_size = match request.page_size {
        0 => DEFAULT_PAGE_SIZE,
        size if size < 0 => {
            violations.push(Violation::new("page_size", "must not be negative"));
            0
        }
        size => u32::try_from(size).unwrap_or(MAX_OUTBOX_PAGE_SIZE),
    };
    let mut states = Vec::new();
    for (index, value) in request.states.iter().enumerate() {
        match state_from_proto(*value) {
            Some(state) => states.push(state),
            None => violations.push(Violation::new(
                format!("states[{index}]"),
                format!("{value} is not a notification state"),
            )),
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    if states.is_empty() {
        states = vec![OutboxState::Pending, OutboxState::Dead];
    }
    let token = Some(request.page_token.as_str()).filter(|token| !token.is_empty());
    let page = state
        .orders
        .store()
        .list_outbox(&states, page_size, token)
        .await
        .map_err(|error| match error {
            StoreError::InvalidPageToken => ApiError::InvalidArgument(vec![Violation::new(
                "page_token",
                "is not a token from a previous ListNotifications page",
            )]),
            other => ApiError::Outbox(OutboxError::Store(other)),
        })?;
    Ok(pb::ListNotificationsResponse {
        notifications: page.entries.iter().map(notification_to_proto).collect(),
        next_page_token: page.next_page_token.unwrap_or_default(),
    })
}

/// ReplayNotification.
pub async fn replay_notification(
    state: &ApiState,
    request: pb::ReplayNotificationRequest,
) -> Result<pb::ReplayNotificationResponse, ApiError> {
    let Some(id) = notification_id(&request.notification_id) else {
        return Err(ApiError::InvalidArgument(vec![Violation::new(
            "notification_id",
            "must be a notification id from ListNotifications",
        )]));
    };
    let entry = state.orders.store().replay_outbox(id).await?;
    tracing::info!(
        notification_id = id,
        topic = %entry.topic,
        "notification replayed by an operator"
    );
    Ok(pb::ReplayNotificationResponse {
        notification: Some(notification_to_proto(&entry)),
    })
}

fn notification_id(text: &str) -> Option<i64> {
    text.trim().parse().ok().filter(|id| *id > 0)
}

fn state_from_proto(value: i32) -> Option<OutboxState> {
    match pb::NotificationState::try_from(value).ok()? {
        pb::NotificationState::Unspecified => None,
        pb::NotificationState::Pending => Some(OutboxState::Pending),
        pb::NotificationState::Delivered => Some(OutboxState::Delivered),
        pb::NotificationState::Dead => Some(OutboxState::Dead),
    }
}

fn state_to_proto(state: OutboxState) -> pb::NotificationState {
    match state {
        OutboxState::Pending => pb::NotificationState::Pending,
        OutboxState::Delivered => pb::NotificationState::Delivered,
        OutboxState::Dead => pb::NotificationState::Dead,
    }
}

fn notification_to_proto(entry: &OutboxEntry) -> pb::Notification {
    let pending = entry.state == OutboxState::Pending;
    pb::Notification {
        notification_id: entry.id.to_string(),
        topic: entry.topic.clone(),
        order_id: entry
            .order_id
            .as_ref()
            .map(|id| id.as_str().to_owned())
            .unwrap_or_default(),
        outcome: BookCallbackPayload::parse(&entry.payload)
            .map(|payload| payload.outcome.as_str().to_owned())
            .unwrap_or_default(),
        state: state_to_proto(entry.state) as i32,
        attempts: entry.attempts,
        last_error: entry.last_error.clone().unwrap_or_default(),
        created_at: instant(Some(entry.created_at)),
        next_attempt_at: instant(pending.then_some(entry.next_attempt_at)),
        delivered_at: instant(entry.done_at),
        dead_at: instant(entry.dead_at),
        replayed_at: instant(entry.replayed_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unspecified_is_no_state() {
        for state in OutboxState::ALL {
            assert_eq!(state_from_proto(state_to_proto(state) as i32), Some(state));
        }
        assert_eq!(state_from_proto(0), None);
        assert_eq!(state_from_proto(99), None);
    }

    #[test]
    fn notification_ids_are_positive_decimals() {
        assert_eq!(notification_id(" 42 "), Some(42));
        for bad in ["", "0", "-3", "4x", "ord_1"] {
            assert_eq!(notification_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn entries_show_their_outcome_and_only_their_state_times() {
        let created: chrono::DateTime<chrono::Utc> = "2026-11-20T01:00:00Z".parse().unwrap();
        let entry = OutboxEntry {
            id: 7,
            topic: "alitrip.book_callback".into(),
            order_id: None,
            payload: br#"{"outcome":"issued"}"#.to_vec(),
            state: OutboxState::Dead,
            attempts: 3,
            last_error: Some("top error 50".into()),
            created_at: created,
            next_attempt_at: created,
            lease_until: None,
            done_at: None,
            dead_at: Some(created),
            replayed_at: None,
        };
        let proto = notification_to_proto(&entry);
        assert_eq!(proto.notification_id, "7");
        assert_eq!(proto.outcome, "issued");
        assert_eq!(proto.state, pb::NotificationState::Dead as i32);
        assert_eq!(proto.created_at, "2026-11-20T09:00:00+08:00");
        assert_eq!(proto.dead_at, proto.created_at);
        assert!(proto.next_attempt_at.is_empty(), "not pending");
        assert!(proto.delivered_at.is_empty());
    }
}
