//! The whole product under its real runtime: `spin up` of the app with the real worker binary, in
//! each deployment — embedded (SQLite + SQLite), production (Postgres keys + Redis queue) and the
//! two mixed ones. One scenario per deployment, as an operator and a client meet it:
//!
//! health and readiness naming the right stores → the admin lifecycle (create, list, read,
//! unknown id, update, rotate, audit) → dispatch until 429 with `Retry-After`, and accepted again
//! after waiting → the worker runs every accepted job to `succeeded` → `/metrics` counted all of it
//! → revocation refuses the key → `runtime-worker smoke` passes against the same app.
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`), PostgreSQL
//! and Redis (as every test here).

mod support;

use std::time::{Duration, Instant};

use hexaspin_config::os::system_now;
use hexaspin_tests::api::{Reply, admin_token};
use hexaspin_tests::http::{send, send_bearer};
use hexaspin_tests::prometheus::{parse, value};
use hexaspin_tests::spin_up::{App, Deployment, KeyStore, Queue, spin_app};
use serde_json::json;
use support::{Worker, assert_smoke_passed, smoke};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_deployment_works_end_to_end_under_spin_up() {
    the_app_works_end_to_end(Deployment::EMBEDDED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_deployment_works_end_to_end_under_spin_up() {
    the_app_works_end_to_end(Deployment::PRODUCTION).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keys_with_the_embedded_queue_work_end_to_end_under_spin_up() {
    the_app_works_end_to_end(Deployment::POSTGRES_KEYS_SQLITE_QUEUE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_keys_with_the_redis_queue_work_end_to_end_under_spin_up() {
    the_app_works_end_to_end(Deployment::SQLITE_KEYS_REDIS_QUEUE).await;
}

async fn the_app_works_end_to_end(deployment: Deployment) {
    let Some(wasm) = hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]) else {
        return;
    };
    let Some(app) = spin_app(deployment, &[]).await else {
        return;
    };
    let port = app.port;
    let token = admin_token("e2e", system_now());

    health_names_the_stores_of(&app);
    let (id, key) = the_admin_lifecycle_works(port, &token);
    let accepted = dispatch_is_limited_then_accepted_again(port, &key);

    let dir = tempfile::tempdir().expect("tempdir");
    let worker = Worker::start(dir.path(), &wasm, &app.worker_env());
    for job in &accepted {
        wait_until_succeeded(port, &key, job);
    }
    metrics_count_what_happened(port, accepted.len());
    revocation_refuses_the_key(port, &token, &id, &key);

    let output = smoke(app.base_url(), "60").await;
    drop(worker);
    assert_smoke_passed(&output);
    app.stop();
}

fn health_names_the_stores_of(app: &App) {
    let live = send(app.port, "GET", "/healthz", &[], None);
    assert_eq!((live.status, &live.json["status"]), (200, &json!("ok")));
    let ready = send(app.port, "GET", "/readyz", &[], None);
    assert_eq!(ready.status, 200, "{}", ready.json);
    let mut expected = vec![match app.deployment.store {
        KeyStore::Sqlite => "sqlite",
        KeyStore::Postgres => "postgres",
    }];
    if app.deployment.queue == Queue::Redis {
        expected.push("redis");
    }
    let checked: Vec<&str> = ready.json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(checked, expected, "{}", ready.json);
}

/// Creates a key and takes it through list, read, update and rotation; returns its id and its
/// current secret.
fn the_admin_lifecycle_works(port: u16, token: &str) -> (String, String) {
    let admin = |method: &str, path: &str, body: Option<serde_json::Value>| {
        send_bearer(port, method, path, token, body.as_ref())
    };
    let created = admin(
        "POST",
        "/api/admin/api-keys",
        Some(json!({
            "name": "e2e", "owner": "acme", "scopes": ["jobs:read", "jobs:write"],
            "limits": {"rate_per_sec": 1, "burst": 3}
        })),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/admin/api-keys/{id}").as_str())
    );
    assert!(created.json["key"].as_str().expect("key").starts_with("hx_"));

    let listed = admin("GET", "/api/admin/api-keys?owner=acme", None);
    assert_eq!(listed.status, 200, "{}", listed.json);
    assert_eq!(listed.json["items"][0]["id"], json!(id));
    // An owner with no keys: an empty page, not a hang (Spin 4.0.x and Postgres' empty results).
    let nobody = admin("GET", "/api/admin/api-keys?owner=nobody", None);
    assert_eq!((nobody.status, &nobody.json["items"]), (200, &json!([])));

    let read = admin("GET", &format!("/api/admin/api-keys/{id}"), None);
    assert_eq!((read.status, &read.json["name"]), (200, &json!("e2e")));
    assert!(read.json.get("key").is_none(), "a read never shows the secret");
    let unknown = admin("GET", "/api/admin/api-keys/0123456789abcdef", None);
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));

    let renamed = admin(
        "PATCH",
        &format!("/api/admin/api-keys/{id}"),
        Some(json!({"name": "e2e renamed"})),
    );
    assert_eq!(
        (renamed.status, &renamed.json["name"]),
        (200, &json!("e2e renamed"))
    );

    let rotated = admin(
        "POST",
        &format!("/api/admin/api-keys/{id}/rotate"),
        Some(json!({"grace_seconds": 30})),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.json);
    let key = rotated.json["key"].as_str().expect("new key").to_owned();

    let audit = admin("GET", &format!("/api/admin/audit?key_id={id}"), None);
    assert_eq!(audit.status, 200, "{}", audit.json);
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|entry| entry["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["api_key.rotated", "api_key.updated", "api_key.created"]);
    let denied = send_bearer(port, "GET", "/api/admin/api-keys", "not-a-token", None);
    assert_eq!((denied.status, denied.code()), (401, "invalid_token"));
    (id, key)
}

/// Dispatches with a key allowed a burst of 3 at 1/s until refused, waits as told, dispatches
/// again; returns the ids of the accepted jobs.
fn dispatch_is_limited_then_accepted_again(port: u16, key: &str) -> Vec<String> {
    let job = json!({"kind": "echo", "payload": {"hello": "spin"}});
    let mut accepted = Vec::new();
    let refused = loop {
        let reply = send_bearer(port, "POST", "/api/jobs", key, Some(&job));
        match reply.status {
            202 => accepted.push(reply.json["id"].as_str().expect("job id").to_owned()),
            429 => break reply,
            other => panic!("unexpected {other}: {}", reply.json),
        }
        assert!(accepted.len() <= 3, "the burst of 3 must be enforced");
    };
    assert_eq!(accepted.len(), 3, "the whole burst is accepted first");
    assert_eq!(refused.code(), "rate_limited");
    assert_eq!(refused.header("ratelimit-limit"), Some("3"));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    let wait: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    std::thread::sleep(Duration::from_secs(wait));
    let again = send_bearer(port, "POST", "/api/jobs", key, Some(&job));
    assert_eq!(again.status, 202, "{}", again.json);
    accepted.push(again.json["id"].as_str().expect("job id").to_owned());
    accepted.extend(a_batch_is_judged_job_by_job(port, key, &job));
    accepted
}

/// Once the burst is whole again, a batch of four gets three jobs in and the fourth refused,
/// each with its own answer; returns the ids of the accepted ones.
fn a_batch_is_judged_job_by_job(port: u16, key: &str, job: &serde_json::Value) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(3200));
    let batch = json!({"jobs": [job, job, job, job]});
    let reply = send_bearer(port, "POST", "/api/jobs/batch", key, Some(&batch));
    assert_eq!(reply.status, 200, "{}", reply.json);
    let results = reply.json["results"].as_array().expect("results");
    let statuses: Vec<_> = results.iter().map(|r| r["status"].as_u64()).collect();
    assert_eq!(statuses, [202, 202, 202, 429].map(Some), "{}", reply.json);
    assert_eq!(results[3]["code"], "rate_limited");
    results[..3]
        .iter()
        .map(|r| r["job"]["id"].as_str().expect("job id").to_owned())
        .collect()
}

fn wait_until_succeeded(port: u16, key: &str, job: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last: Reply;
    loop {
        last = send_bearer(port, "GET", &format!("/api/jobs/{job}"), key, None);
        assert_eq!(last.status, 200, "{}", last.json);
        if last.json["state"] == json!("succeeded") || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(last.json["state"], json!("succeeded"), "{}", last.json);
    assert_eq!(last.json["result"], json!({"hello": "spin"}));
}

fn metrics_count_what_happened(port: u16, jobs: usize) {
    let scrape = send(port, "GET", "/metrics", &[], None);
    assert_eq!(scrape.status, 200);
    let text = scrape.json.as_str().expect("the exposition is text");
    let families = parse(text);
    let at = |name: &str, labels: &[(&str, &str)]| value(&families, name, labels);
    let jobs = Some(jobs as f64);
    assert_eq!(at("hexaspin_api_keys", &[("state", "active")]), Some(1.0));
    assert_eq!(at("hexaspin_jobs_enqueued_total", &[("kind", "echo")]), jobs);
    assert_eq!(at("hexaspin_jobs_succeeded_total", &[("kind", "echo")]), jobs);
    assert_eq!(
        at("hexaspin_quota_rejections_total", &[("reason", "rate_limited")]),
        Some(2.0),
        "the single dispatch's and the batch's"
    );
    assert_eq!(
        at(
            "hexaspin_http_requests_total",
            &[("component", "jobs"), ("status_class", "4xx")]
        ),
        Some(1.0),
        "the one 429 (a batch answers 200)"
    );
    let heartbeats = families
        .iter()
        .find(|f| f.name == "hexaspin_worker_last_heartbeat_timestamp_seconds")
        .map_or(0, |f| f.samples.len());
    assert_eq!(heartbeats, 1, "the running worker reports in");
}

fn revocation_refuses_the_key(port: u16, token: &str, id: &str, key: &str) {
    let revoked = send_bearer(
        port,
        "POST",
        &format!("/api/admin/api-keys/{id}/revoke"),
        token,
        None,
    );
    assert_eq!((revoked.status, &revoked.json["state"]), (200, &json!("revoked")));
    let job = json!({"kind": "echo", "payload": {}});
    let refused = send_bearer(port, "POST", "/api/jobs", key, Some(&job));
    assert_eq!((refused.status, refused.code()), (401, "api_key_revoked"));
}
