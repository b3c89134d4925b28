//! Component logs under concurrent load through a real `spin up`: every line Spin collects from
//! the components' stderr must be one whole JSON object, and every request must have exactly one
//! access line. The same load checks that no dispatch within its limits is refused. (A line written in several pieces interleaves with other instances' lines in
//! Spin's log file as soon as requests overlap.)
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use hexaspin_config::os::system_now;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::{create_api_key, send, send_bearer, statuses_under_load};
use hexaspin_tests::spin_up::{Deployment, spin_app};
use serde_json::{Value, json};

const CLIENTS: usize = 32;
const REQUESTS_PER_CLIENT: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_is_whole_json_under_32_concurrent_clients_on_the_embedded_deployment() {
    every_log_line_is_whole_json_under_load(Deployment::EMBEDDED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_is_whole_json_under_32_concurrent_clients_on_the_production_deployment() {
    every_log_line_is_whole_json_under_load(Deployment::PRODUCTION).await;
}

async fn every_log_line_is_whole_json_under_load(deployment: Deployment) {
    let Some(app) = spin_app(deployment, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("logs", system_now());
    let key = create_api_key(
        port,
        &token,
        &json!({"name": "load", "scopes": ["jobs:read", "jobs:write"],
                "limits": {"rate_per_sec": 100000, "burst": 100000}}),
    );

    let by_status = statuses_under_load(CLIENTS, CLIENTS * REQUESTS_PER_CLIENT, |n| {
        one_of_a_mix(port, &key, &token, n)
    });
    let sent = 1 + by_status.values().sum::<usize>(); // and the key creation
    println!("{sent} requests, by status: {by_status:?}");
    // The key's limits (100 000/s, burst 100 000) are far above this load: a 429 would be a
    // request judged at a stale time after waiting for the store (see tests/quota_clock.rs).
    assert_eq!(by_status.get(&429), None, "in-limit dispatches were refused");

    let lines = app.component_log_lines();
    let torn: Vec<&(String, String)> = lines
        .iter()
        .filter(|(_, line)| !serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()))
        .collect();
    assert!(
        torn.is_empty(),
        "{} of {} log lines are not whole JSON objects, e.g. {:?}",
        torn.len(),
        lines.len(),
        torn.iter().take(3).collect::<Vec<_>>()
    );
    let access_lines = lines
        .iter()
        .filter_map(|(_, line)| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["what"] == json!("request"))
        .count();
    assert_eq!(access_lines, sent, "one access line per request");
    app.stop();
}

/// Request number `n` of a mix of every component: dispatch, read, health, readiness, metrics
/// and the admin list. Returns the status.
fn one_of_a_mix(port: u16, key: &str, token: &str, n: usize) -> u16 {
    let job = json!({"kind": "echo", "payload": {"n": n}});
    let reply = match n % 7 {
        0 | 1 => send_bearer(port, "POST", "/api/jobs", key, Some(&job)),
        2 => send_bearer(
            port,
            "GET",
            "/api/jobs/00000000000000000000000000000000",
            key,
            None,
        ),
        3 => send(port, "GET", "/healthz", &[], None),
        4 => send(port, "GET", "/readyz", &[], None),
        5 => send(port, "GET", "/metrics", &[], None),
        _ => send_bearer(port, "GET", "/api/admin/api-keys?limit=5", token, None),
    };
    assert!(reply.status > 0);
    reply.status
}

/// The 429 at a storage cap goes to the client; the operator (and `HexaspinKeysAtStorageCaps`)
/// needs to know which key it was: the log names the key's id, never its secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_refused_at_a_storage_cap_is_named_in_the_log_without_its_secret() {
    let Some(app) = spin_app(Deployment::EMBEDDED, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("logs", system_now());
    let created = send_bearer(
        port,
        "POST",
        "/api/admin/api-keys",
        &token,
        Some(&json!({"name": "hoarder", "scopes": ["jobs:write"],
                     "limits": {"max_stored_bytes": 100, "max_scheduled_jobs": 1}})),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let (key, id) = (
        created.json["key"].as_str().expect("key").to_owned(),
        created.json["id"].as_str().expect("id").to_owned(),
    );
    let later = json!({"kind": "echo", "payload": {}, "delay_ms": 3_600_000});
    assert_eq!(
        send_bearer(port, "POST", "/api/jobs", &key, Some(&later)).status,
        202
    );
    let scheduled = send_bearer(port, "POST", "/api/jobs", &key, Some(&later));
    assert_eq!(
        scheduled.json["code"], "scheduled_limit_reached",
        "{}",
        scheduled.json
    );
    let big = json!({"kind": "echo", "payload": {"text": "x".repeat(200)}});
    let batch = json!({"jobs": vec![big; 300]});
    let judged = send_bearer(port, "POST", "/api/jobs/batch", &key, Some(&batch));
    assert_eq!(judged.json["refused"], 300, "{}", judged.json);
    assert_eq!(judged.json["results"][299]["code"], "storage_limit_reached");

    let lines = app.component_log_lines();
    app.stop();
    let refusals: Vec<Value> = lines
        .iter()
        .filter_map(|(_, line)| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["what"] == json!("storage_cap_reached"))
        .collect();
    // One line per request and cap: a batch of 300 refusals is one line, not 300.
    let named: Vec<(&Value, &Value, &Value)> = refusals
        .iter()
        .map(|v| (&v["key_id"], &v["code"], &v["jobs"]))
        .collect();
    assert_eq!(
        named,
        vec![
            (&json!(id), &json!("scheduled_limit_reached"), &json!(1)),
            (&json!(id), &json!("storage_limit_reached"), &json!(300)),
        ]
    );
    let secret = key.rsplit('_').next().expect("secret part");
    assert!(
        lines.iter().all(|(_, line)| !line.contains(secret)),
        "the key's secret reached the log"
    );
}
