//! [`KeyCache`] on Redis: one hash per key (`keycache:<id>`: the record, its version and the
//! fence), read in the same script as the failed-verification charge.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, SecretHash, cached_key_json, key_from_cached_json};
use hexaspin_core::ports::{KeyCache, KeyLookup, RateBucket, StoreError};

use crate::executor::{RedisExecutor, RedisValue};
use crate::jobs::{RedisJobs, push_buckets, take_decision};
use crate::scripts;

impl<E: RedisExecutor> KeyCache for RedisJobs<E> {
    async fn fence_key(&self, id: &ApiKeyId, version: i64) -> Result<(), StoreError> {
        let args = [id.to_string(), version.to_string()];
        self.run(&scripts::key_cache_fence, &args).await.map(drop)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let args = [
            key.id.to_string(),
            key.version.to_string(),
            cached_key_json(key),
            key.secret_hash.to_hex(),
            key.previous_secret_hash
                .as_ref()
                .map(SecretHash::to_hex)
                .unwrap_or_default(),
            key.previous_secret_expires_at
                .map(|at| at.as_millis().to_string())
                .unwrap_or_default(),
        ];
        self.run(&scripts::key_cache_put, &args).await.map(drop)
    }

    async fn take_and_find_key(
        &self,
        buckets: &[RateBucket],
        id: &ApiKeyId,
        presented: &SecretHash,
        now: Timestamp,
    ) -> Result<KeyLookup, StoreError> {
        let mut args = vec![self.decision_now(now), id.to_string(), presented.to_hex()];
        push_buckets(&mut args, buckets);
        let reply = self.run(&scripts::take_find_key, &args).await?;
        let decision = take_decision(&reply)?;
        let charged = reply.get(5).and_then(RedisValue::int) == Some(1);
        // A record that does not read back is a miss: the key store answers instead.
        let cached = reply
            .get(6)
            .map(RedisValue::text)
            .and_then(|text| key_from_cached_json(&text).ok());
        Ok(KeyLookup {
            decision,
            cached,
            charged,
        })
    }
}
