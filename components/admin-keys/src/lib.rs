//! Spin component `admin-keys`: the admin API for API keys and the audit log.
//!
//! A thin shell: settings from Spin variables, admin JWT checked before any store is opened, then
//! [`hexaspin_api::admin_keys::AdminApi`] does the work; the request is counted for `/metrics`
//! in the queue store afterwards.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::admin_keys::{AdminApi, authenticate};
use hexaspin_api::body::{BodyLimit, MAX_ADMIN_BODY_BYTES};
use hexaspin_api::metrics::requests::count_request;
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::settings::QueueSettings;
use hexaspin_config::settings::{AdminSettings, StoreSettings};
use hexaspin_config::system::{OsEntropy, system_now};
use hexaspin_spin::http::{PendingBody, split_request};
use hexaspin_spin::{SpinVariables, open_jobs, open_store};
use spin_sdk::http::IncomingRequest;
use spin_sdk::http_component;

const COMPONENT: &str = "admin-keys";

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    let (request, body) = split_request(incoming);
    hexaspin_api::log::with_access_log(COMPONENT, request, |request| serve_logged(request, body)).await
}

async fn serve_logged(request: Request, body: PendingBody) -> Response {
    let response = serve(request, body).await.unwrap_or_else(ApiError::into_response);
    count_request_in_queue_store(COMPONENT, &response).await;
    response
}

async fn serve(mut request: Request, body: PendingBody) -> Result<Response, ApiError> {
    let settings = AdminSettings::load(&SpinVariables)?;
    // The token is checked before the body is read or any store is opened.
    let claims = authenticate(&settings, &request, system_now())?;
    let limit = BodyLimit::for_method(request.method(), MAX_ADMIN_BODY_BYTES);
    *request.body_mut() = body.read(&request, limit).await?;
    let now = system_now();
    let request = &request;
    let store = open_store(&StoreSettings::load(&SpinVariables)?)?;
    let api = AdminApi {
        store: &store,
        entropy: &OsEntropy,
        settings: &settings,
    };
    Ok(api.handle_authenticated(request, &claims, now).await)
}

/// Counts the request for `/metrics` in the queue store, which this component opens for that
/// alone. Problems are logged, never returned: the request was already answered.
async fn count_request_in_queue_store(component: &'static str, response: &Response) {
    let jobs = QueueSettings::load(&SpinVariables)
        .map_err(|e| e.to_string())
        .and_then(|settings| open_jobs(&settings).map_err(|e| e.to_string()));
    match jobs {
        Ok(jobs) => count_request(&jobs, component, response).await,
        Err(error) => hexaspin_api::log::error("metrics: opening the queue store", &error),
    }
}
