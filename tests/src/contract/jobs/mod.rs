//! The contract of [`JobStore`] and [`JobQueue`]: what the SQLite and Redis adapters must both do,
//! split by topic as River splits its driver tests:
//! - [`dispatch`]: storing jobs, idempotency, the rate limit and the daily quota, batches;
//! - [`claims`]: what a worker's claim takes, and in which order;
//! - [`attempts`]: how an attempt ends (ack, failure, release, rescue, cancellation);
//! - [`views`]: cancellation and the admin's views (depths, listings, cleaning).
//!
//! The admin actions (retry, delete) are [`super::job_admin`]'s. Every suite function is
//! re-exported here, so `contract_suite!(jobs: [...])` names them as before.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::job::{
    IdempotencyKey, JobId, JobKind, JobState, JobTimeout, MaxAttempts, NewJob, Priority,
};
use hexaspin_core::ports::{
    ClaimBudget, DispatchOutcome, DispatchRequest, FailOutcome, JobFilter, JobQueue, JobStore, QueueDepth,
};
use hexaspin_core::quota::{QuotaRules, RateRule, RejectReason};

mod attempts;
mod claims;
mod dispatch;
mod views;

pub use attempts::*;
pub use claims::*;
pub use dispatch::*;
pub use views::*;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

const DAY_MS: i64 = 86_400_000;

fn job_id() -> JobId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("randomness");
    JobId::from_random(bytes)
}

/// A job of key `key` with `priority`, queued unless `run_at` is later than dispatch.
pub fn new_job(key: u8, priority: u8) -> NewJob {
    NewJob {
        id: job_id(),
        key_id: ApiKeyId::from_random([key; 8]),
        kind: JobKind::parse("echo").expect("kind"),
        payload: format!(r#"{{"key":{key},"priority":{priority},"text":"ü \"q\""}}"#),
        priority: Priority::new(i64::from(priority)).expect("priority"),
        run_at: None,
        max_attempts: MaxAttempts::new(2).expect("attempts"),
        timeout: JobTimeout::from_millis(1000).expect("timeout"),
        concurrency_limit: None,
    }
}

/// A claim of up to `total` jobs of the one kind the suite's jobs have (`echo`), with as many
/// slots for it.
pub fn echo_budget(total: u32) -> ClaimBudget {
    ClaimBudget::new(total, [(JobKind::parse("echo").expect("kind"), total)])
}

/// A request without quota rules or idempotency key.
pub fn request(job: NewJob) -> DispatchRequest {
    DispatchRequest {
        caps: Default::default(),
        job,
        rules: QuotaRules::default(),
        idempotency_key: None,
        idempotency_ttl_ms: DAY_MS,
    }
}

pub async fn accept<S: JobStore>(
    store: &S,
    request: &DispatchRequest,
    now: Timestamp,
) -> hexaspin_core::job::Job {
    match store.dispatch(request, now).await.expect("dispatch") {
        DispatchOutcome::Accepted { job, .. } => job,
        other => panic!("expected the job to be accepted, got {other:?}"),
    }
}

fn ids(jobs: &[hexaspin_core::job::Job]) -> Vec<JobId> {
    jobs.iter().map(|j| j.spec.id.clone()).collect()
}

fn kind(name: &str) -> JobKind {
    JobKind::parse(name).expect("kind")
}

fn job_of_kind(key: u8, priority: u8, name: &str) -> NewJob {
    NewJob {
        kind: kind(name),
        ..new_job(key, priority)
    }
}
