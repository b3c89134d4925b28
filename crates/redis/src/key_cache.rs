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
        // The fields the script compares to leave a verifying secret uncharged
        // (ApiKey::verifies_hash): none for a revoked or disabled key, whose right secret is
        // charged like any guess; an expiry for the others.
        let may_verify = key.revoked_at.is_none() && key.enabled;
        let ms = |at: Option<Timestamp>| at.map(|at| at.as_millis().to_string()).unwrap_or_default();
        let hex = |hash: Option<&SecretHash>| {
            hash.filter(|_| may_verify)
                .map(SecretHash::to_hex)
                .unwrap_or_default()
        };
        let args = [
            key.id.to_string(),
            key.version.to_string(),
            cached_key_json(key),
            hex(Some(&key.secret_hash)),
            hex(key.previous_secret_hash.as_ref()),
            ms(key.previous_secret_expires_at),
            ms(key.expires_at),
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
