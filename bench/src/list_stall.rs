//! `hexaspin-bench list-stall`: does listing a key's jobs by state hold Redis up for everyone?
//!
//! One key gets `BENCH_HISTORY` (default 100 000) jobs, the oldest of them scheduled. A lister
//! lists that key's `scheduled` jobs in a loop (the whole history must be looked through to find
//! the one), on its own connection, while a client dispatches jobs of another key one at a time,
//! `BENCH_N` (default 2 000) of them: dispatch p50 / p99 / max with no lister, with the lister as
//! shipped (bounded script steps, `LIST_SCAN_BUDGET` entries each), and with one unbounded script
//! per listing (how listing worked before). Redis at `HEXASPIN_TEST_REDIS_URL`; keys under a random
//! prefix, deleted afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use hexaspin_core::job::JobState;
use hexaspin_core::ports::{JobFilter, JobStore};
use hexaspin_native::NativeRedis;
use hexaspin_redis::RedisJobs;
use hexaspin_redis::jobs::LIST_SCAN_BUDGET;

use crate::spin_http::env_number;
use crate::{dispatch, job, now, percentile};

#[derive(Clone, Copy)]
enum Lister {
    None,
    Bounded,
    Unbounded,
}

pub async fn run() -> anyhow::Result<()> {
    let history = env_number("BENCH_HISTORY", 100_000) as usize;
    let n = env_number("BENCH_N", 2_000) as usize;
    let url = std::env::var("HEXASPIN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let mut suffix = [0u8; 4];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let prefix = format!("hx_bench_{:08x}:", u32::from_be_bytes(suffix));
    let connect = || async {
        NativeRedis::connect(&url)
            .await
            .with_context(|| format!("Redis at {url}"))
    };
    let dispatcher = RedisJobs::new(connect().await?, prefix.clone());
    let lister = Arc::new(RedisJobs::new(connect().await?, prefix.clone()));

    // The history: one scheduled job first (the oldest), then `history` queued ones, one key.
    let mut first = job(0);
    first.run_at = Some(now().plus_seconds(3600));
    let key = first.key_id.clone();
    let request = |job| hexaspin_core::ports::DispatchRequest {
        caps: Default::default(),
        job,
        rules: hexaspin_core::quota::QuotaRules::default(),
        idempotency_key: None,
        idempotency_ttl_ms: 86_400_000,
    };
    dispatcher.dispatch(&request(first), now()).await?;
    let started = Instant::now();
    for chunk in (1..=history).collect::<Vec<_>>().chunks(64) {
        let batch = chunk.iter().map(|&i| {
            let mut j = job(i * 64); // i*64 % 64 == 0: the same key as the first job
            j.key_id = key.clone();
            let dispatcher = &dispatcher;
            async move { dispatcher.dispatch(&request(j), now()).await }
        });
        for result in futures::future::join_all(batch).await {
            result?;
        }
    }
    println!(
        "hexaspin list-stall bench: one key with {history} jobs (made in {:.1} s), {n} dispatches of another key per row, Redis {url}, budget {LIST_SCAN_BUDGET} entries per step\n",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<46} {:>9} {:>9} {:>9} {:>14}",
        "while another client lists `scheduled`", "p50 µs", "p99 µs", "max µs", "listings/s"
    );
    let filter = JobFilter {
        key_id: Some(key),
        state: Some(JobState::Scheduled),
        before_seq: None,
        limit: 21,
    };
    for (name, mode) in [
        ("nobody lists (baseline)", Lister::None),
        ("bounded steps (as shipped)", Lister::Bounded),
        ("one unbounded script per listing (before)", Lister::Unbounded),
    ] {
        let stop = Arc::new(AtomicBool::new(false));
        let listings = Arc::new(AtomicU64::new(0));
        let task = {
            let (stop, listings, lister, filter) =
                (stop.clone(), listings.clone(), lister.clone(), filter.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let found = match mode {
                        Lister::None => return Ok::<_, anyhow::Error>(()),
                        Lister::Bounded => lister.list_jobs(&filter).await?,
                        Lister::Unbounded => lister.list_jobs_step(&filter, u32::MAX).await?.0,
                    };
                    anyhow::ensure!(found.len() == 1, "the scheduled job was not found");
                    listings.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await; // the lister is under way
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            dispatch(&dispatcher, 1_000_000 + i * 64 + 1).await?;
            latencies.push(t.elapsed());
        }
        let seconds = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        task.await??;
        latencies.sort();
        println!(
            "{:<46} {:>9.0} {:>9.0} {:>9.0} {:>14.1}",
            name,
            percentile(&latencies, 0.5).as_secs_f64() * 1e6,
            percentile(&latencies, 0.99).as_secs_f64() * 1e6,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e6,
            listings.load(Ordering::Relaxed) as f64 / seconds,
        );
    }
    connect().await?.delete_prefix(&prefix).await?;
    Ok(())
}
