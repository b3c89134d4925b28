//! The worker and its services (River's split: each service a small module with a `run_once()`
//! that tests call directly, and a loop that stops when shutdown is signalled).
//!
//! | service      | period                 | does                                                  |
//! |--------------|------------------------|-------------------------------------------------------|
//! | executor     | continuous             | claims jobs into free slots, runs each attempt        |
//! | promoter     | `promote_interval`     | due scheduled/retrying jobs → queued; samples depths |
//! | rescuer      | `rescue_interval`      | expired leases (dead workers) → queued or dead        |
//! | cleaner      | `clean_interval`       | finished jobs past their retention → deleted          |
//! | heartbeat    | `heartbeat_interval`   | records this worker alive in the store (`/metrics`)   |
//! | periodic     | every second           | cron ticks → one job each, across all workers         |
//! | admin        | —                      | `/healthz`, `/readyz`, `/metrics`                     |

mod acks;
mod admin;
mod executor;
mod maintenance;
mod periodic;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use hexaspin_config::os::OsEntropy;
use hexaspin_core::job::{JobId, JobKind};
use hexaspin_core::ports::{Entropy, MetricsStore};
use hexaspin_job_host::Sandbox;
use hexaspin_native::NativeJobs;
use tokio::sync::{Semaphore, watch};

use crate::config::WorkerConfig;

pub use admin::serve_admin;
pub use periodic::PeriodicError;

/// A running worker's shared state.
pub struct Worker {
    pub config: WorkerConfig,
    pub jobs: NativeJobs,
    /// The wasm sandbox with every kind loaded.
    pub sandbox: Sandbox,
    slots: Arc<Semaphore>,
    /// Each loaded kind's own slots: the only kinds this worker claims.
    kind_slots: Vec<(JobKind, Arc<Semaphore>)>,
    held: std::sync::Mutex<HashSet<JobId>>,
    /// Finished attempts' acks, written together (group commit).
    acks: acks::AckQueue,
    ready: AtomicBool,
    /// What makes the store unsafe for a queue (crate::durability), shown on `/readyz`.
    store_risks: std::sync::OnceLock<Vec<String>>,
    /// Randomness for the ids of periodic jobs (the OS CSPRNG; a test gives a failing one).
    entropy: Box<dyn Entropy + Send + Sync>,
}

impl Worker {
    /// Loads every kind's component and prepares the services.
    pub fn new(config: WorkerConfig, jobs: NativeJobs) -> anyhow::Result<Arc<Self>> {
        Self::with_entropy(config, jobs, Box::new(OsEntropy))
    }

    /// [`new`](Self::new) with another source of randomness for job ids.
    pub fn with_entropy(
        config: WorkerConfig,
        jobs: NativeJobs,
        entropy: Box<dyn Entropy + Send + Sync>,
    ) -> anyhow::Result<Arc<Self>> {
        let kinds: Vec<_> = config.kinds.values().map(|k| k.sandbox.clone()).collect();
        let sandbox = Sandbox::new(&config.sandbox_config(), &kinds)?;
        let kind_slots = config
            .kinds
            .iter()
            .map(|(name, kind)| {
                let kind_name = JobKind::parse(name).with_context(|| format!("job kind {name:?}"))?;
                Ok((kind_name, Arc::new(Semaphore::new(kind.concurrency as usize))))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Arc::new(Self {
            slots: Arc::new(Semaphore::new(config.concurrency as usize)),
            kind_slots,
            held: std::sync::Mutex::new(HashSet::new()),
            acks: acks::AckQueue::default(),
            ready: AtomicBool::new(true),
            store_risks: std::sync::OnceLock::new(),
            config,
            jobs,
            sandbox,
            entropy,
        }))
    }

    /// Whether `/readyz` may say yes (components loaded, store reachable at the last check).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Keeps the warnings about the store that `/readyz` repeats (set once, at start-up).
    pub fn report_store_risks(&self, warnings: Vec<String>) {
        let _ = self.store_risks.set(warnings);
    }

    /// The warnings about the store, if any.
    pub fn store_risks(&self) -> &[String] {
        self.store_risks.get().map_or(&[], Vec::as_slice)
    }

    fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Runs every service until `shutdown` turns true; then stops claiming, lets running attempts
    /// finish within the grace period and releases the rest to the queue.
    pub async fn run(self: &Arc<Self>, shutdown: watch::Receiver<bool>) {
        let services = [
            tokio::spawn(maintenance::promoter(self.clone(), shutdown.clone())),
            tokio::spawn(maintenance::rescuer(self.clone(), shutdown.clone())),
            tokio::spawn(maintenance::cleaner(self.clone(), shutdown.clone())),
            tokio::spawn(maintenance::heartbeat(self.clone(), shutdown.clone())),
            tokio::spawn(periodic::enqueuer(self.clone(), shutdown.clone())),
        ];
        executor::run(self.clone(), shutdown).await;
        for service in services {
            let _ = service.await;
        }
        // A clean exit is not a dead worker: stop showing its heartbeat (a crashed one keeps its
        // last heartbeat, so it shows as silent until the cleaner forgets it a day later).
        if let Err(error) = self.jobs.forget_worker(&self.config.id).await {
            tracing::warn!(%error, "could not remove this worker's heartbeat");
        }
    }
}

/// Waits until the watch turns true.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
