//! The ports: what the use cases need from the outside world, as traits adapters implement.
//!
//! One method per query, time passed in as `now`. Every store port has one contract suite
//! (`tests/`) that each adapter must pass against a real database.

mod jobs;
mod keys;
mod metrics;

pub use jobs::{
    DispatchOutcome, DispatchRequest, FailOutcome, JobFilter, JobQueue, JobStore, QueueDepth, RateLimiter,
};
pub use keys::{ApiKeyStore, AuditLog, KeyFilter, UseCharge, UsePeriods};
pub use metrics::MetricsStore;

/// Why a store call failed. The text is for logs only: it never reaches a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or is busy (connection refused, pool exhausted, locked): the
    /// caller may retry later. Maps to 503 `store_unavailable`.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was violated (e.g. an id that already exists).
    #[error("store conflict: {0}")]
    Conflict(String),
    /// A stored row could not be read back into the domain (schema drift, manual edits).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other failure of the store (a bug in a query, a missing migration).
    #[error("store failed: {0}")]
    Failed(String),
}

/// The operating system's CSPRNG (WASI random inside Spin).
pub trait Entropy {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyUnavailable>;
}

/// The CSPRNG could not deliver: a host fault, never worked around with a weaker source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed: {0}")]
pub struct EntropyUnavailable(pub String);
