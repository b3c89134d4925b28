//! The real binary under a burst of jobs: killed with SIGKILL mid-burst and started again, every
//! job still ends `succeeded` exactly once; the admin port answers while it runs; SIGTERM exits 0.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hexaspin_config::os::system_now;
use hexaspin_core::job::{JobState, JobTimeout};
use hexaspin_core::ports::{DispatchOutcome, JobFilter, JobStore};
use hexaspin_native::NativeJobs;
use hexaspin_tests::contract::jobs::{new_job, request};
use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs, test_redis_url};
use hexaspin_tests::http::get;
use hexaspin_tests::spin_up::free_port;
use support::spawn_worker;

mod support;

const JOBS: usize = 2000;
const CONCURRENCY: usize = 8;

fn wasm_dir() -> Option<PathBuf> {
    hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"])
}

fn write_config(dir: &Path, wasm: &Path, admin_port: u16) -> PathBuf {
    let path = dir.join("worker.toml");
    let text = format!(
        r#"
[worker]
concurrency = {CONCURRENCY}
poll_interval_ms = 10
lease_grace_ms = 300
rescue_interval_ms = 200
shutdown_grace_ms = 2000
admin_listen = "127.0.0.1:{admin_port}"

[kinds.echo]
component = {echo:?}
"#,
        echo = wasm.join("hexaspin_echo.wasm")
    );
    std::fs::write(&path, text).expect("config");
    path
}

async fn succeeded(jobs: &NativeJobs) -> u64 {
    let depths = jobs.queue_depths().await.expect("depths");
    depths
        .iter()
        .filter(|d| d.state == JobState::Succeeded)
        .map(|d| d.count)
        .sum()
}

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn burst_survives_sigkill(jobs: NativeJobs, env: Vec<(&'static str, String)>) {
    let Some(wasm) = wasm_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = free_port();
    let config = write_config(dir.path(), &wasm, admin);
    for n in 0..JOBS {
        let mut spec = new_job((n % 50) as u8, (n % 10) as u8);
        spec.timeout = JobTimeout::from_millis(1000).expect("timeout");
        assert!(matches!(
            jobs.dispatch(&request(spec), system_now())
                .await
                .expect("dispatch"),
            DispatchOutcome::Accepted { .. }
        ));
    }

    let mut first = spawn_worker(&config, &env);
    wait_for("the first quarter", Duration::from_secs(60), async || {
        succeeded(&jobs).await >= (JOBS / 4) as u64
    })
    .await;
    assert_eq!(get(admin, "/healthz").0, 200);
    assert_eq!(get(admin, "/readyz").0, 200);
    let (status, metrics) = get(admin, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("hexaspin_worker_jobs_succeeded_total{kind=\"echo\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE hexaspin_worker_instantiate_seconds histogram"),
        "{metrics}"
    );
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let at_kill = succeeded(&jobs).await;
    assert!(at_kill < JOBS as u64, "the kill came mid-burst ({at_kill} done)");

    let mut second = spawn_worker(&config, &env);
    wait_for("every job", Duration::from_secs(120), async || {
        succeeded(&jobs).await == JOBS as u64
    })
    .await;
    let all = jobs
        .list_jobs(&JobFilter::all((JOBS + 10) as u32))
        .await
        .expect("list");
    assert_eq!(all.len(), JOBS, "no job lost, none duplicated");
    assert!(all.iter().all(|j| j.state == JobState::Succeeded));
    let rerun = all.iter().filter(|j| j.attempts > 1).count();
    assert!(
        all.iter().all(|j| j.attempts <= 2),
        "only the attempts cut by the kill ran again"
    );
    assert!(
        rerun <= CONCURRENCY,
        "{rerun} jobs ran twice, more than were in flight"
    );
    println!("{at_kill} jobs done before SIGKILL, {rerun} attempt(s) rescued and rerun, {JOBS} succeeded");

    let pid = second.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("SIGTERM");
    let status = second.wait().expect("exit");
    assert!(
        status.success(),
        "SIGTERM ends the worker with exit 0, got {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_redis_survives_a_sigkill_with_every_job_done_exactly_once() {
    let fixture = RedisTestJobs::new().await;
    let env = vec![
        ("QUEUE", "redis".to_owned()),
        ("REDIS_URL", test_redis_url()),
        ("REDIS_PREFIX", fixture.prefix.clone()),
    ];
    burst_survives_sigkill(NativeJobs::Redis(fixture.store.clone()), env).await;
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_sqlite_survives_a_sigkill_with_every_job_done_exactly_once() {
    let fixture = SqliteTestJobs::new().await;
    let env = vec![("SQLITE_PATH", fixture.path().to_string_lossy().into_owned())];
    burst_survives_sigkill(NativeJobs::Sqlite(fixture.store.clone()), env).await;
    fixture.finish().await;
}
