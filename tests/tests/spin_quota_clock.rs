//! The quota clock through a real `spin up`, on both deployments: a key allowed 1 000/s with a
//! burst of 1 000 sends 300 dispatches, 32 at a time. Every one is within the limits, so none may
//! be refused. Before the decision was taken at the store's clock (SQLite: inside the
//! transaction; Redis: `TIME` in the script), the embedded deployment refused ~10 % of them as
//! "too early": each request was judged at the time it read before waiting for the write lock.
//! Then 300 reads of a job, 32 at a time: none may give up waiting for the database (503).
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use std::collections::BTreeMap;

use hexaspin_config::os::system_now;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::{create_api_key, send_bearer, statuses_under_load};
use hexaspin_tests::spin_up::{Deployment, spin_app};
use serde_json::json;

const CLIENTS: usize = 32;
const DISPATCHES: usize = 300;

async fn no_in_limit_dispatch_is_refused(deployment: Deployment) {
    let Some(app) = spin_app(deployment, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("quota-clock", system_now());
    let key = create_api_key(
        port,
        &token,
        &json!({"name": "burst", "scopes": ["jobs:write"],
                "limits": {"rate_per_sec": 1000, "burst": 1000}}),
    );
    let job = json!({"kind": "echo", "payload": {}});
    let by_status = statuses_under_load(CLIENTS, DISPATCHES, |_| {
        send_bearer(port, "POST", "/api/jobs", &key, Some(&job)).status
    });
    println!(
        "{} ({}): {DISPATCHES} dispatches by status: {by_status:?}",
        deployment.name(),
        app.base_url()
    );
    assert_eq!(by_status, BTreeMap::from([(202, DISPATCHES)]));

    // Reads of a job by as many clients at once: each request also waits for the write lock (its
    // key check when it must charge, its request count), and none may give up on it (503).
    let read_key = create_api_key(
        port,
        &token,
        &json!({"name": "reader", "scopes": ["jobs:read", "jobs:write"]}),
    );
    let job_id = send_bearer(port, "POST", "/api/jobs", &read_key, Some(&job)).json["id"]
        .as_str()
        .expect("a job id")
        .to_owned();
    let path = format!("/api/jobs/{job_id}");
    let by_status = statuses_under_load(CLIENTS, DISPATCHES, |_| {
        send_bearer(port, "GET", &path, &read_key, None).status
    });
    assert_eq!(by_status, BTreeMap::from([(200, DISPATCHES)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_in_limit_dispatch_is_refused_under_32_concurrent_clients_on_the_embedded_deployment() {
    no_in_limit_dispatch_is_refused(Deployment::EMBEDDED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_in_limit_dispatch_is_refused_under_32_concurrent_clients_on_the_production_deployment() {
    no_in_limit_dispatch_is_refused(Deployment::PRODUCTION).await;
}
