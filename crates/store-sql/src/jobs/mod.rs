//! [`SqliteJobs`]: the job and quota ports on SQLite, for the embedded default.
//!
//! Dispatch runs in one `BEGIN IMMEDIATE` transaction: idempotency lookup, quota read, the core's
//! pure [`decide`](hexaspin_core::quota::decide), quota write, job insert, idempotency record.
//! Either all of it is committed or none of it.

mod codec;
mod metrics;
mod queries;
mod queue;
mod store;

use hexaspin_core::Timestamp;

pub use codec::job_from_row;

/// The job, quota and idempotency tables of one SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteJobs<E> {
    executor: E,
    clock: Option<fn() -> Timestamp>,
    /// Whether this database also holds the API keys (the embedded default): then key checks
    /// read them here, in the limiter's transaction ([`hexaspin_core::ports::KeyCache`]).
    keys_here: bool,
}

impl<E> SqliteJobs<E> {
    /// Jobs on `executor`, which must be an SQLite database migrated to at least version 3. Quota
    /// decisions are taken at the `now` the caller passes (deterministic, for tests).
    pub fn new(executor: E) -> Self {
        Self {
            executor,
            clock: None,
            keys_here: false,
        }
    }

    /// Declares that this database is also the key store, so a key check reads the key in the
    /// same transaction as its failed-verification charge (and a key that verifies writes
    /// nothing). Never for a deployment whose keys are elsewhere: this table would be empty.
    pub fn reading_keys_here(mut self) -> Self {
        self.keys_here = true;
        self
    }

    /// Like [`new`](Self::new), with quota decisions (dispatch, the rate limiter) taken at
    /// `clock`'s time once the write lock is held, never earlier than the caller's `now`. A request
    /// can wait seconds for the lock while other processes write the shared file; judged at the
    /// `now` it read before waiting, it would be refused as too early although within its limits.
    pub fn with_clock(executor: E, clock: fn() -> Timestamp) -> Self {
        Self {
            executor,
            clock: Some(clock),
            keys_here: false,
        }
    }

    /// The instant a decision made now (inside the transaction) is judged at.
    fn decision_time(&self, asked: Timestamp) -> Timestamp {
        self.clock.map_or(asked, |clock| clock().max(asked))
    }

    /// The executor.
    pub fn executor(&self) -> &E {
        &self.executor
    }
}
