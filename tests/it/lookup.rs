//! LookupStations against the embedded 12306 station list.

use crate::support::{TestApp, violations};
use railgate::proto::LookupStationsRequest;
use tonic::Code;

async fn lookup(app: &TestApp, query: &str, page_size: i32) -> Vec<(String, String)> {
    app.booking()
        .lookup_stations(LookupStationsRequest {
            query: query.into(),
            page_size,
        })
        .await
        .unwrap()
        .into_inner()
        .stations
        .into_iter()
        .map(|station| (station.name, station.telecode))
        .collect()
}

#[tokio::test]
async fn finds_stations_by_every_form() {
    let app = TestApp::spawn().await;
    for query in ["北京南", "beijingnan", "VNP"] {
        let found = lookup(&app, query, 5).await;
        assert_eq!(
            found[0],
            ("北京南".to_owned(), "VNP".to_owned()),
            "{query}: {found:?}"
        );
    }
    let prefix = lookup(&app, "上海", 20).await;
    assert!(
        prefix.iter().any(|(name, _)| name == "上海虹桥"),
        "{prefix:?}"
    );
    assert!(
        prefix.iter().all(|(name, _)| name.starts_with("上海")),
        "{prefix:?}"
    );
    assert_eq!(lookup(&app, "bj", 3).await.len(), 3);
    assert_eq!(lookup(&app, "b", 0).await.len(), 10, "default page size");
    assert_eq!(
        lookup(&app, "b", 1000).await.len(),
        100,
        "page size is capped"
    );
    assert!(lookup(&app, "zzzzzz", 10).await.is_empty());
}

#[tokio::test]
async fn blank_query_and_negative_size_are_invalid() {
    let app = TestApp::spawn().await;
    let status = app
        .booking()
        .lookup_stations(LookupStationsRequest {
            query: " ".into(),
            page_size: -1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, ["query", "page_size"]);
}
