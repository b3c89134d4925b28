//! The key cache port: API key records kept beside the limiter (Redis in production), so that
//! verifying a key costs no key-store (Postgres) query on the hot path.
//!
//! The key store stays the source of truth. The cache is kept by two rules:
//! - **Fenced before every change**: an admin change that will give a key `version` first raises the
//!   key's fence to `version` ([`KeyCache::fence_key`]) and drops the cached copy, whatever its
//!   version (a cache ahead of a key store that lost writes must not outlive the change). If the
//!   fence cannot be raised the change is not made. From then on no copy older than the
//!   fence is served or stored, so a lookup that read the key store before the change cannot put
//!   the old record back afterwards.
//! - **Filled on a miss, written through after a change** ([`KeyCache::put_key`]): a copy is stored
//!   only if it is at least the fence and newer than what is cached. A lost write only costs a
//!   key-store lookup later.
//!
//! Copies and fences may expire (Redis: after 10 minutes), which bounds how long a copy survives
//! writes the cache lost (a failover, a restore). An adapter may keep nothing, or read the key
//! store itself (the embedded SQLite default: the keys are in the same file). The contract suite holds every adapter to these rules.

use super::{KeyedDispatch, KeyedDispatchReply, KeyedJobAccess, KeyedJobReply, RateBucket, StoreError};
use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, SecretHash};
use crate::quota::Decision;

/// API key records cached in front of the key store.
pub trait KeyCache {
    /// Before a change that will give key `id` this `version`: the cached copy is dropped, and from
    /// now on no copy older than `version` is returned or stored.
    async fn fence_key(&self, id: &ApiKeyId, version: i64) -> Result<(), StoreError>;

    /// Stores `key` as read from the key store (or just written to it), unless the cache holds
    /// this version or a newer one, or is fenced above it.
    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The failed-verification charge and the lookup of key `id`, in one round trip. If the
    /// buckets refuse (as [`super::RateLimiter::take`] decides), nothing is looked up or taken.
    /// Otherwise the cached record is returned if there is one, and the tokens are taken unless
    /// `presented` (the hash of the presented secret) verifies the record at `now`
    /// ([`ApiKey::verifies_hash`]): a key that verifies is no failed attempt. The caller verifies
    /// the record in full and charges an uncharged attempt that then counts.
    async fn take_and_find_key(
        &self,
        buckets: &[RateBucket],
        id: &ApiKeyId,
        presented: &SecretHash,
        now: Timestamp,
    ) -> Result<KeyLookup, StoreError>;

    /// [`take_and_find_key`](Self::take_and_find_key) and, when the cached key settles it (see
    /// [`KeyedDispatch`]), the dispatch and its counts, all in one atomic step. A store that does
    /// not offer it answers [`KeyedDispatchReply::NotOffered`] having done nothing.
    async fn dispatch_with_cached_key(
        &self,
        call: &KeyedDispatch<'_>,
        now: Timestamp,
    ) -> Result<KeyedDispatchReply, StoreError> {
        let _ = (call, now);
        Ok(KeyedDispatchReply::NotOffered)
    }

    /// [`take_and_find_key`](Self::take_and_find_key) and, when the cached key settles it, the
    /// read or cancellation of the key's own job and the answer's counts, in one atomic step
    /// (see [`KeyedJobAccess`]). A store that does not offer it answers
    /// [`KeyedJobReply::NotOffered`] having done nothing.
    async fn access_job_with_cached_key(
        &self,
        call: &KeyedJobAccess<'_>,
        now: Timestamp,
    ) -> Result<KeyedJobReply, StoreError> {
        let _ = (call, now);
        Ok(KeyedJobReply::NotOffered)
    }
}

/// What [`KeyCache::take_and_find_key`] decided and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookup {
    /// The buckets' decision.
    pub decision: Decision,
    /// The cached record, if the cache holds one (never when refused).
    pub cached: Option<ApiKey>,
    /// Whether the tokens were taken (not when refused, nor when the secret matched the record).
    pub charged: bool,
}
