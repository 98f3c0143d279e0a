//! Idempotency keys, the callback inbox and the outbox.

use super::fixtures::{base_time, order_at};
use chrono::{Duration, Utc};
use railgate::domain::{OrderEventKind, OrderStatus, ProviderId};
use railgate::store::{
    Alongside, Begin, CallbackRecord, NewOutboxMessage, OutboxClaim, OutboxError, OutboxState,
    Store, StoreError,
};
use std::collections::HashSet;
use std::time::Duration as StdDuration;

const LEASE: StdDuration = StdDuration::from_secs(60);

pub(super) async fn idempotency_new_completed_mismatch_resumed(store: &Store) {
    let begin = |key: &'static str, operation: &'static str, fingerprint: &'static [u8]| {
        store.begin_idempotent(key, operation, fingerprint, LEASE)
    };
    assert_eq!(begin("k1", "book", b"req-a").await.unwrap(), Begin::New);
    assert_eq!(
        begin("k1", "book", b"req-a").await.unwrap(),
        Begin::InProgress
    );
    assert_eq!(
        begin("k1", "book", b"req-b").await.unwrap(),
        Begin::Mismatch
    );
    assert_eq!(
        begin("k1", "cancel", b"req-a").await.unwrap(),
        Begin::Mismatch
    );

    store
        .complete_idempotent("k1", b"response-1")
        .await
        .unwrap();
    assert_eq!(
        begin("k1", "book", b"req-a").await.unwrap(),
        Begin::Completed(b"response-1".to_vec())
    );
    // The first response stays; a completed key cannot be released.
    store
        .complete_idempotent("k1", b"response-2")
        .await
        .unwrap();
    store.release_idempotent("k1").await.unwrap();
    assert_eq!(
        begin("k1", "book", b"req-a").await.unwrap(),
        Begin::Completed(b"response-1".to_vec())
    );
    assert_eq!(
        begin("k1", "book", b"req-b").await.unwrap(),
        Begin::Mismatch
    );

    // A released claim starts afresh.
    assert_eq!(begin("k2", "book", b"x").await.unwrap(), Begin::New);
    store.release_idempotent("k2").await.unwrap();
    assert_eq!(begin("k2", "book", b"x").await.unwrap(), Begin::New);

    // A claim whose lease ran out (its owner crashed) is taken over once.
    let expired = store
        .begin_idempotent("k3", "book", b"x", StdDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(expired, Begin::New);
    assert_eq!(begin("k3", "book", b"x").await.unwrap(), Begin::Resumed);
    assert_eq!(begin("k3", "book", b"x").await.unwrap(), Begin::InProgress);
    assert_eq!(begin("k3", "book", b"y").await.unwrap(), Begin::Mismatch);

    let error = store
        .complete_idempotent("never-claimed", b"r")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
}

pub(super) async fn concurrent_duplicate_keys_yield_exactly_one_new(store: &Store) {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .begin_idempotent("same-key", "book", b"same request", LEASE)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let new = outcomes.iter().filter(|o| **o == Begin::New).count();
    let in_progress = outcomes.iter().filter(|o| **o == Begin::InProgress).count();
    assert_eq!((new, in_progress), (1, 19), "{outcomes:?}");
}

pub(super) async fn callback_inbox_dedupes(store: &Store) {
    let payload = br#"{"orderNo":"T24012512251820419"}"#;
    assert!(
        store
            .record_callback(ProviderId::Panhe, "cb-1", payload)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_callback(ProviderId::Panhe, "cb-1", payload)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_callback(ProviderId::Juhe, "cb-1", payload)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_callback(ProviderId::Panhe, "cb-2", b"")
            .await
            .unwrap()
    );
    store
        .mark_callback_processed(ProviderId::Panhe, "cb-1")
        .await
        .unwrap();
    assert!(
        !store
            .record_callback(ProviderId::Panhe, "cb-1", payload)
            .await
            .unwrap()
    );
}

pub(super) async fn outbox_claims_are_disjoint_and_retry(store: &Store) {
    // Two messages written with an order update, the rest on their own.
    let mut order = order_at(base_time());
    store.insert_order(&mut order).await.unwrap();
    order.apply_status(OrderStatus::Failed).unwrap();
    let messages = [
        NewOutboxMessage {
            topic: "alitrip.book_result".into(),
            payload: b"failed".to_vec(),
        },
        NewOutboxMessage {
            topic: "audit".into(),
            payload: b"{}".to_vec(),
        },
    ];
    store
        .update_order(&mut order, OrderEventKind::StatusChanged, &messages)
        .await
        .unwrap();
    for index in 0..28 {
        let message = NewOutboxMessage {
            topic: "test".into(),
            payload: format!("message {index}").into_bytes(),
        };
        store.enqueue_outbox(&message, None).await.unwrap();
    }

    // Four claimers race until the outbox is drained.
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_outbox(3, LEASE).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch);
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for claimer in claimers {
        claimed.extend(claimer.await.unwrap());
    }
    let ids: HashSet<i64> = claimed.iter().map(|message| message.id).collect();
    assert_eq!(claimed.len(), 30, "every message claimed once");
    assert_eq!(ids.len(), 30, "no message claimed twice");
    let from_update: Vec<_> = claimed
        .iter()
        .filter(|message| message.order_id.as_ref() == Some(&order.id))
        .collect();
    assert_eq!(from_update.len(), 2);
    assert!(claimed.iter().all(|message| message.attempts == 1));
    assert!(store.claim_outbox(10, LEASE).await.unwrap().is_empty());

    // Completed is gone for good; failed comes back when due, masked.
    let done = from_update[0].claim();
    let retry = from_update[1].id;
    store.complete_outbox(&done).await.unwrap();
    store
        .fail_outbox(
            &from_update[1].claim(),
            Utc::now() - Duration::seconds(1),
            "alitrip refused passenger 11010519491231002X",
        )
        .await
        .unwrap();
    let again = store.claim_outbox(10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, retry);
    assert_eq!(again[0].attempts, 2);
    let error = again[0].last_error.as_deref().unwrap();
    assert!(!error.contains("11010519491231002X"), "{error}");

    // A lease that runs out makes the message due again.
    store
        .fail_outbox(&again[0].claim(), Utc::now() + Duration::hours(1), "later")
        .await
        .unwrap();
    assert!(store.claim_outbox(10, LEASE).await.unwrap().is_empty());
    let mut message = NewOutboxMessage {
        topic: "lease".into(),
        payload: Vec::new(),
    };
    message.payload.push(1);
    let id = store
        .enqueue_outbox(&message, Some(&order.id))
        .await
        .unwrap();
    let first = store.claim_outbox(1, StdDuration::ZERO).await.unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    let second = store.claim_outbox(1, LEASE).await.unwrap();
    assert_eq!(second.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert_eq!(second[0].order_id.as_ref(), Some(&order.id));
    // Only the holder of the current claim settles it: the first claimer,
    // whose lease ran out, cannot complete, fail or dead-letter it.
    let stale = first[0].claim();
    assert!(matches!(
        store.complete_outbox(&stale).await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert!(matches!(
        store.fail_outbox(&stale, Utc::now(), "late").await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert!(matches!(
        store.dead_letter_outbox(&stale, "late").await,
        Err(StoreError::ClaimLost { .. })
    ));
    store.complete_outbox(&second[0].claim()).await.unwrap();
    let unknown = OutboxClaim {
        id: i64::MAX,
        attempts: 1,
        lease_until: Utc::now(),
    };
    assert!(matches!(
        store.complete_outbox(&unknown).await,
        Err(StoreError::ClaimLost { .. })
    ));
}

pub(super) async fn outbox_dead_letters_replays_and_pages(store: &Store) {
    let enqueue = |topic: &'static str| {
        let message = NewOutboxMessage {
            topic: topic.into(),
            payload: br#"{"outcome":"issued"}"#.to_vec(),
        };
        let store = store.clone();
        async move { store.enqueue_outbox(&message, None).await.unwrap() }
    };
    let mut ids = Vec::new();
    for topic in ["book", "other", "book", "other", "book"] {
        ids.push(enqueue(topic).await);
    }

    // A worker claims only its topic.
    let books = store.claim_outbox_topic("book", 10, LEASE).await.unwrap();
    let book_ids: Vec<i64> = books.iter().map(|message| message.id).collect();
    assert_eq!(book_ids, [ids[0], ids[2], ids[4]]);
    assert!(books.iter().all(|message| message.replayed_at.is_none()));
    assert_eq!(books[0].window_start(), books[0].created_at);

    // Delivered, dead, and pending again.
    store.complete_outbox(&books[0].claim()).await.unwrap();
    store
        .dead_letter_outbox(
            &books[1].claim(),
            "isv.invalid-parameter for 11010519491231002X",
        )
        .await
        .unwrap();
    store
        .fail_outbox(
            &books[2].claim(),
            Utc::now() - Duration::seconds(1),
            "isp timeout",
        )
        .await
        .unwrap();
    // One delivered, one dead, three pending (two "other", one failed
    // once); delivered messages are not counted.
    assert_eq!(
        store.count_outbox(OutboxState::Pending).await.unwrap(),
        Some(3)
    );
    assert_eq!(
        store.count_outbox(OutboxState::Dead).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.count_outbox(OutboxState::Delivered).await.unwrap(),
        None
    );
    // A dead or delivered message cannot be dead-lettered (again).
    for settled in [&books[0], &books[1]] {
        assert!(matches!(
            store.dead_letter_outbox(&settled.claim(), "again").await,
            Err(StoreError::ClaimLost { .. })
        ));
    }
    // Dead and delivered messages are never claimed.
    let due: Vec<i64> = store
        .claim_outbox(10, LEASE)
        .await
        .unwrap()
        .iter()
        .map(|message| message.id)
        .collect();
    assert_eq!(due, [ids[1], ids[3], ids[4]]);

    let states = |wanted: &'static [OutboxState]| {
        let store = store.clone();
        async move {
            let page = store.list_outbox(wanted, 100, None).await.unwrap();
            assert_eq!(page.next_page_token, None);
            page.entries
                .into_iter()
                .map(|entry| (entry.id, entry.state))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        states(&[OutboxState::Dead]).await,
        [(ids[2], OutboxState::Dead)]
    );
    assert_eq!(
        states(&[OutboxState::Delivered]).await,
        [(ids[0], OutboxState::Delivered)]
    );
    assert_eq!(
        states(&[OutboxState::Pending, OutboxState::Dead]).await,
        [
            (ids[1], OutboxState::Pending),
            (ids[2], OutboxState::Dead),
            (ids[3], OutboxState::Pending),
            (ids[4], OutboxState::Pending),
        ]
    );
    let dead = store.outbox_entry(ids[2]).await.unwrap().unwrap();
    assert!(dead.dead_at.is_some() && dead.done_at.is_none());
    let error = dead.last_error.unwrap();
    assert!(!error.contains("11010519491231002X"), "masked: {error}");

    // Replay: only a dead message, which is pending and due at once with
    // its attempts reset and a new delivery window.
    let replayed = store.replay_outbox(ids[2]).await.unwrap();
    assert_eq!(replayed.state, OutboxState::Pending);
    assert_eq!(replayed.attempts, 0);
    assert!(replayed.replayed_at.is_some());
    assert_eq!(replayed.dead_at, None);
    let again = store.claim_outbox_topic("book", 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, ids[2]);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(Some(again[0].window_start()), replayed.replayed_at);
    assert!(matches!(
        store.replay_outbox(ids[2]).await,
        Err(OutboxError::NotDead {
            state: OutboxState::Pending,
            ..
        })
    ));
    assert!(matches!(
        store.replay_outbox(ids[0]).await,
        Err(OutboxError::NotDead {
            state: OutboxState::Delivered,
            ..
        })
    ));
    assert!(matches!(
        store.replay_outbox(i64::MAX).await,
        Err(OutboxError::NotFound(_))
    ));

    // Pages of two over every state: each message once, in id order.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = store.list_outbox(&[], 2, token.as_deref()).await.unwrap();
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|entry| entry.id));
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert!(matches!(
        store.list_outbox(&[], 2, Some("not-a-token")).await,
        Err(StoreError::InvalidPageToken)
    ));
}

pub(super) async fn retention_prunes_old_inbox_entries_and_settled_events(store: &Store) {
    let payload = r#"{"orderNo":"T1","passengerName":"张三"}"#.as_bytes();
    for key in ["done", "pending"] {
        assert!(
            store
                .record_callback(ProviderId::Panhe, key, payload)
                .await
                .unwrap()
        );
    }
    store
        .mark_callback_processed(ProviderId::Panhe, "done")
        .await
        .unwrap();
    // A settled order with three events, an unsettled one with two.
    let mut settled = order_at(base_time());
    store.insert_order(&mut settled).await.unwrap();
    settled.status = OrderStatus::Held;
    store
        .update_order(&mut settled, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();
    settled.status = OrderStatus::Cancelled;
    let last = store
        .update_order(&mut settled, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();
    let mut open = order_at(base_time());
    store.insert_order(&mut open).await.unwrap();
    open.status = OrderStatus::Held;
    store
        .update_order(&mut open, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();

    // Nothing is old enough yet.
    let yesterday = Utc::now() - Duration::days(1);
    assert_eq!(
        store.prune(yesterday, yesterday).await.unwrap(),
        railgate::store::Pruned::default()
    );
    // A day on: the processed entry and the settled order's earlier
    // events go; the unprocessed entry, the last event and the open
    // order's events stay.
    let tomorrow = Utc::now() + Duration::days(1);
    let pruned = store.prune(tomorrow, tomorrow).await.unwrap();
    assert_eq!(
        pruned,
        railgate::store::Pruned {
            inbox: 1,
            events: 2
        }
    );
    let kept: Vec<i64> = store
        .events_after(&settled.id, 0)
        .await
        .unwrap()
        .iter()
        .map(|event| event.sequence)
        .collect();
    assert_eq!(kept, [last]);
    assert_eq!(store.events_after(&open.id, 0).await.unwrap().len(), 2);
    assert!(
        !store
            .record_callback(ProviderId::Panhe, "pending", payload)
            .await
            .unwrap(),
        "an unprocessed entry stays"
    );
    assert_eq!(
        store.get_order(&settled.id).await.unwrap().unwrap().status,
        OrderStatus::Cancelled,
        "the order itself stays"
    );
}

/// An order change and its bookkeeping (the idempotency key it answers,
/// the callback it processes) commit together: a change refused for a
/// stale version leaves the key claimed and writes no inbox entry; a saved
/// one completes the key with the order's id and writes the entry,
/// processed (which the callback lookup then reports); with nothing to
/// change they commit on their own.
pub(super) async fn bookkeeping_commits_with_the_order_change_or_not_at_all(store: &Store) {
    let begin = |key: &'static str| store.begin_idempotent(key, "confirm", b"f", LEASE);
    let processed_now = || async {
        let tomorrow = Utc::now() + Duration::days(1);
        let long_ago = Utc::now() - Duration::days(3650);
        store.prune(tomorrow, long_ago).await.unwrap().inbox
    };
    // Found by the customer order number (the order has no Panhe number):
    // the lookup's second way.
    let seen = |key: &'static str, number: String| async move {
        store
            .find_order_for_callback(ProviderId::Panhe, "T-none", Some(&number), key)
            .await
            .unwrap()
            .map(|(_, processed)| processed)
    };
    assert_eq!(begin("k-along").await.unwrap(), Begin::New);
    let mut order = order_at(base_time());
    let number = order.customer_order_no.clone();
    store.insert_order(&mut order).await.unwrap();
    assert_eq!(seen("cb-along", number.clone()).await, Some(false));
    // The lookup reads the whole order, as get_order does.
    let (found, _) = store
        .find_order_for_callback(ProviderId::Panhe, "T-none", Some(&number), "cb-along")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, order);
    let mut stale = order.clone();
    order.status = OrderStatus::Held;
    store
        .update_order(&mut order, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();

    let both = Alongside {
        completes_key: Some("k-along"),
        records_callback: Some(CallbackRecord {
            provider: ProviderId::Panhe,
            dedupe_key: "cb-along",
            payload: b"{}",
        }),
    };
    stale.status = OrderStatus::Cancelled;
    let refused = store
        .update_order_alongside(None, &mut stale, OrderEventKind::StatusChanged, &[], &both)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert_eq!(begin("k-along").await.unwrap(), Begin::InProgress);
    assert_eq!(seen("cb-along", number.clone()).await, Some(false));

    order.status = OrderStatus::Issuing;
    store
        .update_order_alongside(None, &mut order, OrderEventKind::StatusChanged, &[], &both)
        .await
        .unwrap();
    assert_eq!(
        begin("k-along").await.unwrap(),
        Begin::Completed(order.id.as_str().as_bytes().to_vec())
    );
    assert_eq!(seen("cb-along", number.clone()).await, Some(true));
    assert_eq!(
        store.get_order(&order.id).await.unwrap().unwrap().status,
        OrderStatus::Issuing
    );
    assert_eq!(processed_now().await, 1);

    // Nothing changed: the bookkeeping alone. An entry recorded first
    // (as Juhe's callbacks are) is marked processed.
    assert_eq!(begin("k-alone").await.unwrap(), Begin::New);
    assert!(
        store
            .record_callback(ProviderId::Panhe, "cb-alone", b"{}")
            .await
            .unwrap()
    );
    assert_eq!(seen("cb-alone", number.clone()).await, Some(false));
    let alone = Alongside {
        completes_key: Some("k-alone"),
        records_callback: Some(CallbackRecord {
            provider: ProviderId::Panhe,
            dedupe_key: "cb-alone",
            payload: b"{}",
        }),
    };
    store.commit_alongside(&order.id, &alone).await.unwrap();
    assert_eq!(
        begin("k-alone").await.unwrap(),
        Begin::Completed(order.id.as_str().as_bytes().to_vec())
    );
    assert_eq!(seen("cb-alone", number).await, Some(true));
    // A completed key keeps its first response.
    store.commit_alongside(&stale.id, &alone).await.unwrap();
    assert_eq!(
        begin("k-alone").await.unwrap(),
        Begin::Completed(order.id.as_str().as_bytes().to_vec())
    );
    // An order nobody has: no answer, whatever the key.
    assert_eq!(seen("cb-along", "rg-nobody".into()).await, None);
}
