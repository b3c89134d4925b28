//! Spin component `jobs`: dispatch under per-key quotas, reads and cancellation for API keys, and
//! the admin queue views.
//!
//! A thin shell: the key store (SQLite or Postgres) and the job store (SQLite or Redis) opened for
//! this request, then [`hexaspin_api::jobs::JobsApi`], which reads the other Spin variables it
//! needs when it needs them; the request is counted for `/metrics` after it is answered.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::jobs::{JobsApi, JobsSettings, body_limit};
use hexaspin_api::metrics::requests::count_request;
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use hexaspin_config::system::{OsEntropy, system_now};
use hexaspin_spin::http::{PendingBody, split_request};
use hexaspin_spin::{SpinVariables, open_jobs_checking_keys, open_store};
use spin_sdk::http::IncomingRequest;
use spin_sdk::http_component;

const COMPONENT: &str = "jobs";

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    let (request, body) = split_request(incoming);
    hexaspin_api::log::with_access_log(COMPONENT, request, |request| serve_logged(request, body)).await
}

async fn serve_logged(request: Request, body: PendingBody) -> Response {
    serve(request, body).await.unwrap_or_else(ApiError::into_response)
}

async fn serve(mut request: Request, body: PendingBody) -> Result<Response, ApiError> {
    let config = &SpinVariables;
    let store_settings = StoreSettings::load(config)?;
    let keys = open_store(&store_settings)?;
    let jobs = open_jobs_checking_keys(&QueueSettings::load(config)?, &store_settings)?;
    let settings = JobsSettings::on_demand(config);
    let api = JobsApi {
        keys: &keys,
        jobs: &jobs,
        entropy: &OsEntropy,
        settings: &settings,
    };
    // The route and the caller (API key or admin token) are settled from the head: a request that
    // will be refused is refused before a byte of its body is read. Only a dispatch has a body,
    // read within its limit; a refusal is counted like any answer.
    let response = match api.admit(&request, system_now()).await {
        Ok(admitted) => match body_limit(&request, &settings) {
            Ok(limit) => match body.read(&request, limit).await {
                Ok(bytes) => {
                    *request.body_mut() = bytes;
                    // The clock is read again once the body is in, so time spent uploading is not
                    // judged.
                    api.handle_admitted(admitted, &request, system_now()).await
                }
                Err(error) => error.into_response(),
            },
            Err(error) => error.into_response(),
        },
        Err(error) => error.into_response(),
    };
    // After the answer is decided: one more call to the queue store, for /metrics.
    count_request(&jobs, COMPONENT, &response).await;
    Ok(response)
}
