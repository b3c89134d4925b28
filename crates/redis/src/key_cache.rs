//! [`KeyCache`] on Redis: one hash per key (`keycache:<id>`: the record, its version, its scopes
//! and limits, and the fence), read in the same script as the failed-verification charge, and by
//! the keyed dispatch, which settles a request with a cached key in that one script.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, Limits, SecretHash, cached_key_json, key_from_cached_json};
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{
    AccessCounts, JobAccess, KeyCache, KeyLookup, KeyedDispatch, KeyedDispatchReply, KeyedJobAccess,
    KeyedJobReply, OutcomeCounts, RateBucket, SettledOutcome, StoreError,
};
use hexaspin_core::quota::MAX_RATE_PER_SEC;

use crate::executor::{RedisExecutor, RedisValue};
use crate::jobs::{RedisJobs, optional_job, outcome_from_reply, push_buckets, take_decision};
use crate::scripts;

/// A key's own limits (or the defaults) as `key_cache_put.lua` stores them:
/// "rate|burst|concurrency|daily|scheduled|bytes", '' for none.
fn limits_field(limits: &Limits) -> String {
    let opt = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
    [
        opt(limits.rate_per_sec.map(u64::from)),
        opt(limits.burst.map(u64::from)),
        opt(limits.concurrency.map(u64::from)),
        opt(limits.daily_quota),
        opt(limits.max_scheduled_jobs),
        opt(limits.max_stored_bytes),
    ]
    .join("|")
}

/// What each outcome counts, as `count_outcome` (lib_key_lookup.lua) reads it: "<outcome>
/// <field>…" lines.
fn counts_field<'a>(outcomes: impl IntoIterator<Item = (&'a str, &'a [Series])>) -> String {
    outcomes
        .into_iter()
        .map(|(tag, series)| {
            let fields: Vec<String> = series.iter().map(Series::field).collect();
            format!("{tag} {}", fields.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A dispatch's counts by the outcome names `keyed_dispatch.lua` uses.
fn outcome_counts_field(counts: &OutcomeCounts) -> String {
    counts_field(counts.0.iter().map(|(outcome, series)| {
        let tag = match outcome {
            SettledOutcome::Accepted => "accepted",
            SettledOutcome::Duplicate => "duplicate",
            SettledOutcome::Rejected(reason) => reason.code(),
        };
        (tag, series.as_slice())
    }))
}

/// The instant, whether counted, and the record (if it reads back) at the head of a settled
/// keyed reply (`now_ms, counted, record`). A record that does not read back is no error here:
/// the dispatch or access it settled happened, and the core must know of it.
fn settled_head(reply: &[RedisValue]) -> Result<(Timestamp, bool, Option<ApiKey>), StoreError> {
    let at = reply
        .first()
        .and_then(RedisValue::int)
        .map(Timestamp::from_millis)
        .ok_or_else(|| StoreError::Corrupt("keyed reply instant".into()))?;
    let counted = reply.get(1).and_then(RedisValue::int) == Some(1);
    let key = reply
        .get(2)
        .map(RedisValue::text)
        .and_then(|text| key_from_cached_json(&text).ok());
    Ok((at, counted, key))
}

/// The take-and-find reply (from its first element) as a lookup.
fn key_lookup(reply: &[RedisValue]) -> Result<KeyLookup, StoreError> {
    let decision = take_decision(reply)?;
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
        let scopes: String = key.scopes.as_slice().iter().map(|s| format!(" {s}")).collect();
        // A key with a use budget is settled by the core alone (only the key store knows its uses).
        let limits = if key.remaining.is_none() {
            limits_field(&key.limits)
        } else {
            String::new()
        };
        let args = [
            key.id.to_string(),
            key.version.to_string(),
            cached_key_json(key),
            hex(Some(&key.secret_hash)),
            hex(key.previous_secret_hash.as_ref()),
            ms(key.previous_secret_expires_at),
            ms(key.expires_at),
            format!("{scopes} "),
            limits,
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
        key_lookup(&reply)
    }

    async fn dispatch_with_cached_key(
        &self,
        call: &KeyedDispatch<'_>,
        now: Timestamp,
    ) -> Result<KeyedDispatchReply, StoreError> {
        let mut args = Vec::with_capacity(22 + 3 * call.buckets.len());
        args.extend(self.keyed_dispatch_args(call, now));
        args.push(call.presented.to_hex());
        args.push(call.scope.to_owned());
        args.push(limits_field(call.defaults));
        args.push(MAX_RATE_PER_SEC.to_string());
        args.push(outcome_counts_field(call.counts));
        push_buckets(&mut args, call.buckets);
        let reply = self.run(&scripts::keyed_dispatch, &args).await?;
        match reply.first().map(RedisValue::text).as_deref() {
            Some("looked") => Ok(KeyedDispatchReply::Looked(key_lookup(&reply[1..])?)),
            Some("dispatched") => {
                let (at, counted, key) = settled_head(&reply[1..])?;
                Ok(KeyedDispatchReply::Dispatched {
                    key: key.map(Box::new),
                    at,
                    outcome: outcome_from_reply(&reply[4..])?,
                    counted,
                })
            }
            other => Err(StoreError::Corrupt(format!(
                "unexpected keyed dispatch reply {other:?}"
            ))),
        }
    }

    async fn access_job_with_cached_key(
        &self,
        call: &KeyedJobAccess<'_>,
        now: Timestamp,
    ) -> Result<KeyedJobReply, StoreError> {
        let access = match call.access {
            JobAccess::Find => "find",
            JobAccess::Cancel => "cancel",
        };
        let counts: &AccessCounts = call.counts;
        let mut args = vec![
            self.decision_now(now),
            call.key_id.to_string(),
            call.presented.to_hex(),
            call.scope.to_owned(),
            access.to_owned(),
            call.job.to_string(),
            counts_field([
                ("found", counts.found.as_slice()),
                ("absent", counts.absent.as_slice()),
            ]),
        ];
        push_buckets(&mut args, call.buckets);
        let reply = self.run(&scripts::keyed_job, &args).await?;
        match reply.first().map(RedisValue::text).as_deref() {
            Some("looked") => Ok(KeyedJobReply::Looked(key_lookup(&reply[1..])?)),
            Some("settled") => {
                let (at, counted, key) = settled_head(&reply[1..])?;
                Ok(KeyedJobReply::Settled {
                    key: key.map(Box::new),
                    at,
                    job: optional_job(&reply[4..])?,
                    counted,
                })
            }
            other => Err(StoreError::Corrupt(format!(
                "unexpected keyed job reply {other:?}"
            ))),
        }
    }
}
