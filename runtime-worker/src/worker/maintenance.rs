//! The promoter, the rescuer, the cleaner and the heartbeat: small periodic services over the job
//! queue.

use std::sync::Arc;
use std::time::Duration;

use hexaspin_config::os::system_now;
use hexaspin_core::job::JobState;
use hexaspin_core::ports::{JobQueue, JobStore, MetricsStore, StoreError};
use tokio::sync::watch;

use super::{Worker, stopped};
use crate::telemetry;

/// Expired leases one rescue call takes back at most: a crash of a worker holding thousands of
/// jobs is cleared in several short store calls, not one that blocks Redis.
pub const RESCUE_BATCH: u32 = 500;

/// Jobs promoted per call at most; the next tick takes the rest.
const PROMOTE_BATCH: u32 = 1000;
/// Workers silent this long are forgotten by the cleaner (scaled away or renamed): their last
/// heartbeat stops being shown.
const FORGET_SILENT_WORKERS_AFTER_SECONDS: i64 = 24 * 3600;

impl Worker {
    /// Moves due scheduled/retrying jobs to the queue and samples the queue depths, after
    /// making them agree with the jobs again should they have drifted (a cheap check each tick),
    /// so a drift lasts one tick at most.
    pub async fn promote_once(&self) -> Result<u64, StoreError> {
        let promoted = self.jobs.promote_due(system_now(), PROMOTE_BATCH).await?;
        let recounted = self.jobs.reconcile_depths().await?;
        if recounted > 0 {
            metrics::counter!(telemetry::DEPTH_RECOUNTS).increment(recounted);
            tracing::warn!(
                states = recounted,
                "queue depth counts had drifted from the jobs: recounted"
            );
        }
        let depths = self.jobs.queue_depths().await?;
        for state in JobState::ALL {
            let count: u64 = depths.iter().filter(|d| d.state == state).map(|d| d.count).sum();
            metrics::gauge!(telemetry::QUEUE_DEPTH, "state" => state.as_str()).set(count as f64);
        }
        Ok(promoted)
    }

    /// Takes back jobs whose lease expired, in batches of [`RESCUE_BATCH`] (each one store call),
    /// until none is left.
    pub async fn rescue_once(&self) -> Result<u64, StoreError> {
        let mut rescued = 0;
        loop {
            let batch = self.jobs.rescue_expired(system_now(), RESCUE_BATCH).await?;
            rescued += batch;
            if batch < u64::from(RESCUE_BATCH) {
                break;
            }
        }
        if rescued > 0 {
            metrics::counter!(telemetry::RESCUED).increment(rescued);
            tracing::warn!(rescued, "took back jobs whose worker stopped responding");
        }
        Ok(rescued)
    }

    /// Deletes finished jobs older than the retention.
    pub async fn clean_once(&self) -> Result<u64, StoreError> {
        let retention = i64::try_from(self.config.job_retention.as_secs()).unwrap_or(i64::MAX);
        let before = system_now().plus_seconds(-retention);
        let removed = self.jobs.clean_finished(before).await?;
        metrics::counter!(telemetry::CLEANED).increment(removed);
        self.jobs
            .forget_workers(system_now().plus_seconds(-FORGET_SILENT_WORKERS_AFTER_SECONDS))
            .await?;
        Ok(removed)
    }

    /// Records in the store that this worker is alive (the `metrics` component shows it).
    pub async fn heartbeat_once(&self) -> Result<u64, StoreError> {
        self.jobs.heartbeat(&self.config.id, system_now()).await?;
        Ok(1)
    }
}

async fn every<F, Fut>(
    worker: &Worker,
    period: Duration,
    name: &'static str,
    mut shutdown: watch::Receiver<bool>,
    once: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<u64, StoreError>>,
{
    loop {
        if let Err(error) = once().await {
            metrics::counter!(telemetry::STORE_ERRORS, "operation" => name).increment(1);
            tracing::error!(service = name, %error, "store call failed");
            worker.set_ready(false);
        }
        tokio::select! {
            () = stopped(&mut shutdown) => return,
            () = tokio::time::sleep(period) => {}
        }
    }
}

/// The promoter's loop.
pub async fn promoter(worker: Arc<Worker>, shutdown: watch::Receiver<bool>) {
    every(
        &worker,
        worker.config.promote_interval,
        "promote",
        shutdown,
        || worker.promote_once(),
    )
    .await;
}

/// The rescuer's loop.
pub async fn rescuer(worker: Arc<Worker>, shutdown: watch::Receiver<bool>) {
    every(&worker, worker.config.rescue_interval, "rescue", shutdown, || {
        worker.rescue_once()
    })
    .await;
}

/// The cleaner's loop.
pub async fn cleaner(worker: Arc<Worker>, shutdown: watch::Receiver<bool>) {
    every(&worker, worker.config.clean_interval, "clean", shutdown, || {
        worker.clean_once()
    })
    .await;
}

/// The heartbeat's loop.
pub async fn heartbeat(worker: Arc<Worker>, shutdown: watch::Receiver<bool>) {
    every(
        &worker,
        worker.config.heartbeat_interval,
        "heartbeat",
        shutdown,
        || worker.heartbeat_once(),
    )
    .await;
}
