//! [`NativeJobs`]: the job ports on whichever store the settings choose, as one type.

use hexaspin_core::Timestamp;
use hexaspin_core::job::{Job, JobId};
use hexaspin_core::metrics::{CounterValue, Heartbeat, Series};
use hexaspin_core::ports::{
    DispatchOutcome, DispatchRequest, FailOutcome, JobFilter, JobQueue, JobStore, MetricsStore, QueueDepth,
    StoreError,
};
use hexaspin_redis::RedisJobs;
use hexaspin_store_sql::jobs::SqliteJobs;

use crate::{NativeRedis, SqliteExecutor};

/// Jobs on SQLite (embedded default) or Redis (production).
#[derive(Debug, Clone)]
pub enum NativeJobs {
    /// The embedded default.
    Sqlite(SqliteJobs<SqliteExecutor>),
    /// Production.
    Redis(RedisJobs<NativeRedis>),
}

/// Calls the same method on whichever store this is.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            NativeJobs::Sqlite($store) => $call,
            NativeJobs::Redis($store) => $call,
        }
    };
}

impl NativeJobs {
    /// One cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            NativeJobs::Sqlite(jobs) => {
                use hexaspin_store_sql::SqlExecutor;
                jobs.executor().query("SELECT 1", &[]).await.map(drop)
            }
            NativeJobs::Redis(jobs) => {
                use hexaspin_redis::RedisExecutor;
                jobs.executor().ping().await
            }
        }
    }
}

impl JobStore for NativeJobs {
    async fn dispatch(
        &self,
        request: &DispatchRequest,
        now: Timestamp,
    ) -> Result<DispatchOutcome, StoreError> {
        delegate!(self, s => s.dispatch(request, now).await)
    }
    async fn find_job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        delegate!(self, s => s.find_job(id).await)
    }
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, StoreError> {
        delegate!(self, s => s.list_jobs(filter).await)
    }
    async fn cancel_job(&self, id: &JobId, now: Timestamp) -> Result<Option<Job>, StoreError> {
        delegate!(self, s => s.cancel_job(id, now).await)
    }
    async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
        delegate!(self, s => s.queue_depths().await)
    }
    async fn retry_dead_job(&self, id: &JobId, now: Timestamp) -> Result<Option<Job>, StoreError> {
        delegate!(self, s => s.retry_dead_job(id, now).await)
    }
    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError> {
        delegate!(self, s => s.delete_job(id).await)
    }
}

impl JobQueue for NativeJobs {
    async fn promote_due(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        delegate!(self, s => s.promote_due(now, limit).await)
    }
    async fn claim(
        &self,
        worker: &str,
        limit: u32,
        lease_grace_ms: i64,
        now: Timestamp,
    ) -> Result<Vec<Job>, StoreError> {
        delegate!(self, s => s.claim(worker, limit, lease_grace_ms, now).await)
    }
    async fn ack(&self, id: &JobId, worker: &str, result: &str, now: Timestamp) -> Result<bool, StoreError> {
        delegate!(self, s => s.ack(id, worker, result, now).await)
    }
    async fn fail(
        &self,
        id: &JobId,
        worker: &str,
        error: &str,
        outcome: &FailOutcome,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.fail(id, worker, error, outcome, now).await)
    }
    async fn cancelled(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        delegate!(self, s => s.cancelled(id, worker, now).await)
    }
    async fn release(&self, id: &JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        delegate!(self, s => s.release(id, worker, now).await)
    }
    async fn rescue_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        delegate!(self, s => s.rescue_expired(now).await)
    }
    async fn clean_finished(&self, before: Timestamp) -> Result<u64, StoreError> {
        delegate!(self, s => s.clean_finished(before).await)
    }
}

impl MetricsStore for NativeJobs {
    async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError> {
        delegate!(self, s => s.add_counts(increments).await)
    }
    async fn counters(&self) -> Result<Vec<CounterValue>, StoreError> {
        delegate!(self, s => s.counters().await)
    }
    async fn heartbeat(&self, worker: &str, now: Timestamp) -> Result<(), StoreError> {
        delegate!(self, s => s.heartbeat(worker, now).await)
    }
    async fn heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError> {
        delegate!(self, s => s.heartbeats().await)
    }
    async fn forget_workers(&self, before: Timestamp) -> Result<u64, StoreError> {
        delegate!(self, s => s.forget_workers(before).await)
    }
}
