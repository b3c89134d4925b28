//! [`AnyJobs`]: the job ports on whichever store the settings choose (SQLite for the embedded
//! default, Redis in production), as one type. The native adapter and the Spin adapter each name
//! it with their own executors.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, SecretHash};
use hexaspin_core::job::{Job, JobId};
use hexaspin_core::metrics::{CounterValue, Heartbeat, Series};
use hexaspin_core::ports::{
    ClaimBudget, DeadJobRetry, DispatchOutcome, DispatchRequest, FailOutcome, JobDeletion, JobFilter,
    JobQueue, JobStore, KeyCache, KeyLookup, KeyedDispatch, KeyedDispatchReply, KeyedJobAccess,
    KeyedJobReply, MetricsStore, QueueDepth, RateBucket, RateLimiter, StoreError,
};
use hexaspin_core::quota::Decision;
use hexaspin_store_sql::jobs::SqliteJobs;
use hexaspin_store_sql::{SqlExecutor, TransactionalExecutor};

use hexaspin_redis::{RedisExecutor, RedisJobs};

/// Jobs on SQLite (`S`: its executor) or on Redis (`R`: its executor).
#[derive(Debug, Clone)]
pub enum AnyJobs<S, R> {
    /// The embedded default.
    Sqlite(SqliteJobs<S>),
    /// Redis: production.
    Redis(RedisJobs<R>),
}

/// Calls the same method on whichever store this is.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyJobs::Sqlite($store) => $call,
            AnyJobs::Redis($store) => $call,
        }
    };
}

impl<S, R> AnyJobs<S, R> {
    /// For a component that checks API keys: when the jobs are on SQLite and `keys_in_sqlite`
    /// (the embedded deployment, where keys and jobs share one database), the jobs store reads the
    /// keys itself, so a key check is one transaction ([`SqliteJobs::reading_keys_here`]).
    pub fn reading_keys_here_if(self, keys_in_sqlite: bool) -> Self {
        match self {
            AnyJobs::Sqlite(jobs) if keys_in_sqlite => AnyJobs::Sqlite(jobs.reading_keys_here()),
            other => other,
        }
    }
}

impl<S: SqlExecutor, R: RedisExecutor> AnyJobs<S, R> {
    /// One cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            AnyJobs::Sqlite(jobs) => jobs.executor().query("SELECT 1", &[]).await.map(drop),
            AnyJobs::Redis(jobs) => jobs.executor().ping().await,
        }
    }
}

impl<S: TransactionalExecutor, R: RedisExecutor> RateLimiter for AnyJobs<S, R> {
    async fn take(&self, buckets: &[RateBucket], now: Timestamp) -> Result<Decision, StoreError> {
        delegate!(self, s => s.take(buckets, now).await)
    }

    async fn give_back(&self, buckets: &[RateBucket], now: Timestamp) -> Result<(), StoreError> {
        delegate!(self, s => s.give_back(buckets, now).await)
    }
}

impl<S: TransactionalExecutor, R: RedisExecutor> KeyCache for AnyJobs<S, R> {
    async fn fence_key(&self, id: &ApiKeyId, version: i64) -> Result<(), StoreError> {
        delegate!(self, s => s.fence_key(id, version).await)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        delegate!(self, s => s.put_key(key).await)
    }

    async fn take_and_find_key(
        &self,
        buckets: &[RateBucket],
        id: &ApiKeyId,
        presented: &SecretHash,
        now: Timestamp,
    ) -> Result<KeyLookup, StoreError> {
        delegate!(self, s => s.take_and_find_key(buckets, id, presented, now).await)
    }

    async fn dispatch_with_cached_key(
        &self,
        call: &KeyedDispatch<'_>,
        now: Timestamp,
    ) -> Result<KeyedDispatchReply, StoreError> {
        delegate!(self, s => s.dispatch_with_cached_key(call, now).await)
    }

    async fn access_job_with_cached_key(
        &self,
        call: &KeyedJobAccess<'_>,
        now: Timestamp,
    ) -> Result<KeyedJobReply, StoreError> {
        delegate!(self, s => s.access_job_with_cached_key(call, now).await)
    }
}

impl<S: TransactionalExecutor, R: RedisExecutor> JobStore for AnyJobs<S, R> {
    async fn dispatch(
        &self,
        request: &DispatchRequest,
        now: Timestamp,
    ) -> Result<DispatchOutcome, StoreError> {
        delegate!(self, s => s.dispatch(request, now).await)
    }
    async fn dispatch_batch(
        &self,
        requests: &[DispatchRequest],
        now: Timestamp,
    ) -> Result<Vec<DispatchOutcome>, StoreError> {
        delegate!(self, s => s.dispatch_batch(requests, now).await)
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
    async fn retry_dead_job(&self, id: &JobId, now: Timestamp) -> Result<DeadJobRetry, StoreError> {
        delegate!(self, s => s.retry_dead_job(id, now).await)
    }
    async fn delete_job(&self, id: &JobId) -> Result<JobDeletion, StoreError> {
        delegate!(self, s => s.delete_job(id).await)
    }
}

impl<S: TransactionalExecutor, R: RedisExecutor> JobQueue for AnyJobs<S, R> {
    async fn promote_due(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        delegate!(self, s => s.promote_due(now, limit).await)
    }
    async fn claim(
        &self,
        worker: &str,
        budget: &ClaimBudget,
        lease_grace_ms: i64,
        now: Timestamp,
    ) -> Result<Vec<Job>, StoreError> {
        delegate!(self, s => s.claim(worker, budget, lease_grace_ms, now).await)
    }
    async fn ack(&self, id: &JobId, worker: &str, result: &str, now: Timestamp) -> Result<bool, StoreError> {
        delegate!(self, s => s.ack(id, worker, result, now).await)
    }
    async fn ack_many(
        &self,
        worker: &str,
        done: &[(JobId, String)],
        now: Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        delegate!(self, s => s.ack_many(worker, done, now).await)
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
    async fn rescue_expired(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        delegate!(self, s => s.rescue_expired(now, limit).await)
    }
    async fn reconcile_depths(&self) -> Result<u64, StoreError> {
        delegate!(self, s => s.reconcile_depths().await)
    }
    async fn clean_finished(&self, before: Timestamp) -> Result<u64, StoreError> {
        delegate!(self, s => s.clean_finished(before).await)
    }
}

impl<S: TransactionalExecutor, R: RedisExecutor> MetricsStore for AnyJobs<S, R> {
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
    async fn forget_worker(&self, worker: &str) -> Result<bool, StoreError> {
        delegate!(self, s => s.forget_worker(worker).await)
    }
    async fn forget_workers(&self, before: Timestamp) -> Result<u64, StoreError> {
        delegate!(self, s => s.forget_workers(before).await)
    }
}
