//! Spin component `health`: `/health` and `/healthz` (liveness, no I/O) and `/readyz` (every
//! configured store answers a ping; counted for `/metrics` like other requests).

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::health::{check_dependencies, respond, wants_readiness};
use hexaspin_api::metrics::requests::count_request;
use hexaspin_api::{Request, Response};
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinVariables, open_jobs, open_store};

const COMPONENT: &str = "health";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, _unread: PendingBody) -> Response {
    // No route here takes a body: it is never read.
    hexaspin_api::log::with_access_log(COMPONENT, request, serve_logged).await
}

async fn serve_logged(request: Request) -> Response {
    if !wants_readiness(&request) {
        // Liveness does no I/O at all, so it is not counted either.
        return respond(&request, &[]);
    }
    // The queue store is opened once: pinged when it is Redis, then used to count the request.
    let settings = QueueSettings::load(&SpinVariables);
    let queue = settings
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|settings| open_jobs(settings).map_err(|e| e.to_string()));
    let dependencies = check_dependencies(
        StoreSettings::load(&SpinVariables),
        settings.clone(),
        async |settings| ping_store(settings).await,
        async |_| match &queue {
            Ok(jobs) => jobs.ping().await.map_err(|e| e.to_string()),
            Err(error) => Err(error.clone()),
        },
    )
    .await;
    let response = respond(&request, &dependencies);
    if let Ok(jobs) = &queue {
        count_request(jobs, COMPONENT, &response).await;
    }
    response
}

/// Spin's own connection timeouts bound the ping: a component cannot set a shorter one.
async fn ping_store(settings: &StoreSettings) -> Result<(), String> {
    let store = open_store(settings).map_err(|e| e.to_string())?;
    store.ping().await.map_err(|e| e.to_string())
}
