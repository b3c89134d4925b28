//! Spin component `health`: `/health` and `/healthz` (liveness, no I/O) and `/readyz` (every
//! configured store answers a ping; counted for `/metrics` like other requests).

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::health::{Dependency, respond, wants_readiness};
use hexaspin_api::settings::{QueueSettings, StoreSettings};
use hexaspin_api::{Request, Response};
use hexaspin_spin::{SpinVariables, count_request_in_queue_store, open_jobs, open_store};
use spin_sdk::http_component;

const COMPONENT: &str = "health";

#[http_component]
async fn handle(request: Request) -> Response {
    hexaspin_api::log::with_access_log(COMPONENT, request, serve_logged).await
}

async fn serve_logged(request: Request) -> Response {
    if !wants_readiness(&request) {
        // Liveness does no I/O at all, so it is not counted either.
        return respond(&request, &[]);
    }
    let response = respond(&request, &check().await);
    count_request_in_queue_store(COMPONENT, &response).await;
    response
}

/// Pings the key store and, when it is Redis, the queue. (Spin's own connection timeouts bound
/// each ping; a component cannot set a shorter one.)
async fn check() -> Vec<Dependency> {
    let mut dependencies = Vec::new();
    let (name, ping) = match StoreSettings::load(&SpinVariables) {
        Ok(settings @ StoreSettings::Sqlite { .. }) => ("sqlite", ping_store(&settings).await),
        Ok(settings @ StoreSettings::Postgres { .. }) => ("postgres", ping_store(&settings).await),
        Err(error) => ("configuration", Err(error.to_string())),
    };
    dependencies.push(Dependency { name, ping });
    match QueueSettings::load(&SpinVariables) {
        Ok(settings @ QueueSettings::Redis { .. }) => {
            let ping = match open_jobs(&settings) {
                Ok(jobs) => jobs.ping().await.map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            dependencies.push(Dependency { name: "redis", ping });
        }
        Ok(QueueSettings::Sqlite { .. }) => {}
        Err(error) => dependencies.push(Dependency {
            name: "configuration",
            ping: Err(error.to_string()),
        }),
    }
    dependencies
}

async fn ping_store(settings: &StoreSettings) -> Result<(), String> {
    let store = open_store(settings).map_err(|e| e.to_string())?;
    store.ping().await.map_err(|e| e.to_string())
}
