//! Grab orders across dates: Juhe takes one date per grab order, so
//! railgate places one per date and keeps exactly one, cancelling or
//! refunding the rest; and the departure window railgate enforces.

use crate::grab::{grab_request, hours_from_now, offer, start};
use crate::scripted::{eventually, get};
use crate::support::{date_in, violations};
use railgate::proto as pb;
use railgate_sim::juhe::codes::OrderStatus as JuheStatus;
use tonic::Code;

fn ticket_statuses(order: &pb::Order) -> Vec<i32> {
    order.tickets.iter().map(|ticket| ticket.status).collect()
}

/// Kept: issued with its tickets issued. Given up: cancelled, or issued
/// with every ticket refunded.
fn kept(order: &pb::Order) -> bool {
    order.status == pb::OrderStatus::Issued as i32
        && ticket_statuses(order)
            .iter()
            .all(|status| *status == pb::TicketStatus::Issued as i32)
}

fn given_up(order: &pb::Order) -> bool {
    order.status == pb::OrderStatus::Cancelled as i32
        || (order.status == pb::OrderStatus::Issued as i32
            && ticket_statuses(order)
                .iter()
                .all(|status| *status == pb::TicketStatus::Refunded as i32))
}

#[tokio::test]
async fn a_grab_across_dates_issues_exactly_once() {
    let grab = start().await;
    // Both dates are on presale: the simulator issues each at its first
    // attempt, so both race to issue.
    let main = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let mut request = grab_request("across-dates", &main.offer_id, hours_from_now(48));
    request.grab.as_mut().unwrap().alternative_dates = vec![date_in(6)];
    let answer = grab
        .app
        .booking()
        .book(request.clone())
        .await
        .unwrap()
        .into_inner();
    let first = answer.order.unwrap();
    assert_eq!(answer.alternative_orders.len(), 1);
    let second = answer.alternative_orders[0].clone();
    assert_ne!(first.order_id, second.order_id);
    assert_eq!(first.train_code, second.train_code, "the same train");
    assert_ne!(first.departure_time, second.departure_time, "a day apart");

    // Settled: one kept, the other given up (both may issue first).
    let (first, second) = eventually("one date kept, the other given up", async || {
        let first = get(&grab.app, &first.order_id).await;
        let second = get(&grab.app, &second.order_id).await;
        let one_kept = (kept(&first) && given_up(&second)) || (kept(&second) && given_up(&first));
        one_kept.then_some((first, second))
    })
    .await;
    // The main date wins a tie: whenever it issued, it is the one kept.
    if first.status == pb::OrderStatus::Issued as i32 {
        assert!(kept(&first), "{first:?}");
    }
    // At the provider too: one order issued and not refunded.
    eventually("one issued order at Juhe", async || {
        let statuses = grab.juhe.order_statuses();
        let issued = statuses
            .iter()
            .filter(|status| **status == JuheStatus::Issued)
            .count();
        (statuses.len() == 2 && issued == 1).then_some(())
    })
    .await;

    // A retry places nothing more and answers the same orders.
    let again = grab.app.booking().book(request).await.unwrap().into_inner();
    assert_eq!(again.order.unwrap().order_id, first.order_id);
    assert_eq!(again.alternative_orders[0].order_id, second.order_id);
    assert_eq!(grab.juhe.order_count(), 2);
}

#[tokio::test]
async fn the_departure_window_and_the_dates_are_checked_before_anything_is_sent() {
    let grab = start().await;
    let main = offer(&grab.app, pb::Provider::Juhe, 5).await;

    let mut request = grab_request("window", &main.offer_id, hours_from_now(48));
    let options = request.grab.as_mut().unwrap();
    // A window no train fits: 00:00 to 00:01.
    options.depart_after = "00:00".into();
    options.depart_before = "00:01".into();
    options.alternative_dates = vec![date_in(5), "2020-01-01".into(), date_in(6), date_in(6)];
    let status = grab.app.booking().book(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert!(
        fields.contains(&"grab.alternative_dates[1]".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"grab.alternative_dates[3]".to_owned()),
        "{fields:?}"
    );
    assert_eq!(grab.juhe.order_count(), 0);

    let mut request = grab_request("window-2", &main.offer_id, hours_from_now(48));
    let options = request.grab.as_mut().unwrap();
    options.depart_after = "00:00".into();
    options.depart_before = "00:01".into();
    let status = grab.app.booking().book(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["offer_id"]);
    assert_eq!(grab.juhe.order_count(), 0);

    let mut request = grab_request("window-3", &main.offer_id, hours_from_now(48));
    request.grab.as_mut().unwrap().depart_after = "7 am".into();
    let status = grab.app.booking().book(request).await.unwrap_err();
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["grab.depart_after"]);
}
