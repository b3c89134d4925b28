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

use hexaspin_api::component::serve_counted;
use hexaspin_api::metrics::{MetricsAccess, MetricsApi};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::system_now;
use hexaspin_config::settings::{StoreSettings, load_dispatch_settings};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinJobs, SpinVariables, open_configured_jobs, open_store};

const COMPONENT: &str = "metrics";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, _unread: PendingBody) -> Response {
    // No route here takes a body: it is never read.
    serve_counted(
        COMPONENT,
        request,
        open_configured_jobs,
        |jobs| jobs,
        async |request, jobs| serve(&request, jobs).await,
    )
    .await
}

async fn serve(request: &Request, jobs: &SpinJobs) -> Result<Response, ApiError> {
    let config = &SpinVariables;
    let access = MetricsAccess::load(config)?;
    let kinds = load_dispatch_settings(config)?.kinds;
    let keys = open_store(&StoreSettings::load(config)?)?;
    let api = MetricsApi {
        keys: &keys,
        jobs,
        metrics: jobs,
        access: &access,
        kinds: &kinds,
    };
    Ok(api.handle(request, system_now()).await)
}
