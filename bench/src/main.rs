//! `cargo run --release -p hexaspin-bench [-- quota|worker|spin-http|soak|scale-out|list-stall|users]`: prints throughput and
//! latency of hexaspin's store operations next to a plain Redis `SET` on the same server, in the
//! same run (`quota`, the default), of the worker running no-op jobs end to end (`worker`, see
//! `worker_bench.rs`), or of the HTTP routes under `spin up` next to a hello-world component
//! (`spin-http`, see `spin_http.rs`), or a bounded soak of mixed traffic with the worker draining
//! (`soak`, see `soak.rs`), or the drain rate of 1, 2 and 4 `runtime-worker` processes on one
//! Redis (`scale-out`, see `scale_out.rs`), or a sign-in's cost natively and under Spin with the
//! Argon2id parameters (`users`, see `users_bench.rs`), or whether listing a key's long history
//! stalls other Redis clients (`list-stall`, see `list_stall.rs`).
//!
//! Measured per operation: sequential latency (one request in flight: p50, p99, ops/s) and
//! concurrent throughput (`CONCURRENCY` requests in flight on the multiplexed connection). Redis at
//! `HEXASPIN_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/0`); keys under a random prefix,
//! deleted afterwards. SQLite in a temporary file, migrated as `spin up`'s file is (WAL, fsync'd
//! commits).

use std::time::{Duration, Instant};

use anyhow::Context;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::job::{JobId, JobKind, JobTimeout, MaxAttempts, NewJob, Priority};
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{
    DispatchOutcome, DispatchRequest, JobStore, MetricsStore, RateBucket, RateLimiter,
};
use hexaspin_core::quota::{QuotaRules, RateRule};
use hexaspin_native::{NativeRedis, SqliteExecutor};
use hexaspin_redis::RedisJobs;
use hexaspin_store_sql::jobs::SqliteJobs;

const CONCURRENCY: usize = 32;

struct Figures {
    name: String,
    sequential_ops: f64,
    p50: Duration,
    p99: Duration,
    concurrent_ops: f64,
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `op(i)` `n` times one at a time, then `n` times with `CONCURRENCY` in flight.
async fn measure<F, Fut>(name: &str, n: usize, op: F) -> anyhow::Result<Figures>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    for i in 0..n / 10 {
        op(i).await?; // warm-up: connections, script cache, page cache
    }
    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        op(n + i).await?;
        latencies.push(t.elapsed());
    }
    let sequential = started.elapsed();
    latencies.sort();
    let started = Instant::now();
    let mut next = 2 * n;
    while next < 3 * n {
        let batch: Vec<_> = (next..(next + CONCURRENCY).min(3 * n)).map(&op).collect();
        next += batch.len();
        for result in futures::future::join_all(batch).await {
            result?;
        }
    }
    let concurrent = started.elapsed();
    Ok(Figures {
        name: name.to_owned(),
        sequential_ops: n as f64 / sequential.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        concurrent_ops: n as f64 / concurrent.as_secs_f64(),
    })
}

pub(crate) fn job(i: usize) -> NewJob {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    id[8..].copy_from_slice(&random);
    NewJob {
        id: JobId::from_random(id),
        key_id: ApiKeyId::from_random([(i % 64) as u8; 8]),
        kind: JobKind::parse("echo").expect("kind"),
        payload: r#"{"n":1}"#.to_owned(),
        priority: Priority::new((i % 10) as i64).expect("priority"),
        run_at: None,
        max_attempts: MaxAttempts::default(),
        timeout: JobTimeout::default(),
        concurrency_limit: None,
    }
}

pub(crate) use hexaspin_config::os::system_now as now;

async fn dispatch<S: JobStore>(store: &S, i: usize) -> anyhow::Result<()> {
    // Generous rules: the quota is checked and charged on every call, and accepts.
    let rules = QuotaRules {
        rate: Some(RateRule::new(1_000_000, 1_000_000)?),
        daily_quota: Some(1_000_000_000),
    };
    let request = DispatchRequest {
        caps: Default::default(),
        job: job(i),
        rules,
        idempotency_key: None,
        idempotency_ttl_ms: 86_400_000,
    };
    match store.dispatch(&request, now()).await? {
        DispatchOutcome::Accepted { .. } => Ok(()),
        other => anyhow::bail!("dispatch was not accepted: {other:?}"),
    }
}

fn print(rows: &[Figures], baseline: Option<&Figures>) {
    println!(
        "{:<44} {:>12} {:>10} {:>10} {:>14} {:>10}",
        "operation", "seq ops/s", "p50 µs", "p99 µs", "32-way ops/s", "p50 / SET"
    );
    for row in rows {
        let ratio = baseline.map_or(String::from("-"), |b| {
            format!("{:.2}×", row.p50.as_secs_f64() / b.p50.as_secs_f64())
        });
        println!(
            "{:<44} {:>12.0} {:>10.1} {:>10.1} {:>14.0} {:>10}",
            row.name,
            row.sequential_ops,
            row.p50.as_secs_f64() * 1e6,
            row.p99.as_secs_f64() * 1e6,
            row.concurrent_ops,
            ratio
        );
    }
}

mod list_stall;
mod nodelay;
mod scale_out;
mod soak;
mod spin_http;
mod users_bench;
mod worker_bench;

/// Builds the `runtime-worker` binary in release mode and returns its path: the benchmarks that
/// run real worker processes use the binary users deploy.
pub(crate) fn release_worker_binary() -> anyhow::Result<std::path::PathBuf> {
    let root = hexaspin_tests::spin_up::workspace_root();
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "-p",
            "hexaspin-runtime-worker",
            "--bin",
            "runtime-worker",
        ])
        .current_dir(&root)
        .status()?;
    anyhow::ensure!(status.success(), "building the worker failed");
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), |d| root.join(d));
    Ok(target.join("release/runtime-worker"))
}

fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        None | Some("quota") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(quota()),
        Some("worker") => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(worker_bench::run()),
        Some("spin-http") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(spin_http::run()),
        Some("soak") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(soak::run()),
        Some("scale-out") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(scale_out::run()),
        Some("list-stall") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
            .block_on(list_stall::run()),
        Some("users") => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(users_bench::run()),
        Some(other) => {
            anyhow::bail!(
                "unknown benchmark {other:?}: use quota, worker, spin-http, soak, scale-out, list-stall or users"
            )
        }
    }
}

async fn quota() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let url = std::env::var("HEXASPIN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let redis = NativeRedis::connect(&url)
        .await
        .with_context(|| format!("Redis at {url}"))?;
    let mut suffix = [0u8; 4];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let prefix = format!("hx_bench_{:08x}:", u32::from_be_bytes(suffix));
    let jobs = RedisJobs::new(redis.clone(), prefix.clone());
    println!(
        "hexaspin bench: n = {n} per measurement, Redis {url}, {CONCURRENCY} in flight for the concurrent column\n"
    );

    let set = measure("Redis SET (baseline)", n, |i| {
        let redis = redis.clone();
        let key = format!("{prefix}set:{}", i % 1000);
        async move {
            redis
                .command(&["SET", &key, "1"])
                .await
                .map(drop)
                .map_err(Into::into)
        }
    })
    .await?;
    let rule = RateRule::new(1_000_000, 1_000_000)?;
    let gcra = measure("quota check+charge (GCRA, 1 EVALSHA)", n, |i| {
        let jobs = &jobs;
        async move {
            let bucket = [RateBucket {
                name: format!("bench:{}", i % 1000),
                rule,
            }];
            let decision = jobs.take(&bucket, now()).await?;
            anyhow::ensure!(decision.rejected.is_none(), "the generous rule refused");
            Ok(())
        }
    })
    .await?;
    let redis_dispatch = measure("dispatch: quota + enqueue on Redis", n, |i| dispatch(&jobs, i)).await?;
    // What /metrics costs on the request path: one more script call after the answer.
    let counts = [
        (Series::http_requests("jobs", 202), 1),
        (Series::quota_rejection("rate_limited"), 1),
    ];
    let counts = &counts;
    let jobs = &jobs;
    let redis_count = measure("request counts (2 series, 1 EVALSHA)", n, |_| async move {
        jobs.add_counts(counts).await.map_err(Into::into)
    })
    .await?;
    let redis_counted = measure("dispatch + request count (2 round trips)", n, |i| async move {
        dispatch(jobs, i).await?;
        jobs.add_counts(&counts[..1]).await.map_err(Into::into)
    })
    .await?;

    let dir = tempfile::tempdir()?;
    let sqlite = SqliteExecutor::open(&dir.path().join("bench.db"))?;
    hexaspin_store_sql::migrate::up(&sqlite, now()).await?;
    let sqlite_jobs = SqliteJobs::new(sqlite);
    let sqlite_n = (n / 4).max(100);
    let sqlite_dispatch = measure("dispatch: quota + enqueue on SQLite (fsync)", sqlite_n, |i| {
        dispatch(&sqlite_jobs, i)
    })
    .await?;

    let sqlite_counts = &sqlite_jobs;
    let sqlite_count = measure(
        "request counts on SQLite (1 tx, fsync)",
        sqlite_n,
        |_| async move { sqlite_counts.add_counts(counts).await.map_err(Into::into) },
    )
    .await?;

    let rows = [
        set,
        gcra,
        redis_dispatch,
        redis_count,
        redis_counted,
        sqlite_dispatch,
        sqlite_count,
    ];
    print(&rows, rows.first());
    println!("\n(SQLite rows: n = {sqlite_n}; the SET row is the baseline of the ratio column)");
    redis.delete_prefix(&prefix).await?;
    Ok(())
}
