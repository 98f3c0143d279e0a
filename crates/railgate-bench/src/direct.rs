//! The suite's Search sent straight to the Panhe simulator over HTTP,
//! without railgate: the uncached Search's ceiling ([`search`], the
//! simulator's own cost) and the raw answer railgate reads
//! ([`answer`], for the own-work parts).

use crate::BenchError;
use crate::load::{CallFuture, Workload};
use crate::scenarios;
use std::sync::Arc;
use tonic::transport::Channel;

/// The 余票查询 body railgate sends for the suite's search.
fn body() -> serde_json::Value {
    let request = scenarios::search_request();
    serde_json::json!({
        "appKey": railgate_sim::panhe::DEFAULT_APP_KEY,
        "fromStation": request.from_station,
        "toStation": request.to_station,
        "fromDate": request.travel_date,
    })
}

fn url(panhe_url: &str) -> String {
    format!("{panhe_url}/train/queryTickets")
}

/// The simulator's own cost: the 余票查询 railgate makes, sent straight to
/// it over HTTP (one pooled client, as railgate's adapter has).
pub fn search(panhe_url: &str) -> Result<Arc<dyn Workload>, BenchError> {
    let http = reqwest::Client::builder()
        .build()
        .map_err(|error| BenchError::Setup(error.to_string()))?;
    let url = url(panhe_url);
    let body = Arc::new(body());
    Ok(Arc::new(
        move |_channel: &Channel, _sequence: u64| -> CallFuture {
            let call = http.post(&url).json(&*body).send();
            Box::pin(async move {
                let response = call.await.map_err(|_| "http-error".to_owned())?;
                let status = response.status();
                // Read the whole body, as railgate's adapter does.
                let bytes = response.bytes().await.map_err(|_| "http-body".to_owned())?;
                if status.is_success() && !bytes.is_empty() {
                    Ok(())
                } else {
                    Err(format!("http-{}", status.as_u16()))
                }
            })
        },
    ))
}

/// The simulator's answer to the suite's search, as railgate receives it.
pub async fn answer(panhe_url: &str) -> Result<Vec<u8>, BenchError> {
    let failed =
        |error: reqwest::Error| BenchError::Setup(format!("the simulator's answer: {error}"));
    reqwest::Client::new()
        .post(url(panhe_url))
        .json(&body())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .bytes()
        .await
        .map(|bytes| bytes.to_vec())
        .map_err(failed)
}
