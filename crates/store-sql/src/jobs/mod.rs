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

pub use codec::job_from_row;

/// The job, quota and idempotency tables of one SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteJobs<E> {
    executor: E,
}

impl<E> SqliteJobs<E> {
    /// Jobs on `executor`, which must be an SQLite database migrated to at least version 3.
    pub fn new(executor: E) -> Self {
        Self { executor }
    }

    /// The executor.
    pub fn executor(&self) -> &E {
        &self.executor
    }
}
