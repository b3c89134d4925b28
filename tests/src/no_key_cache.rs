//! [`NoKeyCache`]: a key cache that keeps nothing, for tests of the admin API on a key store alone
//! (every admin change fences and writes through; here both succeed and change nothing, as on the
//! embedded default).

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId};
use hexaspin_core::ports::{KeyCache, RateBucket, StoreError};
use hexaspin_core::quota::Decision;

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
        _now: Timestamp,
    ) -> Result<(Decision, Option<ApiKey>), StoreError> {
        Err(StoreError::Failed(
            "NoKeyCache has no limiter: verification needs a queue store".into(),
        ))
    }
}
