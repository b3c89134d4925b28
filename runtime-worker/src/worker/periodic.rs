//! Periodic jobs from the configuration's cron schedules.
//!
//! Every worker runs this service; each tick is enqueued once in total because the dispatch uses
//! the idempotency key `periodic:<name>:<tick instant>`, which the store checks atomically.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hexaspin_config::os::system_now;
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::job::{IdempotencyKey, JobId, JobTimeout, MaxAttempts, NewJob};
use hexaspin_core::ports::{DispatchOutcome, DispatchRequest, EntropyUnavailable, JobStore, StoreError};
use hexaspin_core::quota::QuotaRules;
use tokio::sync::watch;

use super::{Worker, stopped};
use crate::config::Periodic;
use crate::telemetry;

/// The key id periodic jobs belong to: no API key has it (ids are random), so no client sees them.
pub const SYSTEM_KEY_ID: [u8; 8] = [0; 8];
/// How far back a tick still counts after a worker was down (later ones are skipped).
const CATCH_UP: Duration = Duration::from_secs(60);

/// Why a pass of the enqueuer stopped.
#[derive(Debug, thiserror::Error)]
pub enum PeriodicError {
    /// The queue store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random id for the tick's job: the host's CSPRNG failed (no job is made).
    #[error("periodic job id: {0}")]
    Entropy(#[from] EntropyUnavailable),
}

impl Worker {
    /// Enqueues every tick in `(since, now]`; returns how many jobs this call created (ticks
    /// another worker already enqueued count as duplicates, not here).
    pub async fn periodic_once(&self, since: Timestamp, now: Timestamp) -> Result<u64, PeriodicError> {
        let mut created = 0;
        for periodic in &self.config.periodic {
            for tick in ticks(periodic, since, now) {
                if self.enqueue_tick(periodic, tick, now).await? {
                    created += 1;
                }
            }
        }
        Ok(created)
    }

    async fn enqueue_tick(
        &self,
        periodic: &Periodic,
        tick: Timestamp,
        now: Timestamp,
    ) -> Result<bool, PeriodicError> {
        // A failed CSPRNG is a host fault: no job is made (an all-zero id would collide with the
        // next one), the enqueuer logs it and tries again on its next tick.
        let mut id = [0u8; 16];
        self.entropy.fill(&mut id)?;
        let key = IdempotencyKey::parse(&format!("periodic:{}:{}", periodic.name, tick.as_millis()))
            .map_err(|e| StoreError::Failed(e.to_string()))?;
        let request = DispatchRequest {
            caps: Default::default(),
            job: NewJob {
                id: JobId::from_random(id),
                key_id: ApiKeyId::from_random(SYSTEM_KEY_ID),
                kind: periodic.kind.clone(),
                payload: periodic.payload.clone(),
                priority: periodic.priority,
                run_at: None,
                max_attempts: MaxAttempts::default(),
                timeout: JobTimeout::default(),
                concurrency_limit: None,
            },
            rules: QuotaRules::default(),
            idempotency_key: Some(key),
            // Long enough that no worker still inside the catch-up window can enqueue it again.
            idempotency_ttl_ms: 24 * 3_600_000,
        };
        match self.jobs.dispatch(&request, now).await? {
            DispatchOutcome::Accepted { job, .. } => {
                metrics::counter!(telemetry::PERIODIC).increment(1);
                tracing::info!(periodic = periodic.name, job_id = %job.spec.id, tick = tick.to_rfc3339(), "enqueued periodic job");
                Ok(true)
            }
            DispatchOutcome::Duplicate { .. } | DispatchOutcome::Rejected { .. } => Ok(false),
        }
    }
}

/// The schedule's ticks in `(since, until]`.
fn ticks(periodic: &Periodic, since: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    let Some(start) = DateTime::<Utc>::from_timestamp_millis(since.as_millis()) else {
        return Vec::new();
    };
    periodic
        .schedule
        .after(&start)
        .map(|at| Timestamp::from_millis(at.timestamp_millis()))
        .take_while(|at| *at <= until)
        .take(1000)
        .collect()
}

/// The enqueuer's loop: once a second, the ticks since the last pass.
pub async fn enqueuer(worker: Arc<Worker>, mut shutdown: watch::Receiver<bool>) {
    if worker.config.periodic.is_empty() {
        return;
    }
    let mut since = system_now().plus_seconds(-(CATCH_UP.as_secs() as i64));
    loop {
        let now = system_now();
        match worker.periodic_once(since, now).await {
            Ok(_) => since = now,
            Err(error) => {
                if let PeriodicError::Store(_) = error {
                    metrics::counter!(telemetry::STORE_ERRORS, "operation" => "periodic").increment(1);
                }
                tracing::error!(%error, "could not enqueue periodic jobs; will try again");
            }
        }
        tokio::select! {
            () = stopped(&mut shutdown) => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
