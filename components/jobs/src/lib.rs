//! Spin component `jobs`: dispatch under per-key quotas, reads and cancellation for API keys, and
//! the admin queue views.
//!
//! A thin shell: the key store (SQLite or Postgres) and the job store (SQLite or Redis) opened for
//! this request, then [`hexaspin_api::jobs::JobsApi`], which reads the other Spin variables it
//! needs when it needs them; the request is counted for `/metrics` after it is answered, unless
//! the dispatch counted it already (production, with the key cached: one Redis round trip in all).

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::component::serve_counted;
use hexaspin_api::jobs::{JobsApi, JobsSettings, body_limit};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::{OsEntropy, system_now};
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinJobs, SpinVariables, open_jobs_checking_keys, open_store};

const COMPONENT: &str = hexaspin_api::jobs::COMPONENT;

spin_adapter::http_entry!(handle);

async fn handle(request: Request, body: PendingBody) -> Response {
    serve_counted(
        COMPONENT,
        request,
        open_stores,
        |stores| &stores.1,
        async |request, stores| serve(request, body, stores).await,
    )
    .await
}

/// The key store's settings and the job store (which also counts the requests). The key store
/// itself is opened by [`serve`]: a failure there is counted like any answer.
fn open_stores() -> Result<(StoreSettings, SpinJobs), ApiError> {
    let config = &SpinVariables;
    let store_settings = StoreSettings::load(config)?;
    let jobs = open_jobs_checking_keys(&QueueSettings::load(config)?, &store_settings)?;
    Ok((store_settings, jobs))
}

async fn serve(
    mut request: Request,
    body: PendingBody,
    (store_settings, jobs): &(StoreSettings, SpinJobs),
) -> Result<Response, ApiError> {
    let config = &SpinVariables;
    let keys = open_store(store_settings)?;
    let settings = JobsSettings::on_demand(config);
    let api = JobsApi {
        keys: &keys,
        jobs,
        entropy: &OsEntropy,
        settings: &settings,
    };
    // The route and the caller (API key or admin token) are settled from the head: a request that
    // will be refused is refused before a byte of its body is read. The exception is a single
    // dispatch, whose key is checked in the dispatch's own store call once its body (at most the
    // payload limit + 4 KiB) is in; a batch's key is checked first. A refusal is counted like any
    // answer.
    let response = match api.admit(&request, system_now()).await {
        Ok(admitted) => {
            let read = match body_limit(&request, &settings) {
                Ok(limit) => body.read(&request, limit).await,
                Err(error) => Err(error),
            };
            // The clock is read again once the body is in, so time spent uploading is not judged.
            match read {
                Ok(bytes) => {
                    *request.body_mut() = bytes;
                    api.handle_admitted(admitted, &request, system_now()).await
                }
                Err(refusal) => api.body_refused(&admitted, &request, refusal, system_now()).await,
            }
        }
        Err(error) => error.into_response(),
    };
    // After the answer: `serve_counted` makes one more call to the queue store, for /metrics
    // (none when the dispatch's own store call counted it).
    Ok(response)
}
