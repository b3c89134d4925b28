//! [`NoKeyCache`]: a key cache that keeps nothing, for tests of the admin API on a key store alone
//! (every admin change fences and writes through; here both succeed and change nothing, as on the
//! embedded default).

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, SecretHash};
use hexaspin_core::ports::{KeyCache, KeyLookup, RateBucket, StoreError};

/// Keeps nothing; has no limiter to charge.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeyCache;

impl KeyCache for NoKeyCache {
    async fn fence_key(&self, _id: &ApiKeyId, _version: i64) -> Result<(), StoreError> {
        Ok(())
    }

    async fn put_key(&self, _key: &ApiKey) -> Result<(), StoreError> {
        Ok(())
    }

    async fn take_and_find_key(
        &self,
        _buckets: &[RateBucket],
        _id: &ApiKeyId,
        _presented: &SecretHash,
        _now: Timestamp,
    ) -> Result<KeyLookup, StoreError> {
        Err(StoreError::Failed(
            "NoKeyCache has no limiter: verification needs a queue store".into(),
        ))
    }
}
