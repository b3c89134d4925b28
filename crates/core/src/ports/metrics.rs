//! The port for store-aggregated metrics: counters and worker heartbeats. Adapters: Redis in
//! production, SQLite for the embedded default (the same store as the jobs); one contract suite.

use super::StoreError;
use crate::Timestamp;
use crate::metrics::{CounterValue, Heartbeat, Series};

/// Counters and heartbeats kept in the store, read back by the stateless `/metrics` component.
pub trait MetricsStore {
    /// Adds each `(series, amount)` in ONE round trip (a request's counts are flushed together).
    async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError>;

    /// Every counter this version knows; unknown stored fields are skipped.
    async fn counters(&self) -> Result<Vec<CounterValue>, StoreError>;

    /// Records that `worker` is alive at `now`.
    async fn heartbeat(&self, worker: &str, now: Timestamp) -> Result<(), StoreError>;

    /// The last heartbeat of every worker not yet forgotten.
    async fn heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError>;

    /// Forgets one worker (it is shutting down cleanly); `false` if it was not known.
    async fn forget_worker(&self, worker: &str) -> Result<bool, StoreError>;

    /// Forgets workers whose last heartbeat is older than `before` (they were scaled away);
    /// returns how many.
    async fn forget_workers(&self, before: Timestamp) -> Result<u64, StoreError>;
}
