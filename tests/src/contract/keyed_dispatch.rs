//! The contract of [`KeyCache::dispatch_with_cached_key`] (and of
//! [`KeyCache::access_job_with_cached_key`], its twin for a job's read or cancellation): a store
//! either does not offer it and does nothing, or settles exactly the requests its cached key can settle (the secret verifies,
//! the scope is granted, the key has no use budget) and answers every other as
//! [`KeyCache::take_and_find_key`] would, charged alike. What it settles it dispatches under the
//! key's limits, however many requests arrive at once, and counts once.

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, Limits, SecretHash};
use hexaspin_core::job::JobId;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{
    AccessCounts, DispatchOutcome, JobAccess, JobFilter, JobStore, KeyCache, KeyedDispatch,
    KeyedDispatchReply, KeyedJobAccess, KeyedJobReply, MetricsStore, OutcomeCounts, RateBucket,
    SettledOutcome,
};
use hexaspin_core::quota::{RateRule, RejectReason};

use crate::contract::jobs::new_job;
use crate::samples::full_key;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const SCOPE: &str = "jobs:write";

/// A key that verifies, holds the scope and has no budget: what a store may settle alone.
fn settled_key(seed: u8, limits: Limits) -> ApiKey {
    let mut key = full_key(seed, T0);
    key.remaining = None;
    key.refill = None;
    key.limits = limits;
    key
}

fn counts() -> OutcomeCounts {
    OutcomeCounts(
        SettledOutcome::ALL
            .into_iter()
            .map(|outcome| {
                let class = if matches!(outcome, SettledOutcome::Rejected(_)) {
                    429
                } else {
                    202
                };
                let mut series = vec![Series::http_requests("contract", class)];
                if let SettledOutcome::Rejected(reason) = outcome {
                    series.push(Series::quota_rejection(reason.code()));
                }
                (outcome, series)
            })
            .collect(),
    )
}

async fn keyed<S: KeyCache>(
    store: &S,
    key: &ApiKey,
    presented: &SecretHash,
    buckets: &[RateBucket],
    counts: &OutcomeCounts,
) -> KeyedDispatchReply {
    let mut job = new_job(0, 1);
    job.key_id = key.id.clone();
    let defaults = Limits::default();
    let call = KeyedDispatch {
        buckets,
        presented,
        scope: SCOPE,
        job: &job,
        idempotency_key: None,
        idempotency_ttl_ms: 60_000,
        defaults: &defaults,
        counts,
    };
    store
        .dispatch_with_cached_key(&call, T0)
        .await
        .expect("keyed dispatch")
}

fn bucket(name: &str, burst: u32) -> RateBucket {
    RateBucket {
        name: name.to_owned(),
        rule: RateRule::new(1, burst).expect("rule"),
    }
}

/// The tokens a bucket of `burst` has left, spending them to find out.
async fn tokens_left<S: KeyCache>(store: &S, name: &str, burst: u32) -> u32 {
    let wrong = SecretHash::from_hex(&"00".repeat(32)).expect("hash");
    let key = full_key(250, T0);
    let mut left = 0;
    for _ in 0..=burst {
        let lookup = store
            .take_and_find_key(&[bucket(name, burst)], &key.id, &wrong, T0)
            .await
            .expect("take");
        if lookup.decision.rejected.is_some() {
            break;
        }
        left += 1;
    }
    left
}

/// Only a verifying, scoped key without a budget is settled; every other request comes back as
/// the lookup would have answered it, charged only when the secret did not verify.
pub async fn only_a_key_the_cache_can_judge_alone_is_dispatched<S: KeyCache + JobStore>(store: &S) {
    let good = settled_key(21, Limits::default());
    let mut budgeted = settled_key(22, Limits::default());
    budgeted.remaining = Some(5);
    let mut unscoped = settled_key(23, Limits::default());
    unscoped.scopes = hexaspin_core::api_key::Scopes::parse(&["jobs:read"]).expect("scopes");
    let mut revoked = settled_key(24, Limits::default());
    revoked.revoked_at = Some(T0);
    for key in [&good, &budgeted, &unscoped, &revoked] {
        store.put_key(key).await.expect("put");
    }
    let wrong = SecretHash::from_hex(&"11".repeat(32)).expect("hash");
    let cases: [(&str, &ApiKey, &SecretHash, bool); 5] = [
        ("a verifying key", &good, &good.secret_hash, false),
        ("a key with a budget", &budgeted, &budgeted.secret_hash, false),
        ("a key without the scope", &unscoped, &unscoped.secret_hash, false),
        ("a revoked key", &revoked, &revoked.secret_hash, true),
        ("a wrong secret", &good, &wrong, true),
    ];
    let mut offered = false;
    for (n, (what, key, presented, charged)) in cases.into_iter().enumerate() {
        let name = format!("test:keyed-{n}");
        let reply = keyed(store, key, presented, &[bucket(&name, 3)], &counts()).await;
        match reply {
            KeyedDispatchReply::NotOffered => {
                assert_eq!(
                    tokens_left(store, &name, 3).await,
                    3,
                    "{what}: not offered, not charged"
                );
            }
            KeyedDispatchReply::Looked(lookup) => {
                offered = true;
                assert_ne!(n, 0, "{what} must be settled by a store that offers it");
                assert_eq!(lookup.charged, charged, "{what}");
                assert!(lookup.decision.rejected.is_none(), "{what}");
                assert!(
                    lookup.cached.is_none() || lookup.cached.as_ref() == Some(key),
                    "{what}: {:?}",
                    lookup.cached
                );
                let left = tokens_left(store, &name, 3).await;
                assert_eq!(left, if charged { 2 } else { 3 }, "{what}");
            }
            KeyedDispatchReply::Dispatched {
                key: found,
                outcome,
                counted,
                at,
            } => {
                offered = true;
                assert_eq!(n, 0, "{what} must not be settled by the store");
                assert_eq!(found.as_deref(), Some(&good));
                assert_eq!(at, T0);
                assert!(counted, "the outcome had counts");
                let DispatchOutcome::Accepted { job, .. } = outcome else {
                    panic!("{what}: {outcome:?}");
                };
                assert_eq!(job.spec.key_id, good.id);
                assert_eq!(store.find_job(&job.spec.id).await.expect("find"), Some(job));
                assert_eq!(tokens_left(store, &name, 3).await, 3, "{what}: not charged");
            }
        }
    }
    if offered {
        // After a fence the record is gone: a lookup, charged as a miss.
        store.fence_key(&good.id, good.version + 1).await.expect("fence");
        let reply = keyed(store, &good, &good.secret_hash, &[], &counts()).await;
        let KeyedDispatchReply::Looked(lookup) = reply else {
            panic!("a fenced key is not settled: {reply:?}");
        };
        assert_eq!((lookup.cached, lookup.charged), (None, true));
    }
}

/// The key's own limits hold for keyed dispatches sent all at once: exactly its burst is
/// accepted, and each answer is counted once, by outcome.
pub async fn concurrent_keyed_dispatches_get_exactly_the_keys_burst_each_counted_once<
    S: KeyCache + JobStore + MetricsStore,
>(
    store: &S,
) {
    let key = settled_key(
        31,
        Limits {
            rate_per_sec: Some(1),
            burst: Some(4),
            ..Limits::default()
        },
    );
    store.put_key(&key).await.expect("put");
    let counts = counts();
    let replies = join_all((0..24).map(|_| keyed(store, &key, &key.secret_hash, &[], &counts))).await;
    if replies.iter().all(|r| *r == KeyedDispatchReply::NotOffered) {
        // Not offered: nothing may have been done either.
        let stored = store.list_jobs(&JobFilter::all(10)).await.expect("list");
        assert!(
            stored.is_empty(),
            "a store that does not offer it stored {stored:?}"
        );
        return;
    }
    let (mut accepted, mut limited) = (0, 0);
    for reply in &replies {
        match reply {
            KeyedDispatchReply::Dispatched {
                outcome: DispatchOutcome::Accepted { .. },
                counted: true,
                ..
            } => accepted += 1,
            KeyedDispatchReply::Dispatched {
                outcome: DispatchOutcome::Rejected { decision },
                counted: true,
                ..
            } if decision.rejected == Some(RejectReason::RateLimited) => limited += 1,
            other => panic!("every request is settled and counted: {other:?}"),
        }
    }
    assert_eq!((accepted, limited), (4, 20), "the key's burst, exactly");
    let counters = store.counters().await.expect("counters");
    let value = |series: Series| {
        counters
            .iter()
            .find(|c| c.series == series)
            .map_or(0, |c| c.value)
    };
    assert_eq!(value(Series::http_requests("contract", 202)), 4);
    assert_eq!(value(Series::http_requests("contract", 429)), 20);
    assert_eq!(value(Series::quota_rejection("rate_limited")), 20);
}

async fn access_job<S: KeyCache>(
    store: &S,
    key: &ApiKey,
    job: &JobId,
    access: JobAccess,
    presented: &SecretHash,
    counts: &AccessCounts,
) -> KeyedJobReply {
    let call = KeyedJobAccess {
        buckets: &[],
        key_id: &key.id,
        presented,
        scope: SCOPE,
        job,
        access,
        counts,
    };
    store.access_job_with_cached_key(&call, T0).await.expect("access")
}

/// A keyed job access settles for the key's own job alone: it reads it, or cancels it, and
/// answers "absent" for another key's job, which it leaves untouched; a wrong secret is a lookup,
/// charged. Each settled answer is counted once, as found or absent.
pub async fn a_keyed_access_reads_and_cancels_only_the_keys_own_job<S: KeyCache + JobStore + MetricsStore>(
    store: &S,
) {
    let key = settled_key(41, Limits::default());
    let other = settled_key(42, Limits::default());
    store.put_key(&key).await.expect("put");
    store.put_key(&other).await.expect("put");
    let dispatch = |owner: &ApiKey| {
        let mut job = new_job(0, 1);
        job.key_id = owner.id.clone();
        crate::contract::jobs::request(job)
    };
    let own = crate::contract::jobs::accept(store, &dispatch(&key), T0).await;
    let foreign = crate::contract::jobs::accept(store, &dispatch(&other), T0).await;
    let counts = AccessCounts {
        found: vec![Series::http_requests("contract", 200)],
        absent: vec![Series::http_requests("contract", 404)],
    };
    let settled = |reply: KeyedJobReply| match reply {
        KeyedJobReply::NotOffered => None,
        KeyedJobReply::Settled {
            job,
            counted,
            key: found,
            ..
        } => {
            assert!(counted);
            assert_eq!(found.as_deref(), Some(&key));
            Some(job)
        }
        other => panic!("a verifying key is settled: {other:?}"),
    };
    let right = &key.secret_hash;
    let Some(found) = settled(access_job(store, &key, &own.spec.id, JobAccess::Find, right, &counts).await)
    else {
        // Not offered: nothing may have been done either.
        let after = store.find_job(&foreign.spec.id).await.expect("find");
        assert_eq!(after.map(|j| j.state), Some(foreign.state));
        return;
    };
    assert_eq!(found.as_ref(), Some(&own));
    assert_eq!(
        settled(access_job(store, &key, &foreign.spec.id, JobAccess::Find, right, &counts).await),
        Some(None)
    );
    assert_eq!(
        settled(access_job(store, &key, &foreign.spec.id, JobAccess::Cancel, right, &counts).await),
        Some(None)
    );
    let untouched = store
        .find_job(&foreign.spec.id)
        .await
        .expect("find")
        .expect("job");
    assert_eq!(untouched.state, foreign.state, "another key's job is left alone");
    let cancelled = settled(access_job(store, &key, &own.spec.id, JobAccess::Cancel, right, &counts).await)
        .flatten()
        .expect("the key's own job");
    assert_eq!(cancelled.state, hexaspin_core::job::JobState::Cancelled);
    let wrong = SecretHash::from_hex(&"22".repeat(32)).expect("hash");
    match access_job(store, &key, &own.spec.id, JobAccess::Find, &wrong, &counts).await {
        KeyedJobReply::Looked(lookup) => assert!(lookup.charged, "a wrong secret is charged"),
        other => panic!("a wrong secret is not settled: {other:?}"),
    }
    let counters = store.counters().await.expect("counters");
    let value = |series: Series| {
        counters
            .iter()
            .find(|c| c.series == series)
            .map_or(0, |c| c.value)
    };
    assert_eq!(value(Series::http_requests("contract", 200)), 2, "{counters:?}");
    assert_eq!(value(Series::http_requests("contract", 404)), 2, "{counters:?}");
}
