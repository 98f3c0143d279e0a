//! A party that may travel in part: one grab order per traveller, kept
//! only while at least `min_seats` can get a ticket.

use crate::grab::{grab_request, hours_from_now, offer, start};
use crate::scripted::{eventually, get};
use crate::support::violations;
use railgate::proto as pb;
use railgate_sim::juhe;
use railgate_sim::juhe::codes::OrderStatus as JuheStatus;
use tonic::Code;

fn issued_tickets(order: &pb::Order) -> usize {
    order
        .tickets
        .iter()
        .filter(|ticket| ticket.status == pb::TicketStatus::Issued as i32)
        .count()
}

/// Books a party of two on a train on presale with the next grab attempt
/// failing, and `min_seats`; returns both travellers' order ids.
async fn party_with_one_failure(min_seats: i32) -> (crate::grab::GrabApp, [String; 2]) {
    let grab = start().await;
    let main = offer(&grab.app, pb::Provider::Juhe, 5).await;
    grab.juhe.script(juhe::orders::Fault::FailNextGrab(
        "乘客身份信息未通过验证".into(),
    ));
    let mut request = grab_request(
        &format!("party-{min_seats}"),
        &main.offer_id,
        hours_from_now(48),
    );
    let options = request.grab.as_mut().unwrap();
    options.accept_partial_party = true;
    options.min_seats = min_seats;
    let answer = grab.app.booking().book(request).await.unwrap().into_inner();
    let first = answer.order.unwrap();
    assert_eq!(answer.party_orders.len(), 1, "one order per traveller");
    assert_eq!(first.tickets.len(), 1);
    let ids = [first.order_id, answer.party_orders[0].order_id.clone()];
    (grab, ids)
}

/// Both orders, once `done` holds for them together.
async fn orders_when(
    grab: &crate::grab::GrabApp,
    ids: &[String; 2],
    what: &str,
    done: impl Fn(&[pb::Order]) -> bool,
) -> Vec<pb::Order> {
    eventually(what, async || {
        let mut orders = Vec::new();
        for id in ids {
            orders.push(get(&grab.app, id).await);
        }
        done(&orders).then_some(orders)
    })
    .await
}

fn failed(order: &pb::Order) -> bool {
    order.status == pb::OrderStatus::Failed as i32
}

#[tokio::test]
async fn a_party_below_its_minimum_gives_up_every_ticket() {
    let (grab, ids) = party_with_one_failure(2).await;
    // One traveller's grab fails; the other's order is cancelled, or its
    // ticket refunded if it had issued: nobody travels.
    let orders = orders_when(&grab, &ids, "the party given up", |orders| {
        orders.iter().any(failed)
            && orders.iter().all(|order| {
                failed(order)
                    || order.status == pb::OrderStatus::Cancelled as i32
                    || (order.status == pb::OrderStatus::Issued as i32
                        && order
                            .tickets
                            .iter()
                            .all(|t| t.status == pb::TicketStatus::Refunded as i32))
            })
    })
    .await;
    assert!(orders.iter().all(|order| issued_tickets(order) == 0));
    eventually("no issued order at Juhe", async || {
        let issued = grab
            .juhe
            .order_statuses()
            .into_iter()
            .filter(|status| *status == JuheStatus::Issued)
            .count();
        (issued == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_party_at_its_minimum_keeps_the_tickets_it_got() {
    let (grab, ids) = party_with_one_failure(1).await;
    let orders = orders_when(&grab, &ids, "one failed, one issued", |orders| {
        orders.iter().any(failed) && orders.iter().any(|order| issued_tickets(order) == 1)
    })
    .await;
    assert_eq!(orders.iter().map(issued_tickets).sum::<usize>(), 1);
}

#[tokio::test]
async fn a_split_party_is_checked_before_anything_is_sent() {
    let grab = start().await;
    let main = offer(&grab.app, pb::Provider::Juhe, 5).await;
    let mut request = grab_request("party-bad", &main.offer_id, hours_from_now(48));
    let options = request.grab.as_mut().unwrap();
    options.min_seats = 3;
    let status = grab.app.booking().book(request.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["grab.min_seats"], "min_seats needs the flag");
    request.grab.as_mut().unwrap().accept_partial_party = true;
    let status = grab.app.booking().book(request).await.unwrap_err();
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["grab.min_seats"], "more than the party");
    assert_eq!(grab.juhe.order_count(), 0);
}
