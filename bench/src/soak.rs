//! `hexaspin-bench soak`: a bounded soak of the app under `spin up` with the real worker binary
//! draining, in the embedded and the production deployment. For `SOAK_SECONDS` (default 60) it
//! sends `SOAK_RATE` requests per second (default 200, open loop: a slow answer does not slow the
//! sender) of a fixed mix: 50 % dispatch, 25 % read of a dispatched job, 15 % list of the key's
//! jobs, 10 % admin list of keys. It reports p50/p99 per route, the statuses, the resident memory
//! (VmRSS) of Spin's processes and of the worker before and after, and then checks what a user
//! would: no 5xx, every dispatch that got a 202 stored once and run to `succeeded`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hexaspin_core::job::JobState;
use hexaspin_core::ports::{JobFilter, JobStore};
use hexaspin_tests::spin_up::{App, Deployment, start_app};
use http_body_util::BodyExt;

use crate::percentile;
use crate::spin_http::{Call, connect, env_number};

/// The route mix, in tenths of the load.
const MIX: [(&str, u32); 4] = [("dispatch", 5), ("read", 2), ("list", 2), ("admin list", 1)];

pub async fn run() -> anyhow::Result<()> {
    let seconds = env_number("SOAK_SECONDS", 60);
    let rate = env_number("SOAK_RATE", 200);
    let version = hexaspin_tests::spin_up::spin_version().context("`spin` must be on PATH")?;
    let root = hexaspin_tests::spin_up::workspace_root();
    let worker_binary = crate::release_worker_binary()?;
    println!("soak: {seconds} s at {rate} requests/s on {version}, worker draining\n");
    for deployment in [Deployment::EMBEDDED, Deployment::PRODUCTION] {
        let app = start_app(deployment, &[]).await.map_err(|e| anyhow::anyhow!(e))?;
        soak(&app, &worker_binary, &root, seconds, rate).await?;
        app.stop();
    }
    Ok(())
}

struct Sample {
    route: &'static str,
    status: u16,
    latency: Duration,
    job: Option<String>,
}

async fn soak(app: &App, worker_binary: &Path, root: &Path, seconds: u64, rate: u64) -> anyhow::Result<()> {
    let port = app.port;
    let token = hexaspin_tests::api::admin_token("soak", hexaspin_config::os::system_now());
    let key = {
        let token = token.clone();
        tokio::task::spawn_blocking(move || {
            let body = serde_json::json!({"name": "soak", "scopes": ["jobs:read", "jobs:write"],
                "limits": {"rate_per_sec": 1_000_000, "burst": 1_000_000}});
            hexaspin_tests::http::send_bearer(port, "POST", "/api/admin/api-keys", &token, Some(&body))
        })
        .await?
        .json["key"]
            .as_str()
            .context("creating the soak key")?
            .to_owned()
    };
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("worker.toml");
    std::fs::write(
        &config,
        format!(
            "[worker]\nconcurrency = 8\npoll_interval_ms = 20\nadmin_listen = \"127.0.0.1:0\"\n\n[kinds.echo]\ncomponent = {:?}\n",
            root.join("target/wasm32-wasip2/release/hexaspin_echo.wasm")
        ),
    )?;
    let mut worker = std::process::Command::new(worker_binary)
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("QUEUE")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_PREFIX")
        .envs(app.worker_env())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = (spin_rss(app), rss_kib(worker.id() as i32));

    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let jobs = Arc::new(Mutex::new(Vec::<String>::new()));
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut in_flight = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let due = started + interval.mul_f64(sent as f64);
        tokio::time::sleep_until(due.into()).await;
        let slot = (sent % 10) as u32;
        let route = pick(slot);
        let known = jobs.lock().expect("lock").last().cloned();
        let call = match (route, known) {
            ("dispatch", _) | ("read", None) => Call::post_json(
                "/api/jobs",
                serde_json::json!({"kind": "echo", "payload": {"n": sent}}),
            )
            .bearer(&key),
            ("read", Some(id)) => Call::get(&format!("/api/jobs/{id}")).bearer(&key),
            ("list", _) => Call::get("/api/jobs?limit=20").bearer(&key),
            _ => Call::get("/api/admin/api-keys?limit=20").bearer(&token),
        };
        let route = if call.path == "/api/jobs" && call.method == http::Method::POST {
            "dispatch"
        } else {
            route
        };
        let (samples, jobs) = (samples.clone(), jobs.clone());
        in_flight.push(tokio::spawn(async move {
            let t = Instant::now();
            let answer = async {
                let mut sender = connect(port).await?;
                let response = sender.send_request(call.request(port)?).await?;
                let status = response.status().as_u16();
                let body = response.into_body().collect().await?.to_bytes();
                anyhow::Ok((status, body))
            }
            .await;
            let (status, body) = answer.unwrap_or((0, Default::default()));
            let job = (route == "dispatch" && status == 202)
                .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .flatten()
                .and_then(|v| v["id"].as_str().map(str::to_owned));
            if let Some(id) = &job {
                jobs.lock().expect("lock").push(id.clone());
            }
            samples.lock().expect("lock").push(Sample {
                route,
                status,
                latency: t.elapsed(),
                job,
            });
        }));
        sent += 1;
    }
    for task in in_flight {
        task.await?;
    }
    let elapsed = started.elapsed();

    // Drain, then count from the store itself.
    let accepted: Vec<String> = samples
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|s| s.job.clone())
        .collect();
    let drained = wait_for_drain(app, accepted.len()).await?;
    let rss_after = (spin_rss(app), rss_kib(worker.id() as i32));
    let _ = worker.kill();
    let _ = worker.wait();

    let samples = samples.lock().expect("lock");
    println!(
        "{} ({} requests in {:.1} s):",
        app.deployment.name(),
        samples.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "  {:<11} {:>7} {:>9} {:>9}  statuses",
        "route", "count", "p50", "p99"
    );
    for (route, _) in MIX {
        let mut latencies: Vec<Duration> = samples
            .iter()
            .filter(|s| s.route == route)
            .map(|s| s.latency)
            .collect();
        if latencies.is_empty() {
            continue;
        }
        latencies.sort();
        let mut statuses = BTreeMap::new();
        for s in samples.iter().filter(|s| s.route == route) {
            *statuses.entry(s.status).or_insert(0usize) += 1;
        }
        println!(
            "  {:<11} {:>7} {:>7.2}ms {:>7.2}ms  {statuses:?}",
            route,
            latencies.len(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
    let server_errors = samples
        .iter()
        .filter(|s| s.status >= 500 || s.status == 0)
        .count();
    println!(
        "  RSS: spin {} → {} KiB, worker {} → {} KiB",
        rss_before.0, rss_after.0, rss_before.1, rss_after.1
    );
    println!(
        "  jobs: {} accepted, {} stored, {} succeeded, {} lost; 5xx or no answer: {server_errors}\n",
        accepted.len(),
        drained.stored,
        drained.succeeded,
        accepted.iter().filter(|id| !drained.ids.contains(*id)).count()
    );
    anyhow::ensure!(
        server_errors == 0,
        "{server_errors} requests got a 5xx or no answer"
    );
    anyhow::ensure!(
        drained.stored == accepted.len() && drained.succeeded == accepted.len(),
        "jobs lost or duplicated"
    );
    Ok(())
}

fn pick(slot: u32) -> &'static str {
    let mut upto = 0;
    for (route, tenths) in MIX {
        upto += tenths;
        if slot < upto {
            return route;
        }
    }
    MIX[0].0
}

struct Drained {
    stored: usize,
    succeeded: usize,
    ids: std::collections::BTreeSet<String>,
}

/// Waits (up to 120 s) until every stored job succeeded, reading the app's own store.
async fn wait_for_drain(app: &App, accepted: usize) -> anyhow::Result<Drained> {
    let deadline = Instant::now() + Duration::from_secs(120);
    // Opened once; polled until drained.
    let store = match app.redis_prefix() {
        Some(prefix) => hexaspin_stores::AnyJobs::Redis(hexaspin_redis::RedisJobs::new(
            hexaspin_tests::fixtures::test_redis().await,
            prefix.to_owned(),
        )),
        None => hexaspin_stores::AnyJobs::Sqlite(hexaspin_store_sql::jobs::SqliteJobs::new(
            hexaspin_native::SqliteExecutor::open(&app.database)?,
        )),
    };
    loop {
        let jobs = store.list_jobs(&JobFilter::all(1_000_000)).await?;
        let succeeded = jobs.iter().filter(|j| j.state == JobState::Succeeded).count();
        if (succeeded == jobs.len() && jobs.len() >= accepted) || Instant::now() > deadline {
            return Ok(Drained {
                stored: jobs.len(),
                succeeded,
                ids: jobs.iter().map(|j| j.spec.id.to_string()).collect(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The summed resident memory of `spin up` and its trigger process, KiB.
fn spin_rss(app: &App) -> u64 {
    app.processes().iter().map(|p| rss_kib(p.pid)).sum()
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}
