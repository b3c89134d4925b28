//! The executor: claims jobs into free slots and runs each attempt in the sandbox, then records
//! the outcome: ack, retry with backoff, dead, failed, or cancelled.

use std::sync::Arc;
use std::time::Duration;

use hexaspin_config::os::system_now;
use hexaspin_core::job::{Job, JobKind};
use hexaspin_core::ports::{ClaimBudget, FailOutcome, JobQueue, JobStore};
use hexaspin_job_host::{Attempt, AttemptReport, FailureCause};
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::task::JoinSet;

use super::{Worker, stopped};
use crate::connect::random;
use crate::telemetry;

/// Runs until shutdown: claim into free slots, run, repeat; then drain within the grace period.
pub async fn run(worker: Arc<Worker>, mut shutdown: watch::Receiver<bool>) {
    let mut running = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let claimed = worker.claim_into_free_slots().await;
        let idle = claimed.is_empty();
        for (job, slots) in claimed {
            let worker = worker.clone();
            running.spawn(async move { worker.execute(job, slots).await });
        }
        while running.try_join_next().is_some() {}
        if idle {
            tokio::select! {
                () = stopped(&mut shutdown) => break,
                () = tokio::time::sleep(worker.config.poll_interval) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
    }
    drain(&worker, running).await;
}

/// Lets running attempts finish within the grace period, then gives the rest back to the queue.
async fn drain(worker: &Worker, mut running: JoinSet<()>) {
    let grace = worker.config.shutdown_grace;
    tracing::info!(
        running = running.len(),
        grace_ms = grace.as_millis() as u64,
        "shutting down: no more claims"
    );
    let finished = tokio::time::timeout(grace, async { while running.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        running.abort_all();
        while running.join_next().await.is_some() {}
        let held: Vec<_> = worker
            .held
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        for id in held {
            match worker.jobs.release(&id, &worker.config.id, system_now()).await {
                Ok(true) => tracing::info!(job_id = %id, "released back to the queue"),
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(job_id = %id, %error, "could not release; the rescuer will take it back")
                }
            }
        }
    }
}

/// The two slots a claimed job runs in: one of the worker's and one of its kind's. Both are
/// taken before the claim, so no lease ticks while a job waits for a slot.
pub(super) struct Slots {
    _worker: OwnedSemaphorePermit,
    _kind: OwnedSemaphorePermit,
}

impl Worker {
    /// Claims within `budget` and remembers the claimed jobs as held.
    async fn claim(&self, budget: &ClaimBudget) -> Vec<Job> {
        let grace = self.config.lease_grace.as_millis() as i64;
        match self
            .jobs
            .claim(&self.config.id, budget, grace, system_now())
            .await
        {
            Ok(jobs) => {
                self.set_ready(true);
                if let Ok(mut held) = self.held.lock() {
                    held.extend(jobs.iter().map(|j| j.spec.id.clone()));
                }
                jobs
            }
            Err(error) => {
                metrics::counter!(telemetry::STORE_ERRORS, "operation" => "claim").increment(1);
                tracing::error!(%error, "claim failed");
                self.set_ready(false);
                Vec::new()
            }
        }
    }

    /// Takes every free worker slot and, for each loaded kind, as many of its free slots (up to
    /// that many), then claims at most that many jobs of those kinds: a job is claimed (and its
    /// lease starts) only when both slots it runs in are held. Unused slots are given back.
    async fn claim_into_free_slots(&self) -> Vec<(Job, Slots)> {
        let mut worker_slots = Vec::new();
        while let Ok(slot) = self.slots.clone().try_acquire_owned() {
            worker_slots.push(slot);
        }
        if worker_slots.is_empty() {
            return Vec::new();
        }
        let total = worker_slots.len();
        let mut kind_slots: Vec<(&JobKind, Vec<OwnedSemaphorePermit>)> = self
            .kind_slots
            .iter()
            .map(|(kind, semaphore)| {
                let free = std::iter::from_fn(|| semaphore.clone().try_acquire_owned().ok())
                    .take(total)
                    .collect();
                (kind, free)
            })
            .collect();
        let budget = ClaimBudget::new(
            total as u32,
            kind_slots
                .iter()
                .map(|(kind, free)| ((*kind).clone(), free.len() as u32)),
        );
        if budget.is_empty() {
            return Vec::new();
        }
        let mut runnable = Vec::new();
        for job in self.claim(&budget).await {
            let kind_slot = kind_slots
                .iter_mut()
                .find(|(kind, _)| **kind == job.spec.kind)
                .and_then(|(_, free)| free.pop());
            match (kind_slot, worker_slots.pop()) {
                (Some(kind), Some(worker)) => runnable.push((
                    job,
                    Slots {
                        _worker: worker,
                        _kind: kind,
                    },
                )),
                // The store broke the budget: hand the job back rather than overrun a limit.
                _ => self.give_back(&job).await,
            }
        }
        runnable
    }

    /// Releases a claimed job this worker will not run.
    async fn give_back(&self, job: &Job) {
        tracing::error!(job_id = %job.spec.id, kind = job.spec.kind.as_str(), "claimed beyond the budget asked for: giving it back");
        let released = self
            .jobs
            .release(&job.spec.id, &self.config.id, system_now())
            .await;
        self.check("release", released);
        if let Ok(mut held) = self.held.lock() {
            held.remove(&job.spec.id);
        }
    }

    /// Claims and runs one batch to completion: what tests use instead of the loop.
    pub async fn run_once(self: &Arc<Self>) -> usize {
        let claimed = self.claim_into_free_slots().await;
        let count = claimed.len();
        let runs = claimed.into_iter().map(|(job, slots)| {
            let worker = self.clone();
            async move { worker.execute(job, slots).await }
        });
        futures::future::join_all(runs).await;
        count
    }

    /// Runs one claimed job's attempt in its slots and records the outcome.
    async fn execute(self: Arc<Self>, job: Job, _slots: Slots) {
        let kind = job.spec.kind.as_str().to_owned();
        metrics::counter!(telemetry::CLAIMED, "kind" => kind.clone()).increment(1);
        metrics::gauge!(telemetry::RUNNING).increment(1.0);
        let attempt = Attempt {
            job_id: job.spec.id.to_string(),
            kind: kind.clone(),
            payload: job.spec.payload.clone(),
            attempt: job.attempts,
            timeout: Duration::from_millis(u64::from(job.spec.timeout.as_millis())),
        };
        let outcome = tokio::select! {
            report = self.sandbox.run(&attempt) => Some(report),
            () = self.cancellation(&job) => None,
        };
        match outcome {
            Some(report) => self.record(&job, &kind, report).await,
            None => {
                metrics::counter!(telemetry::CANCELLED, "kind" => kind.clone()).increment(1);
                let done = self
                    .jobs
                    .cancelled(&job.spec.id, &self.config.id, system_now())
                    .await;
                self.check("cancelled", done);
                tracing::info!(job_id = %job.spec.id, kind, "stopped: cancellation was asked");
            }
        }
        if let Ok(mut held) = self.held.lock() {
            held.remove(&job.spec.id);
        }
        metrics::gauge!(telemetry::RUNNING).decrement(1.0);
    }

    /// Resolves when the job's cancellation is asked (read every `cancel_check`).
    async fn cancellation(&self, job: &Job) {
        if job.cancel_requested {
            return;
        }
        loop {
            tokio::time::sleep(self.config.cancel_check).await;
            if let Ok(Some(current)) = self.jobs.find_job(&job.spec.id).await
                && current.cancel_requested
            {
                return;
            }
        }
    }

    async fn record(&self, job: &Job, kind: &str, report: AttemptReport) {
        let now = system_now();
        let id = &job.spec.id;
        metrics::histogram!(telemetry::INSTANTIATE, "kind" => kind.to_owned())
            .record(report.instantiate.as_secs_f64());
        metrics::histogram!(telemetry::DURATION, "kind" => kind.to_owned()).record(report.call.as_secs_f64());
        match report.outcome {
            Ok(output) => {
                metrics::counter!(telemetry::SUCCEEDED, "kind" => kind.to_owned()).increment(1);
                let done = self.acks.ack(&self.jobs, &self.config.id, id, &output).await;
                self.check("ack", done);
            }
            Err(failure) => {
                let cause = cause_label(&failure.cause);
                metrics::counter!(telemetry::FAILED, "kind" => kind.to_owned(), "cause" => cause)
                    .increment(1);
                let kind_cap = self.config.kinds.get(kind).and_then(|k| k.max_attempts);
                let capped = kind_cap.is_some_and(|cap| job.attempts >= cap);
                let last = capped || job.attempts >= job.spec.max_attempts.get();
                let outcome = match (failure.retryable, last) {
                    (false, _) => FailOutcome::Fail,
                    (true, true) => {
                        metrics::counter!(telemetry::DEAD, "kind" => kind.to_owned()).increment(1);
                        // The store turns a retry of a job without attempts left into `dead` by
                        // itself; the kind's cap needs saying.
                        if capped {
                            FailOutcome::GiveUp
                        } else {
                            FailOutcome::RetryAt(now)
                        }
                    }
                    (true, false) => {
                        metrics::counter!(telemetry::RETRIED, "kind" => kind.to_owned()).increment(1);
                        FailOutcome::RetryAt(self.config.backoff.next_attempt_at(now, job.attempts, random()))
                    }
                };
                tracing::warn!(job_id = %id, kind, attempt = job.attempts, cause, error = %failure.message, "attempt failed");
                let done = self
                    .jobs
                    .fail(id, &self.config.id, &failure.message, &outcome, now)
                    .await;
                self.check("fail", done);
            }
        }
    }

    /// Logs store failures and lost leases after an attempt; the rescuer covers both.
    fn check(&self, operation: &'static str, result: Result<bool, hexaspin_core::ports::StoreError>) {
        match result {
            Ok(true) => {}
            Ok(false) => tracing::warn!(operation, "the lease was lost before the outcome was recorded"),
            Err(error) => {
                metrics::counter!(telemetry::STORE_ERRORS, "operation" => operation).increment(1);
                tracing::error!(operation, %error, "could not record the outcome; the rescuer will retry the job");
            }
        }
    }
}

fn cause_label(cause: &FailureCause) -> &'static str {
    match cause {
        FailureCause::HandlerRetry => "handler_retry",
        FailureCause::HandlerFail => "handler_fail",
        FailureCause::Timeout => "timeout",
        FailureCause::MemoryLimit => "memory_limit",
        FailureCause::Trap => "trap",
        FailureCause::ForbiddenHost(_) => "forbidden_host",
        FailureCause::UnknownKind => "unknown_kind",
        FailureCause::Instantiation => "instantiation",
        FailureCause::OutputTooLarge => "output_too_large",
        FailureCause::HostResourceLimit => "host_resource_limit",
    }
}
