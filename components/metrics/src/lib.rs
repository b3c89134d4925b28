//! Spin component `metrics`: `GET /metrics` in the Prometheus text format.
//!
//! A thin shell: settings from Spin variables, the key store and the queue store opened for this
//! request, then [`hexaspin_api::metrics::MetricsApi`]. Nothing is counted in memory (an instance
//! lives for one request); the scrape itself is counted like every other request.

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::metrics::requests::count_request;
use hexaspin_api::metrics::{MetricsAccess, MetricsApi};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::system_now;
use hexaspin_config::settings::{QueueSettings, StoreSettings, load_dispatch_settings};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinVariables, open_jobs, open_store};

const COMPONENT: &str = "metrics";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, _unread: PendingBody) -> Response {
    // No route here takes a body: it is never read.
    hexaspin_api::log::with_access_log(COMPONENT, request, serve_logged).await
}

async fn serve_logged(request: Request) -> Response {
    serve(&request).await.unwrap_or_else(ApiError::into_response)
}

async fn serve(request: &Request) -> Result<Response, ApiError> {
    let config = &SpinVariables;
    let access = MetricsAccess::load(config)?;
    let kinds = load_dispatch_settings(config)?.kinds;
    let keys = open_store(&StoreSettings::load(config)?)?;
    let jobs = open_jobs(&QueueSettings::load(config)?)?;
    let api = MetricsApi {
        keys: &keys,
        jobs: &jobs,
        metrics: &jobs,
        access: &access,
        kinds: &kinds,
    };
    let response = api.handle(request, system_now()).await;
    count_request(&jobs, COMPONENT, &response).await;
    Ok(response)
}
