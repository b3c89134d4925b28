//! `hexaspin-bench scale-out`: does the drain rate grow with more `runtime-worker` processes on
//! one Redis, and where does it stop? For each count in `SCALE_WORKERS` (default `1,2,4`) it
//! enqueues `BENCH_JOBS` (default 50 000) no-op `echo` jobs under a fresh key prefix, starts that
//! many release-built worker processes (32 in flight each, their own admin ports) and times the
//! drain from the first success to the last, so the processes' start-up (component compilation)
//! is not counted. Prints jobs/s per count and the ratio to one process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use hexaspin_native::{NativeJobs, NativeRedis};
use hexaspin_redis::RedisJobs;

use crate::worker_bench::{done, enqueue, env_number, wasm_dir};

pub async fn run() -> anyhow::Result<()> {
    let n = env_number("BENCH_JOBS", 50_000);
    let counts: Vec<usize> = std::env::var("SCALE_WORKERS")
        .unwrap_or_else(|_| "1,2,4".into())
        .split(',')
        .map(|c| {
            c.trim()
                .parse()
                .context("SCALE_WORKERS: comma-separated process counts")
        })
        .collect::<anyhow::Result<_>>()?;
    let url = std::env::var("HEXASPIN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let redis = NativeRedis::connect(&url)
        .await
        .with_context(|| format!("Redis at {url}"))?;
    let binary = crate::release_worker_binary()?;
    let dir = tempfile::tempdir()?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("scale-out: {n} no-op jobs per run, Redis {url}, {cores} cores on this machine\n");

    let mut rates = Vec::new();
    for &count in &counts {
        let prefix = format!("hx_bench_scale_{}_{count}:", std::process::id());
        let jobs = NativeJobs::Redis(RedisJobs::new(redis.clone(), prefix.clone()));
        enqueue(&jobs, 0..n).await?;
        let mut workers = Vec::new();
        for i in 0..count {
            let config = dir.path().join(format!("worker-{count}-{i}.toml"));
            std::fs::write(
                &config,
                format!(
                    "[worker]\nid = \"scale-{i}\"\nconcurrency = 32\nadmin_listen = \"127.0.0.1:{}\"\n\n\
                     [kinds.echo]\ncomponent = {:?}\n",
                    19_190 + i,
                    wasm_dir().join("hexaspin_echo.wasm")
                ),
            )?;
            workers.push(spawn_worker(&binary, &config, &url, &prefix)?);
        }
        let rate = time_drain(&jobs, n as u64).await;
        for mut worker in workers {
            let _ = worker.kill();
            let _ = worker.wait();
        }
        redis.delete_prefix(&prefix).await?;
        rates.push((count, rate?));
    }

    println!("{:<12} {:>14} {:>10}", "processes", "drain jobs/s", "× one");
    let one = rates.first().map_or(1.0, |(_, r)| *r);
    for (count, rate) in rates {
        println!("{count:<12} {rate:>14.0} {:>10.2}", rate / one);
    }
    Ok(())
}

fn spawn_worker(
    binary: &std::path::Path,
    config: &std::path::Path,
    url: &str,
    prefix: &str,
) -> anyhow::Result<Child> {
    Command::new(binary)
        .args(["run", "--config"])
        .arg(config)
        .env("QUEUE", "redis")
        .env("REDIS_URL", url)
        .env("REDIS_PREFIX", prefix)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

/// Jobs per second from the first succeeded job to the last (fails after 10 minutes).
async fn time_drain(jobs: &NativeJobs, n: u64) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let (started, first) = loop {
        let succeeded = done(jobs).await?;
        if succeeded > 0 {
            break (Instant::now(), succeeded);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no job succeeded: are the workers running?"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    while done(jobs).await? < n {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the drain did not finish in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((n - first) as f64 / started.elapsed().as_secs_f64())
}
