//! Ports for jobs: [`JobStore`] for the HTTP side (dispatch, read, cancel, admin) and
//! [`JobQueue`] for the worker (claim with a lease, ack, fail, rescue). Adapters: Redis in
//! production, SQLite for the embedded default; one contract suite for both.

use super::StoreError;
use crate::Timestamp;
use crate::api_key::ApiKeyId;
use crate::job::{IdempotencyKey, Job, JobId, JobKind, JobState, NewJob, Priority};
use crate::quota::{Decision, QuotaRules, StorageCaps};

/// Everything dispatch asks the store to do in ONE atomic step: honour the idempotency key, check
/// the key's storage caps ([`crate::quota::check_storage`]), check and charge the quota, store and
/// queue the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchRequest {
    /// The job to store.
    pub job: NewJob,
    /// The key's quota rules.
    pub rules: QuotaRules,
    /// What the key may keep stored.
    pub caps: StorageCaps,
    /// The client's `Idempotency-Key`, if any.
    pub idempotency_key: Option<IdempotencyKey>,
    /// How long an idempotency key is remembered, in milliseconds.
    pub idempotency_ttl_ms: i64,
}

/// What dispatch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchOutcome {
    /// Stored and queued (or scheduled); quota charged.
    Accepted {
        /// The stored job.
        job: Job,
        /// The quota after the charge.
        decision: Decision,
    },
    /// The idempotency key was seen before: this is the original job; nothing was charged.
    Duplicate {
        /// The original job.
        job: Job,
    },
    /// Refused by the quota or a storage cap; nothing was stored.
    Rejected {
        /// Why, and when to retry.
        decision: Decision,
    },
}

/// Which jobs to list: newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this key's jobs.
    pub key_id: Option<ApiKeyId>,
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs dispatched before this sequence number (the cursor).
    pub before_seq: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

impl JobFilter {
    /// Every key's jobs in every state, newest first, at most `limit`.
    pub fn all(limit: u32) -> Self {
        Self {
            key_id: None,
            state: None,
            before_seq: None,
            limit,
        }
    }
}

/// How many jobs are in one state at one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// The state.
    pub state: JobState,
    /// The priority.
    pub priority: Priority,
    /// How many jobs.
    pub count: u64,
}

/// What one claim may take: at most `total` jobs, each of a kind the worker has loaded and no
/// more of a kind than the worker has free slots for. A job of a kind that is not listed waits
/// for a worker that has it; a job is only claimed (and its lease only starts) once both a
/// worker slot and a slot of its kind are held for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimBudget {
    total: u32,
    kinds: Vec<(JobKind, u32)>,
}

impl ClaimBudget {
    /// At most `total` jobs, of the listed kinds, at most the given number of each. Kinds with
    /// no free slot are dropped; no kind is given more than `total`.
    pub fn new(total: u32, kinds: impl IntoIterator<Item = (JobKind, u32)>) -> Self {
        let kinds = kinds
            .into_iter()
            .filter(|(_, free)| *free > 0)
            .map(|(kind, free)| (kind, free.min(total)))
            .collect();
        Self { total, kinds }
    }

    /// How many jobs at most, whatever their kind.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// The kinds that may be claimed, each with its free slots.
    pub fn kinds(&self) -> &[(JobKind, u32)] {
        &self.kinds
    }

    /// Whether nothing at all may be claimed.
    pub fn is_empty(&self) -> bool {
        self.total == 0 || self.kinds.is_empty()
    }
}

/// What [`JobStore::retry_dead_job`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadJobRetry {
    /// The job was dead and is queued again, as it is now.
    Retried(Box<Job>),
    /// The job exists but is not dead: nothing changed.
    NotDead,
    /// There is no such job.
    Missing,
}

/// What [`JobStore::delete_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobDeletion {
    /// The job is gone.
    Deleted,
    /// The job is running: nothing changed.
    Running,
    /// There is no such job.
    Missing,
}

/// What happens to a job whose attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailOutcome {
    /// Try again at this instant if attempts remain, else the job is dead.
    RetryAt(Timestamp),
    /// The handler declared the failure final: `failed`, no retry.
    Fail,
    /// Retryable, but the worker gives up (its kind's attempt cap is reached): `dead`.
    GiveUp,
}

/// The HTTP side's view of jobs.
pub trait JobStore {
    /// Idempotency, quota and enqueue, atomically.
    async fn dispatch(
        &self,
        request: &DispatchRequest,
        now: Timestamp,
    ) -> Result<DispatchOutcome, StoreError>;

    /// [`dispatch`](JobStore::dispatch) of each request in turn, in ONE store call (SQLite: one
    /// transaction; Redis: one script): each job is judged and charged on its own, so one
    /// refused job does not refuse the others; the outcomes are in the order of `requests`.
    async fn dispatch_batch(
        &self,
        requests: &[DispatchRequest],
        now: Timestamp,
    ) -> Result<Vec<DispatchOutcome>, StoreError>;

    /// A job by id.
    async fn find_job(&self, id: &JobId) -> Result<Option<Job>, StoreError>;

    /// Jobs matching `filter`, newest first.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, StoreError>;

    /// Cancels a job: scheduled, queued or retrying ones at once; running ones are marked and the
    /// worker stops them; finished ones are left as they are. `None` if there is no such job.
    async fn cancel_job(&self, id: &JobId, now: Timestamp) -> Result<Option<Job>, StoreError>;

    /// Job counts by state and priority (states with no jobs are omitted).
    async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError>;

    /// Puts a dead job back in the queue with a fresh set of attempts; what it found is decided
    /// in the same atomic step as the change, so the answer cannot be overtaken by a worker.
    async fn retry_dead_job(&self, id: &JobId, now: Timestamp) -> Result<DeadJobRetry, StoreError>;

    /// Removes a job that is not running; what it found is decided in the same atomic step.
    async fn delete_job(&self, id: &JobId) -> Result<JobDeletion, StoreError>;
}

/// The worker's view of jobs.
pub trait JobQueue {
    /// Moves scheduled and retrying jobs whose time has come to the queue; returns how many.
    async fn promote_due(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError>;

    /// Claims queued jobs within `budget` (only its kinds, no more of each than its free slots),
    /// by priority then dispatch order, skipping (not waiting for) jobs whose key is at its
    /// concurrency limit: however long such a key's backlog, it never keeps other keys' jobs
    /// from being claimed. Each claim starts an attempt with a lease until
    /// `now + timeout + lease_grace_ms`.
    async fn claim(
        &self,
        worker: &str,
        budget: &ClaimBudget,
        lease_grace_ms: i64,
        now: Timestamp,
    ) -> Result<Vec<Job>, StoreError>;

    /// Records success of a job this worker holds; `false` if it no longer holds it.
    async fn ack(&self, id: &JobId, worker: &str, result: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// [`ack`](JobQueue::ack) of each `(job, result)` in ONE store call (SQLite: one transaction,
    /// one fsync; Redis: one script): the worker's group commit. One flag per job, in order.
    async fn ack_many(
        &self,
        worker: &str,
        done: &[(JobId, String)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError>;

    /// Records a failed attempt of a job this worker holds; `false` if it no longer holds it.
    async fn fail(
        &self,
        id: &JobId,
        worker: &str,
        error: &str,
        outcome: &FailOutcome,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Records that a held job was stopped because its cancellation was asked: `cancelled`.
    async fn cancelled(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Gives a held job back to the queue without counting the attempt (graceful shutdown).
    async fn release(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Running jobs whose lease expired (their worker died) go back to the queue, or are dead if
    /// that was their last attempt (cancelled if their cancellation was asked); at most `limit`
    /// of them per call, so one call never holds the store for long; returns how many.
    async fn rescue_expired(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError>;

    /// Makes the queue depths ([`JobStore::queue_depths`]) agree with the jobs themselves again,
    /// should a kept count have drifted from them; returns how many states had to be recounted
    /// (0 where depths are always counted from the jobs).
    async fn reconcile_depths(&self) -> Result<u64, StoreError>;

    /// Deletes finished jobs that finished before `before`, forgets expired idempotency keys and
    /// the rate buckets that were full again by then.
    async fn clean_finished(&self, before: Timestamp) -> Result<u64, StoreError>;
}
