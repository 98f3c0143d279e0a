//! Orders: round trip, optimistic concurrency, events, listing, and the
//! reconciler's view.

use super::fixtures::{base_time, full_order, order_at};
use chrono::{Duration, Utc};
use railgate::domain::{
    Fen, Order, OrderEventKind, OrderId, OrderStatus, ProviderId, TicketStatus,
};
use railgate::store::{OrderFilter, Store, StoreError};
use std::collections::HashSet;

pub(super) async fn insert_and_get_round_trip_every_field(store: &Store) {
    let mut order = full_order();
    store.insert_order(&mut order).await.unwrap();
    assert_eq!(order.version, 1);
    assert_eq!(order.last_sequence, 1);
    assert_eq!(order.created_at.timestamp_subsec_nanos(), 123_456_000);

    let loaded = store.get_order(&order.id).await.unwrap().expect("stored");
    assert_eq!(loaded, order);
    let shown = format!("{loaded:?}");
    for raw in [
        "张三",
        "11010519491231002X",
        "15712340587",
        "E12345678",
        "李伟",
    ] {
        assert!(!shown.contains(raw), "{raw} unmasked in {shown}");
    }
    let by_provider_no = store
        .find_by_provider_order_no(ProviderId::Panhe, "T24012512251820419")
        .await
        .unwrap();
    assert_eq!(by_provider_no.as_ref(), Some(&order));
    let by_customer_no = store
        .find_by_customer_order_no(ProviderId::Panhe, &order.customer_order_no)
        .await
        .unwrap();
    assert_eq!(by_customer_no.as_ref(), Some(&order));
    assert_eq!(
        store
            .find_by_provider_order_no(ProviderId::Juhe, "T24012512251820419")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_order(&OrderId::new()).await.unwrap(), None);

    let events = store.events_after(&order.id, 0).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].sequence, 1);
    assert_eq!(events[0].kind, OrderEventKind::Created);
    assert_eq!(events[0].order, order);

    // The same id, or another order with the same customer order number.
    let mut again = order.clone();
    let error = store.insert_order(&mut again).await.unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
    let mut twin = order_at(base_time());
    twin.customer_order_no = order.customer_order_no.clone();
    let error = store.insert_order(&mut twin).await.unwrap_err();
    assert!(matches!(error, StoreError::AlreadyExists(_)), "{error:?}");
    // Errors never quote personal data.
    assert!(!error.to_string().contains("11010519491231002X"));
}

pub(super) async fn stale_version_update_conflicts(store: &Store) {
    let mut order = order_at(base_time());
    store.insert_order(&mut order).await.unwrap();
    let mut first = store.get_order(&order.id).await.unwrap().unwrap();
    let mut second = first.clone();

    first.apply_status(OrderStatus::Held).unwrap();
    first.total_amount = Some(Fen::new(55_300));
    let sequence = store
        .update_order(&mut first, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();
    assert_eq!(sequence, 2);
    assert_eq!(first.version, 2);

    second.apply_status(OrderStatus::Cancelled).unwrap();
    let error = store
        .update_order(&mut second, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict { expected: 1, order_id } if *order_id == order.id),
        "{error:?}"
    );
    assert_eq!(
        second.version, 1,
        "a refused update leaves the order as it was"
    );
    let stored = store.get_order(&order.id).await.unwrap().unwrap();
    assert_eq!(stored, first);
    assert_eq!(store.events_after(&order.id, 0).await.unwrap().len(), 2);

    let mut ghost = order_at(base_time());
    ghost.version = 1;
    let error = store
        .update_order(&mut ghost, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
}

pub(super) async fn event_sequence_increments_by_one(store: &Store) {
    let mut order = order_at(base_time());
    store.insert_order(&mut order).await.unwrap();
    let mut snapshots = vec![order.clone()];

    let before = order.clone();
    order.apply_status(OrderStatus::Held).unwrap();
    order.tickets[0].status = TicketStatus::Held;
    let kind = OrderEventKind::between(&before, &order);
    assert_eq!(store.update_order(&mut order, kind, &[]).await.unwrap(), 2);
    snapshots.push(order.clone());

    order.tickets[0].coach = Some("05".into());
    assert_eq!(
        store
            .update_order(&mut order, OrderEventKind::TicketChanged, &[])
            .await
            .unwrap(),
        3
    );
    snapshots.push(order.clone());

    order.apply_status(OrderStatus::Issued).unwrap();
    assert_eq!(
        store
            .update_order(&mut order, OrderEventKind::StatusChanged, &[])
            .await
            .unwrap(),
        4
    );
    snapshots.push(order.clone());

    let events = store.events_after(&order.id, 0).await.unwrap();
    let sequences: Vec<i64> = events.iter().map(|event| event.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    let kinds: Vec<OrderEventKind> = events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [
            OrderEventKind::Created,
            OrderEventKind::StatusChanged,
            OrderEventKind::TicketChanged,
            OrderEventKind::StatusChanged
        ]
    );
    for (event, snapshot) in events.iter().zip(&snapshots) {
        assert_eq!(&event.order, snapshot, "event {}", event.sequence);
        assert_eq!(event.order.last_sequence, event.sequence);
        assert_eq!(event.order_id, order.id);
    }
    let tail = store.events_after(&order.id, 2).await.unwrap();
    assert_eq!(
        tail.iter().map(|event| event.sequence).collect::<Vec<_>>(),
        [3, 4]
    );
    assert!(store.events_after(&order.id, 4).await.unwrap().is_empty());
    let stored = store.get_order(&order.id).await.unwrap().unwrap();
    assert_eq!(stored.last_sequence, 4);
    assert_eq!(stored.version, 4);
}

pub(super) async fn list_filters_and_pages_without_gaps_or_duplicates(store: &Store) {
    // 23 orders; every third pair shares a creation time, so the id breaks
    // ties. Statuses and providers vary.
    let statuses = [OrderStatus::Pending, OrderStatus::Held, OrderStatus::Issued];
    let mut all = Vec::new();
    for index in 0..23_i64 {
        let mut order = order_at(base_time() + Duration::seconds(index / 2 * 10));
        order.status = statuses[index as usize % 3];
        if index % 4 == 0 {
            order.provider = ProviderId::Juhe;
        }
        store.insert_order(&mut order).await.unwrap();
        all.push(order);
    }
    let newest_first = |orders: &mut Vec<Order>| {
        orders.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    };
    newest_first(&mut all);

    let pages = collect_pages(store, &OrderFilter::default(), 5).await;
    assert_eq!(pages.len(), 5, "23 orders in pages of 5");
    let listed: Vec<OrderId> = pages.into_iter().flatten().collect();
    let expected: Vec<OrderId> = all.iter().map(|order| order.id.clone()).collect();
    assert_eq!(listed, expected);

    // Orders arriving between pages do not shift later pages.
    let first = store
        .list_orders(&OrderFilter::default(), 4, None)
        .await
        .unwrap();
    let mut newcomer = order_at(base_time() + Duration::days(1));
    store.insert_order(&mut newcomer).await.unwrap();
    let second = store
        .list_orders(&OrderFilter::default(), 4, first.next_page_token.as_deref())
        .await
        .unwrap();
    let ids: Vec<&OrderId> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| &o.id)
        .collect();
    assert_eq!(ids, expected.iter().take(8).collect::<Vec<_>>());

    // Filters.
    let filter = OrderFilter {
        statuses: vec![OrderStatus::Held, OrderStatus::Issued],
        provider: Some(ProviderId::Panhe),
        created_after: Some(base_time() + Duration::seconds(20)),
        created_before: Some(base_time() + Duration::seconds(100)),
        owner: None,
    };
    // An owner filter: these orders were booked without authentication.
    let nobody = OrderFilter {
        owner: Some("someone-else".into()),
        ..OrderFilter::default()
    };
    assert!(collect_pages(store, &nobody, 3).await.concat().is_empty());
    let anonymous = OrderFilter {
        owner: Some(String::new()),
        ..OrderFilter::default()
    };
    assert_eq!(
        collect_pages(store, &anonymous, 50).await.concat().len(),
        collect_pages(store, &OrderFilter::default(), 50)
            .await
            .concat()
            .len()
    );
    let filtered: Vec<OrderId> = collect_pages(store, &filter, 3)
        .await
        .into_iter()
        .flatten()
        .collect();
    let expected_filtered: Vec<OrderId> = all
        .iter()
        .filter(|order| {
            filter.statuses.contains(&order.status)
                && order.provider == ProviderId::Panhe
                && order.created_at >= filter.created_after.unwrap()
                && order.created_at < filter.created_before.unwrap()
        })
        .map(|order| order.id.clone())
        .collect();
    assert!(expected_filtered.len() >= 4, "{}", expected_filtered.len());
    assert_eq!(filtered, expected_filtered);

    let unique: HashSet<_> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len());
    let error = store
        .list_orders(&OrderFilter::default(), 5, Some("not-a-token"))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::InvalidPageToken), "{error:?}");
    let page = store
        .list_orders(&OrderFilter::default(), 0, Some(""))
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 1, "page size 0 is clamped to 1");
}

/// Every page's ids, following tokens until the last page.
async fn collect_pages(store: &Store, filter: &OrderFilter, size: u32) -> Vec<Vec<OrderId>> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = store
            .list_orders(filter, size, token.as_deref())
            .await
            .unwrap();
        assert!(page.orders.len() <= size as usize);
        pages.push(page.orders.iter().map(|order| order.id.clone()).collect());
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 100, "pagination does not end");
    }
}

pub(super) async fn non_final_orders_are_the_unsettled_ones(store: &Store) {
    // Created an hour ago, so updates (stamped now) sort after them.
    let created = Utc::now() - Duration::hours(1);
    let mut pending = order_at(created);
    let mut unknown = order_at(created);
    unknown.status = OrderStatus::Unknown;
    let mut issued = order_at(created);
    issued.status = OrderStatus::Issued;
    issued.tickets[0].status = TicketStatus::Issued;
    let mut refunding = order_at(created);
    refunding.status = OrderStatus::Issued;
    refunding.tickets[0].status = TicketStatus::Refunding;
    let mut cancelled = order_at(created);
    cancelled.status = OrderStatus::Cancelled;
    for order in [
        &mut pending,
        &mut unknown,
        &mut issued,
        &mut refunding,
        &mut cancelled,
    ] {
        store.insert_order(order).await.unwrap();
    }
    let ids = |orders: Vec<Order>| -> HashSet<OrderId> {
        orders.into_iter().map(|order| order.id).collect()
    };
    let unsettled = ids(store.non_final_orders(10).await.unwrap());
    let expected: HashSet<OrderId> = [&pending, &unknown, &refunding]
        .into_iter()
        .map(|order| order.id.clone())
        .collect();
    assert_eq!(unsettled, expected);

    // Settling one removes it; least recently updated come first.
    refunding.tickets[0].status = TicketStatus::Refunded;
    store
        .update_order(&mut refunding, OrderEventKind::TicketChanged, &[])
        .await
        .unwrap();
    pending.apply_status(OrderStatus::Held).unwrap();
    store
        .update_order(&mut pending, OrderEventKind::StatusChanged, &[])
        .await
        .unwrap();
    let unsettled = store.non_final_orders(10).await.unwrap();
    assert_eq!(
        unsettled.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&unknown.id, &pending.id]
    );
    assert_eq!(store.non_final_orders(1).await.unwrap().len(), 1);
}
