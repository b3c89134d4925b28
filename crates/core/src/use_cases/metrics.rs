//! Gathering what `/metrics` shows from the stores, in the order a scrape needs it.

use crate::Timestamp;
use crate::api_key::KeyState;
use crate::metrics::{CounterValue, Heartbeat};
use crate::ports::{ApiKeyStore, JobStore, MetricsStore, QueueDepth, StoreError};

/// Everything one scrape shows: gauges read now, counters as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Keys in each state.
    pub keys: Vec<(KeyState, u64)>,
    /// Jobs in each state and priority (non-zero only).
    pub jobs: Vec<QueueDepth>,
    /// Every stored counter.
    pub counters: Vec<CounterValue>,
    /// Every known worker's last heartbeat.
    pub heartbeats: Vec<Heartbeat>,
}

/// Reads the snapshot: four reads, each one round trip to its store.
pub async fn collect_metrics<K, J, M>(
    keys: &K,
    jobs: &J,
    metrics: &M,
    now: Timestamp,
) -> Result<MetricsSnapshot, StoreError>
where
    K: ApiKeyStore,
    J: JobStore,
    M: MetricsStore,
{
    Ok(MetricsSnapshot {
        keys: keys.count_keys(now).await?,
        jobs: jobs.queue_depths().await?,
        counters: metrics.counters().await?,
        heartbeats: metrics.heartbeats().await?,
    })
}
