//! The ports: what the use cases need from the outside world, as traits adapters implement.
//!
//! One method per query, time passed in as `now`. Every store port has one contract suite
//! (`tests/`) that each adapter must pass against a real database.

mod jobs;
mod key_cache;
mod keyed_dispatch;
mod keyed_job;
mod keys;
mod limits;
mod metrics;
mod users;

pub use jobs::{
    ClaimBudget, DeadJobRetry, DispatchOutcome, DispatchRequest, FailOutcome, JobDeletion, JobFilter,
    JobQueue, JobStore, QueueDepth,
};
pub use key_cache::{KeyCache, KeyLookup};
pub use keyed_dispatch::{KeyedDispatch, KeyedDispatchReply, OutcomeCounts, SettledOutcome};
pub use keyed_job::{AccessCounts, JobAccess, KeyedJobAccess, KeyedJobReply};
pub use keys::{ApiKeyStore, AuditLog, KeyFilter, UseCharge, UsePeriods};
pub use limits::{RateBucket, RateLimiter};
pub use metrics::MetricsStore;
pub use users::{RefreshTokenStore, RefreshUse, UserFilter, UserStore};

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

/// Whether an adapter's error text describes a connection that broke, was refused or timed out:
/// the store is away for now ([`StoreError::Unavailable`]), not a failed statement. For adapters
/// that only get text (Spin's Redis and Postgres interfaces); compared without case.
pub fn is_connection_failure(message: &str) -> bool {
    const SIGNS: [&str; 13] = [
        "broken pipe",
        "connection reset",
        "connection refused",
        "connection closed",
        "connection aborted",
        "not connected",
        "terminating connection",
        "kind: closed",
        "kind: io",
        "timed out",
        "timeout",
        "os error",
        "unexpected end",
    ];
    let lower = message.to_ascii_lowercase();
    SIGNS.iter().any(|sign| lower.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::is_connection_failure;

    #[test]
    fn broken_refused_or_closed_connections_are_connection_failures_and_statement_errors_are_not() {
        for message in [
            "Error::Other(\"broken pipe\")",
            "Connection reset by peer (os error 104)",
            "Error { kind: Closed, cause: None }",
            "FATAL: terminating connection due to administrator command",
        ] {
            assert!(is_connection_failure(message), "{message}");
        }
        for message in [
            "ERR Error running script: attempt to compare nil",
            "cannot convert value",
        ] {
            assert!(!is_connection_failure(message), "{message}");
        }
    }
}
