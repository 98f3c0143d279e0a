//! The proxy itself, against the Panhe simulator with a plain HTTP
//! client: a fault applies to the path it names, as often as armed; each
//! answer closes its connection; a refused proxy refuses connections and
//! listens again on the same address.

use super::proxy::{Fault, FaultProxy};
use railgate_sim::panhe;
use serde_json::json;

const STATIONS: &str = "/train/stationList";

#[tokio::test]
async fn a_fault_hits_its_path_as_often_as_armed_and_refusal_refuses() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(panhe::serve(
        listener,
        panhe::PanheSimConfig::default(),
        std::future::pending(),
    ));
    let proxy = FaultProxy::start(upstream).await;
    let client = reqwest::Client::new();
    let post = |path: &str| {
        client
            .post(format!("http://{}{path}", proxy.addr()))
            .json(&json!({ "appKey": panhe::DEFAULT_APP_KEY }))
            .send()
    };

    proxy.arm_next(Fault::ServerErrorHtml, STATIONS, 1).await;
    // Another path passes; the next request to the named one does not.
    let other = post("/train/queryTickets").await.unwrap();
    assert_eq!(other.status(), 200);
    let failed = post(STATIONS).await.unwrap();
    assert_eq!(failed.status(), 502);
    assert!(failed.text().await.unwrap().contains("<html>"));
    let passed = post(STATIONS).await.unwrap();
    assert_eq!(passed.status(), 200);
    // One exchange per connection: the client is told not to reuse it.
    assert_eq!(passed.headers()["connection"], "close");
    assert!(passed.text().await.unwrap().contains("\"success\":true"));
    assert_eq!((proxy.sent(STATIONS), proxy.faulted(STATIONS)), (2, 1));

    proxy.arm(Fault::Refused, STATIONS).await;
    let refused = post(STATIONS).await.unwrap_err();
    assert!(refused.is_connect(), "{refused:?}");
    proxy.disarm().await;
    assert_eq!(post(STATIONS).await.unwrap().status(), 200);
    // The refused request never reached the proxy.
    assert_eq!(proxy.sent(STATIONS), 3);
    assert!(proxy.problems().is_empty(), "{:?}", proxy.problems());
}
