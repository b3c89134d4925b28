//! The port for plain rate buckets: the attempt limits (failed key verifications, sign-ins,
//! sign-ups, password checks), kept in the same store as the dispatch quotas.

use super::StoreError;
use crate::Timestamp;
use crate::quota::{Decision, RateRule};

/// One bucket to charge: its storage name and its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateBucket {
    /// The bucket's name in the store, e.g. `signin:account:<digest>` (see
    /// [`crate::attempts::AttemptBucket`]).
    pub name: String,
    /// Its rate and burst.
    pub rule: RateRule,
}

/// GCRA buckets charged several at once. Buckets expire on their own once full again (Redis: key
/// expiry; SQL: [`super::JobStore::clean_finished`]). Both methods are one atomic store call: no
/// other request sees a bucket between reading and writing it.
pub trait RateLimiter {
    /// Takes one token from every bucket, or from none if any of them refuses
    /// ([`crate::quota::take_all`] decides): charged *before* the work the buckets guard, so that
    /// parallel requests cannot all pass a check that only one would.
    async fn take(&self, buckets: &[RateBucket], now: Timestamp) -> Result<Decision, StoreError>;

    /// Gives back the token [`take`](Self::take) took from every bucket, for an attempt that did
    /// not count (the password was right) ([`crate::quota::give_back`]).
    async fn give_back(&self, buckets: &[RateBucket], now: Timestamp) -> Result<(), StoreError>;
}
