//! Spin component `health`: `/health` and `/healthz` (liveness, no I/O) and `/readyz` (every
//! configured store answers a ping; counted for `/metrics` like other requests).

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::health::{check_dependencies, respond, wants_readiness};
use hexaspin_api::metrics::requests::count_request;
use hexaspin_api::{Request, Response};
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use hexaspin_spin::http::split_request;
use hexaspin_spin::{SpinVariables, open_jobs, open_store};
use spin_sdk::http::IncomingRequest;
use spin_sdk::http_component;

const COMPONENT: &str = "health";

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    // No route here takes a body: it is never read.
    let (request, _unread) = split_request(incoming);
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
