//! A dispatch in one round trip to the key cache's store: the failed-verification charge, the
//! cached key's check, the quota, the enqueue and the request's counts together
//! ([`super::KeyCache::dispatch_with_cached_key`]).
//!
//! The cache answers only what it can settle alone: a cached key without a use budget whose
//! secret verifies and that has the scope. Anything else (a miss, a wrong secret, a key with a
//! budget, a missing scope) comes back as the plain [`KeyLookup`] and the core goes on as after
//! [`super::KeyCache::take_and_find_key`]. The core verifies every record it is given in full,
//! so the cache's check is an early decision, never the only one.

use super::{DispatchOutcome, KeyLookup, RateBucket};
use crate::Timestamp;
use crate::api_key::{ApiKey, Limits, SecretHash};
use crate::job::{IdempotencyKey, NewJob};
use crate::metrics::Series;
use crate::quota::RejectReason;

/// A dispatch asked of the cache with a presented key, before the key is known.
#[derive(Debug, Clone)]
pub struct KeyedDispatch<'a> {
    /// The client's failed-verification buckets, charged unless the secret verifies.
    pub buckets: &'a [RateBucket],
    /// The hash of the presented secret; the job's `key_id` is the presented key's id.
    pub presented: &'a SecretHash,
    /// The scope the key needs.
    pub scope: &'static str,
    /// The validated job. Its `concurrency_limit` is not read: the store takes the key's.
    pub job: &'a NewJob,
    /// The client's `Idempotency-Key`, if any.
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// How long an idempotency key is remembered, in milliseconds.
    pub idempotency_ttl_ms: i64,
    /// The deployment's limits for keys that set none: the store combines them with the key's
    /// own as [`key_terms`](crate::use_cases::key_terms) does.
    pub defaults: &'a Limits,
    /// What the answer to each outcome adds to `/metrics`, added in the same step.
    pub counts: &'a OutcomeCounts,
}

/// An outcome the store may settle alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledOutcome {
    /// A new job.
    Accepted,
    /// A repeated idempotency key.
    Duplicate,
    /// Refused by the quota or a storage cap.
    Rejected(RejectReason),
}

impl SettledOutcome {
    /// Every outcome.
    pub const ALL: [Self; 6] = [
        Self::Accepted,
        Self::Duplicate,
        Self::Rejected(RejectReason::RateLimited),
        Self::Rejected(RejectReason::QuotaExhausted),
        Self::Rejected(RejectReason::ScheduledLimit),
        Self::Rejected(RejectReason::StorageLimit),
    ];

    /// The outcome of `outcome`.
    pub fn of(outcome: &DispatchOutcome) -> Self {
        match outcome {
            DispatchOutcome::Accepted { .. } => Self::Accepted,
            DispatchOutcome::Duplicate { .. } => Self::Duplicate,
            DispatchOutcome::Rejected { decision } => {
                Self::Rejected(decision.rejected.unwrap_or(RejectReason::RateLimited))
            }
        }
    }
}

/// The series each settled outcome's answer adds one to (the caller derives them from the very
/// answers it gives, so the store counts what would have been counted after).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeCounts(pub Vec<(SettledOutcome, Vec<Series>)>);

/// What [`super::KeyCache::dispatch_with_cached_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyedDispatchReply {
    /// This store does not dispatch with cached keys: nothing was charged or looked up.
    NotOffered,
    /// No dispatch: the charge and lookup of [`super::KeyCache::take_and_find_key`], as it
    /// would have answered.
    Looked(KeyLookup),
    /// The cached key verified at `at` (nothing charged) and the store dispatched.
    Dispatched {
        /// The cached record the store judged by (`None`: it did not read back here, a newer
        /// release's format perhaps; the core then treats the dispatch as one it rejects).
        key: Option<Box<ApiKey>>,
        /// The instant the store judged at (its clock, if it keeps the quota clock).
        at: Timestamp,
        /// The dispatch.
        outcome: DispatchOutcome,
        /// Whether the outcome's counts were added.
        counted: bool,
    },
}
