//! `hexaspin-bench worker`: no-op (`echo`) jobs through a queue and the in-process worker.
//!
//! Reports: enqueue rate, one job per store call and in batches (`dispatch_batch`, what
//! `POST /api/jobs/batch` uses); drain rate (jobs/s) of N queued jobs; per-job instantiate+call time
//! (median, p99) from the sandbox; enqueue→start latency (p50, p99) while jobs arrive at half the
//! measured drain rate; peak RSS with `BENCH_INSTANCES` (default 1000) instances alive at once.
//! `BENCH_JOBS` (default 100 000) and `BENCH_CONCURRENCY` (default 32) size the run.
//!
//! The queue is Redis unless `BENCH_QUEUE=sqlite`: then the embedded default, a SQLite file
//! opened as the app and `runtime-worker` open it (rollback journal, `synchronous = FULL`: one
//! fsync per committed transaction). `BENCH_SQLITE_PRAGMAS` runs extra pragmas on the bench's
//! connection first (e.g. `PRAGMA synchronous = OFF`, or `PRAGMA journal_mode = WAL; PRAGMA
//! synchronous = NORMAL`) to show what durability costs; the default run is what users get.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hexaspin_core::job::JobState;
use hexaspin_core::metrics::Counter;
use hexaspin_core::ports::{DispatchRequest, JobFilter, JobStore, MetricsStore};
use hexaspin_core::quota::QuotaRules;
use hexaspin_job_host::{Attempt, KindConfig, Sandbox, SandboxConfig};
use hexaspin_native::{NativeJobs, NativeRedis, SqliteExecutor};
use hexaspin_redis::RedisJobs;
use hexaspin_runtime_worker::Worker;
use hexaspin_runtime_worker::config::WorkerConfig;
use hexaspin_store_sql::executor::ScriptExecutor;
use hexaspin_store_sql::jobs::SqliteJobs;

use crate::{job, now, percentile};

pub(crate) fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn wasm_dir() -> PathBuf {
    std::env::var("HEXASPIN_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/release"))
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn requests(range: std::ops::Range<usize>) -> Vec<DispatchRequest> {
    range
        .map(|i| DispatchRequest {
            caps: Default::default(),
            job: job(i),
            rules: QuotaRules::default(),
            idempotency_key: None,
            idempotency_ttl_ms: 60_000,
        })
        .collect()
}

/// Dispatches one job per store call, 64 calls in flight.
pub(crate) async fn enqueue(jobs: &NativeJobs, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    let requests = requests(range);
    for chunk in requests.chunks(64) {
        let results = futures::future::join_all(chunk.iter().map(|r| jobs.dispatch(r, now()))).await;
        for result in results {
            result?;
        }
    }
    Ok(())
}

/// Jobs per batch in [`enqueue_batches`]: the API's most per `POST /api/jobs/batch`.
const BATCH: usize = hexaspin_core::use_cases::MAX_BATCH_JOBS;

/// Dispatches in batches of [`BATCH`] jobs, one store call each (what `POST /api/jobs/batch`
/// does), one call in flight: the counterpart of BullMQ's `addBulk`.
pub(crate) async fn enqueue_batches(jobs: &NativeJobs, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    for chunk in requests(range).chunks(BATCH) {
        jobs.dispatch_batch(chunk, now()).await?;
    }
    Ok(())
}

/// Jobs that succeeded so far, from the lifecycle counters (a few rows) rather than the depths
/// (a scan of every job on SQLite, which would compete with the worker for the one connection).
pub(crate) async fn done(jobs: &NativeJobs) -> anyhow::Result<u64> {
    Ok(jobs
        .counters()
        .await?
        .iter()
        .filter(|c| c.series.counter() == Counter::JobsSucceeded)
        .map(|c| c.value)
        .sum())
}

/// Runs the whole benchmark.
pub async fn run() -> anyhow::Result<()> {
    let n = env_number("BENCH_JOBS", 100_000);
    let concurrency = env_number("BENCH_CONCURRENCY", 32);
    let instances = env_number("BENCH_INSTANCES", 1000);
    let queue = BenchQueue::open().await?;
    let jobs = queue.jobs.clone();
    let dir = wasm_dir();
    let config_text = format!(
        "[worker]\nid = \"bench\"\nconcurrency = {concurrency}\npoll_interval_ms = 1\n\n[kinds.echo]\ncomponent = {:?}\n",
        dir.join("hexaspin_echo.wasm")
    );
    let config = WorkerConfig::parse(&config_text, &dir)?;
    println!(
        "hexaspin worker bench: {n} no-op jobs, {concurrency} in flight, {}\n",
        queue.description
    );

    // 1. Enqueue: a fifth one job per call, the rest in batches.
    let singles = n / 5;
    let started = Instant::now();
    enqueue(&jobs, 0..singles).await?;
    let enqueue_rate = singles as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    enqueue_batches(&jobs, singles..n).await?;
    let batch_rate = (n - singles) as f64 / started.elapsed().as_secs_f64();

    // 2. Drain.
    let worker = Worker::new(config.clone(), jobs.clone())?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn({
        let worker: Arc<Worker> = worker.clone();
        async move { worker.run(shutdown).await }
    });
    let started = Instant::now();
    while done(&jobs).await? < n as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = started.elapsed();
    let throughput = n as f64 / drain.as_secs_f64();

    // 3. Enqueue→start latency at half the drain rate, for ~5 s.
    let rate = (throughput / 2.0).max(1.0);
    let latency_jobs = (rate * 5.0) as usize;
    let base = n;
    let started = Instant::now();
    for i in 0..latency_jobs {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        enqueue(&jobs, base + i..base + i + 1).await?;
    }
    while done(&jobs).await? < (n + latency_jobs) as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true)?;
    running.await?;
    let recent = jobs
        .list_jobs(&JobFilter {
            key_id: None,
            state: Some(JobState::Succeeded),
            before_seq: None,
            limit: latency_jobs as u32,
        })
        .await?;
    let mut waits: Vec<Duration> = recent
        .iter()
        .filter_map(|j| j.started_at.map(|s| s.as_millis() - j.created_at.as_millis()))
        .map(|ms| Duration::from_millis(ms.max(0) as u64))
        .collect();
    waits.sort();

    // 4. Instantiate + call of one echo attempt, sequentially.
    let sandbox = Sandbox::new(&config.sandbox_config(), &[config.kinds["echo"].sandbox.clone()])?;
    let mut costs = Vec::new();
    for i in 0..5_000 {
        let attempt = Attempt {
            job_id: format!("{i:032x}"),
            kind: "echo".into(),
            payload: "{}".into(),
            attempt: 1,
            timeout: Duration::from_secs(5),
        };
        let report = sandbox.run(&attempt).await;
        anyhow::ensure!(report.outcome.is_ok(), "echo failed: {:?}", report.outcome);
        costs.push(report.instantiate + report.call);
    }
    costs.sort();
    drop(sandbox);

    // 5. Peak RSS with `instances` instances alive at once (each attempt of `chaos loop` stays
    //    alive until its 2 s deadline, yielding every epoch tick).
    let chaos = dir.join("hexaspin_chaos.wasm");
    let pool = SandboxConfig {
        max_instances: instances as u32,
        max_memory_bytes: 16 << 20,
        ..SandboxConfig::default()
    };
    let kind = KindConfig {
        name: "chaos".into(),
        component: chaos,
        max_timeout: Duration::from_secs(2),
        memory_bytes: 16 << 20,
        allowed_hosts: vec![],
        allow_private_networks: false,
        bounds: Default::default(),
        host: Default::default(),
    };
    let wide = Sandbox::new(&pool, &[kind])?;
    let rss_before = peak_rss_mb();
    let attempts: Vec<_> = (0..instances)
        .map(|i| Attempt {
            job_id: format!("{i:032x}"),
            kind: "chaos".into(),
            payload: r#"{"action":"loop"}"#.into(),
            attempt: 1,
            timeout: Duration::from_secs(2),
        })
        .collect();
    let reports = futures::future::join_all(attempts.iter().map(|a| wide.run(a))).await;
    let stopped = reports.iter().filter(|r| r.outcome.is_err()).count();
    let rss_peak = peak_rss_mb();

    println!("{:<58} {:>14}", "measure", "value");
    println!(
        "{:<58} {:>14.0}",
        "enqueue one job per call (64 in flight), jobs/s", enqueue_rate
    );
    println!(
        "{:<58} {:>14.0}",
        format!("enqueue in batches of {BATCH} (one call each), jobs/s"),
        batch_rate
    );
    println!(
        "{:<58} {:>14.0}",
        format!("drain {n} queued no-op jobs, jobs/s"),
        throughput
    );
    println!(
        "{:<58} {:>14.1}",
        "instantiate+call per job, median µs",
        percentile(&costs, 0.5).as_secs_f64() * 1e6
    );
    println!(
        "{:<58} {:>14.1}",
        "instantiate+call per job, p99 µs",
        percentile(&costs, 0.99).as_secs_f64() * 1e6
    );
    println!(
        "{:<58} {:>14.1}",
        format!("enqueue→start at {rate:.0} jobs/s (half load), p50 ms"),
        percentile(&waits, 0.5).as_secs_f64() * 1e3
    );
    println!(
        "{:<58} {:>14.1}",
        "enqueue→start at half load, p99 ms",
        percentile(&waits, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "{:<58} {:>14.0}",
        "process peak RSS before the wide pool, MB", rss_before
    );
    println!(
        "{:<58} {:>14.0}",
        format!("process peak RSS with {instances} live instances, MB"),
        rss_peak
    );
    println!("({stopped}/{instances} wide-pool attempts ran to their deadline, as intended)");
    queue.clean_up().await
}

/// The queue under test and what to clean up after it.
struct BenchQueue {
    jobs: NativeJobs,
    description: String,
    cleanup: Cleanup,
}

enum Cleanup {
    RedisPrefix(NativeRedis, String),
    /// The directory of the SQLite file, removed when dropped.
    SqliteDir {
        _dir: tempfile::TempDir,
    },
}

impl BenchQueue {
    async fn open() -> anyhow::Result<Self> {
        if std::env::var("BENCH_QUEUE").as_deref() == Ok("sqlite") {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("bench.db");
            let sqlite = SqliteExecutor::open(&path)?;
            hexaspin_store_sql::migrate::up(&sqlite, now()).await?;
            let pragmas = std::env::var("BENCH_SQLITE_PRAGMAS").unwrap_or_default();
            if !pragmas.trim().is_empty() {
                sqlite.run_script(&pragmas).await?;
            }
            let shown = if pragmas.trim().is_empty() {
                "defaults: rollback journal, synchronous = FULL".to_owned()
            } else {
                pragmas.trim().to_owned()
            };
            return Ok(Self {
                jobs: NativeJobs::Sqlite(SqliteJobs::new(sqlite)),
                description: format!("SQLite {} ({shown})", path.display()),
                cleanup: Cleanup::SqliteDir { _dir: dir },
            });
        }
        let url =
            std::env::var("HEXASPIN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
        let redis = NativeRedis::connect(&url)
            .await
            .with_context(|| format!("Redis at {url}"))?;
        let prefix = format!("hx_bench_worker_{}:", std::process::id());
        Ok(Self {
            jobs: NativeJobs::Redis(RedisJobs::new(redis.clone(), prefix.clone())),
            description: format!("Redis {url}"),
            cleanup: Cleanup::RedisPrefix(redis, prefix),
        })
    }

    async fn clean_up(self) -> anyhow::Result<()> {
        match self.cleanup {
            Cleanup::RedisPrefix(redis, prefix) => {
                redis.delete_prefix(&prefix).await?;
                Ok(())
            }
            Cleanup::SqliteDir { .. } => Ok(()),
        }
    }
}
