//! Faults under load, through a real `spin up` of the production deployment (Postgres keys, Redis
//! queue) with the real worker draining:
//!
//! 1. Redis goes away for 2 s (every connection through a proxy closed, new ones refused) while
//!    clients dispatch and the worker drains;
//! 2. Postgres terminates the app's connections (`pg_terminate_backend`) mid-load.
//!
//! While a store is away the API answers 503 `store_unavailable` with `Retry-After`, never
//! another 5xx; it recovers by itself; the worker backs off and resumes. At the end every job
//! that got a 202 exists, every stored job reached `succeeded`, and the succeeded counter equals
//! the number of stored jobs: nothing lost, nothing run to completion twice. The counts are
//! printed for the record.
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hexaspin_config::os::system_now;
use hexaspin_core::job::JobState;
use hexaspin_core::metrics::Counter;
use hexaspin_core::ports::{JobFilter, JobStore, MetricsStore};
use hexaspin_tests::api::admin_token;
use hexaspin_tests::cuttable_proxy::CuttableProxy;
use hexaspin_tests::fixtures::{test_pg_url, test_redis, test_redis_address};
use hexaspin_tests::http::{create_api_key, send};
use hexaspin_tests::spin_up::{Deployment, spin_app};
use serde_json::json;
use support::Worker;

const CLIENTS: usize = 6;
const LOAD: Duration = Duration::from_secs(9);

/// What one dispatch got back.
struct Answer {
    status: u16,
    /// The problem's `code`, for anything but 202.
    code: String,
    job: Option<String>,
    retry_after: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_job_succeeds_exactly_once_when_redis_and_postgres_fail_under_load() {
    let Some(wasm) = hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]) else {
        return;
    };
    let proxy = CuttableProxy::start(test_redis_address()).await;
    let proxied_url = format!("redis://127.0.0.1:{}/0", proxy.port);
    let proxied_host = format!("127.0.0.1:{}", proxy.port);
    let Some(app) = spin_app(
        Deployment::PRODUCTION,
        &[
            ("SPIN_VARIABLE_REDIS_URL", proxied_url.as_str()),
            ("SPIN_VARIABLE_REDIS_HOST", proxied_host.as_str()),
        ],
    )
    .await
    else {
        return;
    };
    let port = app.port;
    let prefix = app.redis_prefix().expect("a Redis queue").to_owned();
    let application_name = app
        .postgres_application_name()
        .expect("a Postgres store")
        .to_owned();
    let token = admin_token("faults", system_now());
    let key = create_api_key(
        port,
        &token,
        &json!({"name": "faults", "scopes": ["jobs:read", "jobs:write"],
                "limits": {"rate_per_sec": 100000, "burst": 100000}}),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut worker_env = app.worker_env();
    worker_env.retain(|(name, _)| *name != "REDIS_URL");
    worker_env.push(("REDIS_URL", proxied_url.clone()));
    let _worker = Worker::start(dir.path(), &wasm, &worker_env);

    // The load, on threads of its own; the faults are injected from here meanwhile.
    let stop = AtomicBool::new(false);
    let (answers, faults) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (key, stop) = (key.clone(), &stop);
                scope.spawn(move || {
                    let mut answers = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        answers.push(dispatch(port, &key, client * 1_000_000 + n));
                        n += 1;
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    answers
                })
            })
            .collect();
        let faults = inject_faults(&proxy, &application_name);
        stop.store(true, Ordering::Relaxed);
        let answers: Vec<Answer> = clients
            .into_iter()
            .flat_map(|c| c.join().expect("client"))
            .collect();
        (answers, faults)
    });

    let mut by_status = BTreeMap::new();
    for answer in &answers {
        *by_status.entry(answer.status).or_insert(0usize) += 1;
    }
    let accepted: BTreeSet<String> = answers.iter().filter_map(|a| a.job.clone()).collect();
    println!(
        "{} dispatches, by status: {by_status:?}; faults: {faults}; connections refused while Redis was away: {}",
        answers.len(),
        proxy.refused()
    );
    let unexpected: Vec<u16> = by_status
        .keys()
        .copied()
        .filter(|s| ![202, 503].contains(s))
        .collect();
    let unexpected_codes: BTreeSet<&str> = answers
        .iter()
        .filter(|a| ![202, 503].contains(&a.status))
        .map(|a| a.code.as_str())
        .collect();
    if !unexpected.is_empty() {
        let errors: Vec<String> = app
            .component_log_lines()
            .into_iter()
            .map(|(_, line)| line)
            .filter(|line| line.contains("\"level\":\"error\"") && !line.contains("store unavailable"))
            .take(10)
            .collect();
        panic!(
            "statuses other than 202/503: {by_status:?}, codes {unexpected_codes:?}; component errors:\n{}",
            errors.join("\n")
        );
    }
    assert!(
        by_status.get(&503).copied().unwrap_or(0) > 0,
        "no dispatch met a store that was away: the faults did not bite"
    );
    assert!(
        answers.iter().filter(|a| a.status == 503).all(|a| a.retry_after),
        "a 503 without Retry-After"
    );
    assert_eq!(accepted.len(), by_status[&202], "each 202 names its own job");

    // Recovered by itself: the last dispatches of the run were accepted.
    let last = dispatch(port, &key, 99_999_999);
    assert_eq!(last.status, 202, "the API did not recover");

    // The worker drains everything; then count, on the real Redis.
    let jobs = hexaspin_redis::RedisJobs::new(test_redis().await, prefix);
    let started = Instant::now();
    let (stored, succeeded) = loop {
        let stored = jobs.list_jobs(&JobFilter::all(100_000)).await.expect("list");
        let succeeded = stored.iter().filter(|j| j.state == JobState::Succeeded).count();
        if succeeded == stored.len() {
            break (stored, succeeded);
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {} jobs succeeded after 90 s; others: {:?}",
            succeeded,
            stored.len(),
            stored
                .iter()
                .filter(|j| j.state != JobState::Succeeded)
                .map(|j| (j.spec.id.to_string(), j.state, j.attempts, j.last_error.clone()))
                .take(5)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let stored_ids: BTreeSet<String> = stored.iter().map(|j| j.spec.id.to_string()).collect();
    let lost: Vec<&String> = accepted.difference(&stored_ids).collect();
    assert!(lost.is_empty(), "accepted jobs missing from the store: {lost:?}");
    let counted: u64 = jobs
        .counters()
        .await
        .expect("counters")
        .iter()
        .filter(|c| c.series.counter() == Counter::JobsSucceeded)
        .map(|c| c.value)
        .sum();
    let retried: usize = stored.iter().map(|j| j.attempts.saturating_sub(1) as usize).sum();
    println!(
        "accepted (202): {}, stored: {} ({} from 503 answers whose script had run), succeeded: {succeeded}, \
         succeeded counter: {counted}, extra attempts: {retried}",
        accepted.len(),
        stored.len(),
        stored.len() - accepted.len()
    );
    assert_eq!(
        counted,
        stored.len() as u64,
        "a job was counted as succeeded more or less than once"
    );
    app.stop();
}

/// One dispatch; the job id when accepted.
fn dispatch(port: u16, key: &str, n: usize) -> Answer {
    let authorization = format!("Bearer {key}");
    let reply = send(
        port,
        "POST",
        "/api/jobs",
        &[("authorization", &authorization)],
        Some(&json!({"kind": "echo", "payload": {"n": n}})),
    );
    Answer {
        status: reply.status,
        code: reply.json["code"].as_str().unwrap_or("").to_owned(),
        job: (reply.status == 202)
            .then(|| reply.json["id"].as_str().map(str::to_owned))
            .flatten(),
        retry_after: reply.header("retry-after").is_some(),
    }
}

/// Redis away for 2 s, then the app's Postgres connections terminated; returns what was done.
fn inject_faults(proxy: &CuttableProxy, application_name: &str) -> String {
    std::thread::sleep(Duration::from_millis(1500));
    proxy.cut();
    std::thread::sleep(Duration::from_secs(2));
    proxy.restore();
    std::thread::sleep(Duration::from_millis(2000));
    let terminated = terminate_postgres_connections(application_name);
    std::thread::sleep(LOAD - Duration::from_millis(5500));
    format!("Redis away 2 s; {terminated} Postgres connections terminated")
}

fn terminate_postgres_connections(application_name: &str) -> u64 {
    let application_name = application_name.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async move {
                let (client, connection) = tokio_postgres::connect(&test_pg_url(), tokio_postgres::NoTls)
                    .await
                    .expect("Postgres");
                tokio::spawn(connection);
                let rows = client
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                        &[&application_name],
                    )
                    .await
                    .expect("terminate");
                rows.len() as u64
            })
    })
    .join()
    .expect("terminate thread")
}
