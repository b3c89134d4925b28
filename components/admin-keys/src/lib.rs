//! Spin component `admin-keys`: the admin API for API keys and the audit log.
//!
//! A thin shell: the queue store opened (it holds the key cache every key change fences and
//! writes through, and the request counts), settings from Spin variables, the admin JWT checked
//! before the body is read or the key store is opened, then
//! [`hexaspin_api::admin_keys::AdminApi`] does the work; the request is counted for `/metrics`
//! afterwards.

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::admin_keys::{AdminApi, authenticate};
use hexaspin_api::body::{BodyLimit, MAX_ADMIN_BODY_BYTES};
use hexaspin_api::component::serve_counted;
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::{OsEntropy, system_now};
use hexaspin_config::settings::{AdminSettings, StoreSettings};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinJobs, SpinVariables, open_configured_jobs, open_store};

const COMPONENT: &str = "admin-keys";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, body: PendingBody) -> Response {
    // The queue store holds the key cache every key change fences and writes through, and the
    // request counts for /metrics. Redis is connected on first use: reading keys and the audit
    // log does not need it, a change without it is refused (503) before anything changes.
    serve_counted(
        COMPONENT,
        request,
        open_configured_jobs,
        |jobs| jobs,
        async |request, jobs| serve(request, body, jobs).await,
    )
    .await
}

async fn serve(mut request: Request, body: PendingBody, jobs: &SpinJobs) -> Result<Response, ApiError> {
    let settings = AdminSettings::load(&SpinVariables)?;
    // The token is checked before the body is read or the key store is opened.
    let claims = authenticate(&settings, &request, system_now())?;
    let limit = BodyLimit::for_method(request.method(), MAX_ADMIN_BODY_BYTES);
    *request.body_mut() = body.read(&request, limit).await?;
    let now = system_now();
    let request = &request;
    let store = open_store(&StoreSettings::load(&SpinVariables)?)?;
    let api = AdminApi {
        store: &store,
        cache: jobs,
        entropy: &OsEntropy,
        settings: &settings,
    };
    Ok(api.handle_authenticated(request, &claims, now).await)
}
