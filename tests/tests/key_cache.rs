//! The key cache seen from the API (issue 26): every admin change to a key is in force from the
//! very next request on both deployments, also under concurrent load; production verifies a
//! cached key without a key-store query; a cache that cannot be fenced stops the change, never the
//! revocation's effect.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::future::join_all;
use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKeyId, Limits, PresentedKey};
use hexaspin_core::job::JobId;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{ApiKeyStore, AuditLog, JobStore, KeyCache, MetricsStore, RateLimiter};
use hexaspin_redis::RedisJobs;
use hexaspin_tests::counting::{CountingKeys, CountingRedis};
use hexaspin_tests::cuttable_proxy::CuttableProxy;
use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs, TestStore};
use hexaspin_tests::jobs_api::JobsHarness;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);
const ALL: &[&str] = &["jobs:read", "jobs:write"];

trait Keys: ApiKeyStore + AuditLog {}
impl<T: ApiKeyStore + AuditLog> Keys for T {}
trait Jobs: JobStore + RateLimiter + KeyCache + MetricsStore {}
impl<T: JobStore + RateLimiter + KeyCache + MetricsStore> Jobs for T {}

fn echo(n: usize) -> String {
    json!({"kind": "echo", "payload": {"n": n}}).to_string()
}

fn key_id(key: &str) -> ApiKeyId {
    PresentedKey::parse(key).expect("key").id().clone()
}

hexaspin_tests::on_both_deployments!(
    every_key_change_is_in_force_from_the_very_next_request,
    a_key_revoked_under_concurrent_load_is_refused_by_every_request_that_starts_after,
);

/// Disable, enable, scope change, rotation and revocation, each followed at once by the request
/// that must see it (the cache was warm before each).
async fn every_key_change_is_in_force_from_the_very_next_request<K: Keys, J: Jobs>(
    api: &JobsHarness<'_, K, J>,
) {
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let path = format!("/api/admin/api-keys/{}", key_id(&key));
    let dispatch =
        |key: String, n| async move { api.with_key(&key, "POST", "/api/jobs", Some(&echo(n)), NOW).await };
    assert_eq!(dispatch(key.clone(), 0).await.status, 202);

    let patch = |body: serde_json::Value| {
        let path = path.clone();
        async move {
            api.to_key_admin("PATCH", &path, Some(&body.to_string()), NOW)
                .await
        }
    };
    assert_eq!(patch(json!({"enabled": false})).await.status, 200);
    assert_eq!(dispatch(key.clone(), 1).await.code(), "api_key_disabled");
    assert_eq!(patch(json!({"enabled": true})).await.status, 200);
    assert_eq!(dispatch(key.clone(), 2).await.status, 202);
    assert_eq!(patch(json!({"scopes": ["jobs:read"]})).await.status, 200);
    assert_eq!(
        dispatch(key.clone(), 3).await.status,
        403,
        "the write scope is gone"
    );
    assert_eq!(patch(json!({"scopes": ALL})).await.status, 200);

    let rotated = api
        .to_key_admin("POST", &format!("{path}/rotate"), Some("{}"), NOW)
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    let new_secret = rotated.json["key"].as_str().expect("new key").to_owned();
    assert_eq!(
        dispatch(key.clone(), 4).await.code(),
        "invalid_api_key",
        "no grace: the old secret is gone"
    );
    assert_eq!(dispatch(new_secret.clone(), 5).await.status, 202);

    let revoked = api
        .to_key_admin("POST", &format!("{path}/revoke"), Some("{}"), NOW)
        .await;
    assert_eq!(revoked.status, 200, "{:?}", revoked.json);
    assert_eq!(dispatch(new_secret, 6).await.code(), "api_key_revoked");
}

/// Eight clients dispatch in a loop with one key while an admin revokes it: every request that
/// began after the revocation answered is refused, none is accepted.
async fn a_key_revoked_under_concurrent_load_is_refused_by_every_request_that_starts_after<
    K: Keys,
    J: Jobs,
>(
    api: &JobsHarness<'_, K, J>,
) {
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let revoked = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let client = |worker: usize| {
        let (key, revoked, accepted) = (key.clone(), revoked.clone(), accepted.clone());
        async move {
            let mut answers = Vec::new();
            for n in 0..60 {
                let started_after_revocation = revoked.load(Ordering::SeqCst);
                let reply = api
                    .with_key(&key, "POST", "/api/jobs", Some(&echo(worker * 1000 + n)), NOW)
                    .await;
                if reply.status == 202 {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
                answers.push((started_after_revocation, reply.status, reply.code().to_owned()));
                tokio::task::yield_now().await;
            }
            answers
        }
    };
    let admin = async {
        // Let the clients warm the cache and get going first.
        while accepted.load(Ordering::SeqCst) < 16 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let path = format!("/api/admin/api-keys/{}/revoke", key_id(&key));
        let reply = api.to_key_admin("POST", &path, Some("{}"), NOW).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        revoked.store(true, Ordering::SeqCst);
    };
    let (answers, ()) = futures::join!(join_all((0..8).map(client)), admin);
    let answers: Vec<_> = answers.into_iter().flatten().collect();
    assert!(
        answers.iter().any(|(_, status, _)| *status == 202),
        "the key worked before"
    );
    assert!(
        answers.iter().any(|(_, _, code)| code == "api_key_revoked"),
        "and was refused after"
    );
    let after: Vec<_> = answers
        .into_iter()
        .filter(|(started_after, _, _)| *started_after)
        .map(|(_, status, code)| (status, code))
        .collect();
    assert!(!after.is_empty(), "some requests started after the revocation");
    // Each use of a revoked key counts as a failed verification, so past the client's burst the
    // answer is 429 (charged before the key is read); never an accepted job.
    let unexpected: Vec<_> = after
        .iter()
        .filter(|(_, code)| code != "api_key_revoked" && code != "too_many_failed_attempts")
        .take(5)
        .collect();
    assert!(
        unexpected.is_empty(),
        "answered after the revocation: {unexpected:?}"
    );
}

/// Dispatches ten jobs with `key` through `counted` (a harness over a counting key store); each
/// is accepted.
async fn dispatch_ten<K: Keys, J: Jobs>(counted: &JobsHarness<'_, K, J>, key: &str, first: usize) {
    for n in first..first + 10 {
        let reply = counted
            .with_key(key, "POST", "/api/jobs", Some(&echo(n)), NOW)
            .await;
        assert_eq!(reply.status, 202, "{:?}", reply.json);
    }
}

/// Production keeps keys in Redis: after the first lookup (a miss filled from Postgres) or a
/// write-through at creation, dispatches read no key from Postgres.
#[tokio::test]
async fn production_dispatches_with_a_cached_key_query_no_key_store() {
    let keys = TestStore::postgres().await;
    let jobs = RedisTestJobs::new().await;
    let api = JobsHarness::new(&keys.store, &jobs.store);
    let created = api.key(ALL, Limits::default(), None, NOW).await;
    let counting = CountingKeys::new(&keys.store);
    let counted = JobsHarness::new(&counting, &jobs.store);
    dispatch_ten(&counted, &created, 0).await;
    assert_eq!(
        counting.take(),
        0,
        "written through at creation: no lookup at all"
    );

    // A key the cache has never seen (cached before this release, or its write-through lost).
    let unseen = api.key(ALL, Limits::default(), None, NOW).await;
    let id = key_id(&unseen);
    jobs.store.fence_key(&id, 2).await.expect("fence");
    let stored = keys.store.find_key(&id).await.expect("find").expect("key");
    let mut bumped = stored.clone();
    bumped.version = 2;
    assert!(
        keys.store
            .update_key(&bumped, 1, &hexaspin_tests::samples::test_entry(&bumped))
            .await
            .expect("update")
    );
    dispatch_ten(&counted, &unseen, 100).await;
    assert_eq!(counting.take(), 1, "one miss, filled, then hits");
    jobs.finish().await;
    keys.finish().await;
}

/// However Redis lost writes (a failover to a lagging replica, a restore), a cached record or
/// fence outlives them by at most ten minutes: both expire, and the key store is asked again.
#[tokio::test]
async fn cached_records_and_fences_expire_within_ten_minutes() {
    let jobs = RedisTestJobs::new().await;
    let key = hexaspin_tests::samples::full_key(9, NOW);
    let redis = hexaspin_tests::fixtures::test_redis().await;
    let entry = format!("{}keycache:{}", jobs.prefix, key.id);
    let ttl = || async {
        redis.command(&["PTTL", &entry]).await.expect("PTTL")[0]
            .int()
            .expect("a number")
    };
    jobs.store.put_key(&key).await.expect("put");
    let after_put = ttl().await;
    assert!((1..=600_000).contains(&after_put), "{after_put}");
    redis.command(&["PERSIST", &entry]).await.expect("PERSIST");
    jobs.store
        .fence_key(&key.id, key.version + 1)
        .await
        .expect("fence");
    let after_fence = ttl().await;
    assert!((1..=600_000).contains(&after_fence), "{after_fence}");
    jobs.finish().await;
}

/// The embedded default keeps keys and jobs in one SQLite file: the key check reads the key in the
/// limiter's own transaction, so a dispatch queries the key store not at all.
#[tokio::test]
async fn embedded_dispatches_in_one_file_query_no_key_store() {
    let keys = TestStore::sqlite().await;
    let jobs = SqliteTestJobs::beside_keys(&keys);
    let api = JobsHarness::new(&keys.store, &jobs.store);
    let created = api.key(ALL, Limits::default(), None, NOW).await;
    let counting = CountingKeys::new(&keys.store);
    let counted = JobsHarness::new(&counting, &jobs.store);
    dispatch_ten(&counted, &created, 0).await;
    assert_eq!(counting.take(), 0, "the key is read beside the limiter");
    jobs.finish().await;
    keys.finish().await;
}

/// With Redis away, a revocation cannot fence the cache: it is refused with 503 and the key store
/// is not changed, so the key the cache still holds is not revoked behind its back. Once Redis is
/// back the revocation goes through and the next dispatch is refused.
#[tokio::test]
async fn a_revocation_that_cannot_fence_the_cache_is_refused_and_changes_nothing() {
    let keys = TestStore::postgres().await;
    let jobs = RedisTestJobs::new().await;
    let proxy = CuttableProxy::start(hexaspin_tests::fixtures::test_redis_address()).await;
    let through_proxy = RedisJobs::new(
        hexaspin_native::NativeRedis::connect(&format!("redis://127.0.0.1:{}", proxy.port))
            .await
            .expect("connect"),
        jobs.prefix.clone(),
    );
    let api = JobsHarness::new(&keys.store, &through_proxy);
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(0)), NOW)
            .await
            .status,
        202
    );

    proxy.cut();
    let path = format!("/api/admin/api-keys/{}/revoke", key_id(&key));
    let refused = api.to_key_admin("POST", &path, Some("{}"), NOW).await;
    assert_eq!(
        (refused.status, refused.code()),
        (503, "store_unavailable"),
        "{:?}",
        refused.json
    );
    let stored = keys
        .store
        .find_key(&key_id(&key))
        .await
        .expect("find")
        .expect("key");
    assert_eq!(
        (stored.revoked_at, stored.version),
        (None, 1),
        "the key store was not changed"
    );
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(1)), NOW)
            .await
            .status,
        503,
        "a dispatch without Redis is a 503, never an accept"
    );

    proxy.restore();
    let revoked = api.to_key_admin("POST", &path, Some("{}"), NOW).await;
    assert_eq!(revoked.status, 200, "{:?}", revoked.json);
    assert_eq!(
        api.with_key(&key, "POST", "/api/jobs", Some(&echo(2)), NOW)
            .await
            .code(),
        "api_key_revoked"
    );
    drop(through_proxy);
    jobs.finish().await;
    keys.finish().await;
}

/// Issue 26, item 1: with the key cached, a production dispatch, read or cancellation is one
/// Redis round trip, the request's count included (the harness counts after answering exactly as the component does);
/// a key the cache has not seen costs the lookup, the fill and the dispatch, once.
#[tokio::test]
async fn a_production_request_with_a_cached_key_is_one_redis_round_trip_count_included() {
    let keys = TestStore::postgres().await;
    let jobs = RedisTestJobs::new().await;
    let counting = RedisJobs::new(
        CountingRedis::new(hexaspin_tests::fixtures::test_redis().await),
        jobs.prefix.clone(),
    );
    let api = JobsHarness::new(&keys.store, &counting);
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    counting.executor().take();
    for n in 0..5 {
        let reply = api.with_key(&key, "POST", "/api/jobs", Some(&echo(n)), NOW).await;
        assert_eq!(reply.status, 202, "{:?}", reply.json);
        assert_eq!(counting.executor().take(), ["keyed_dispatch"], "dispatch {n}");
    }

    // A cache entry an older release wrote (no scopes or limits beside it) is a miss: filled
    // again from the key store, and then settled in one round trip.
    let redis = hexaspin_tests::fixtures::test_redis().await;
    let entry = format!("{}keycache:{}", jobs.prefix, key_id(&key));
    redis
        .command(&["HDEL", &entry, "t", "sc", "d"])
        .await
        .expect("HDEL");
    let reply = api
        .with_key(&key, "POST", "/api/jobs", Some(&echo(10)), NOW)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.json);
    assert_eq!(
        counting.executor().take(),
        ["keyed_dispatch", "key_cache_put", "dispatch", "add_counts"],
        "a miss: looked up, filled, dispatched, counted"
    );
    let reply = api
        .with_key(&key, "POST", "/api/jobs", Some(&echo(11)), NOW)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.json);
    assert_eq!(
        counting.executor().take(),
        ["keyed_dispatch"],
        "filled: one round trip again"
    );

    // A read and a cancellation of the key's own job, and a read of a job it does not have: one
    // round trip each.
    let id = reply.json["id"].as_str().expect("an id").to_owned();
    for (method, path, status) in [
        ("GET", format!("/api/jobs/{id}"), 200),
        ("DELETE", format!("/api/jobs/{id}"), 200),
        ("GET", format!("/api/jobs/{}", JobId::from_random([7; 16])), 404),
    ] {
        let reply = api.with_key(&key, method, &path, None, NOW).await;
        assert_eq!(reply.status, status, "{method} {path}: {:?}", reply.json);
        assert_eq!(counting.executor().take(), ["keyed_job"], "{method} {path}");
    }

    // The counts the scripts added are the ones counting after would have: one per answer.
    let counters = counting.counters().await.expect("counters");
    let accepted = counters
        .iter()
        .find(|c| c.series == Series::http_requests("jobs", 202))
        .map(|c| c.value);
    let errors = counters
        .iter()
        .find(|c| c.series == Series::http_requests("jobs", 404))
        .map(|c| c.value);
    assert_eq!(
        accepted,
        Some(7 + 2),
        "seven dispatches, a read, a cancellation: {counters:?}"
    );
    assert_eq!(errors, Some(1), "{counters:?}");
    jobs.finish().await;
    keys.finish().await;
}

/// What a client sees of one answer: status, problem code and the quota's headers.
type Seen = (u16, String, Vec<(String, String)>);

/// The answers to a fixed series of dispatches (accepted, malformed, malformed with a wrong key,
/// an unknown kind, a key without the scope, a wrong key, then the key's burst spent) and of
/// reads and cancellations (the key's own job, another key's, a malformed id with a wrong key and
/// with a right one, a cancellation without the scope and with it).
async fn dispatch_series<K: Keys, J: Jobs>(api: &JobsHarness<'_, K, J>) -> Vec<Seen> {
    let limits = Limits {
        rate_per_sec: Some(1),
        burst: Some(2),
        ..Limits::default()
    };
    let writer = api.key(ALL, limits, None, NOW).await;
    let reader = api.key(&["jobs:read"], Limits::default(), None, NOW).await;
    let mut wrong = writer.clone();
    wrong.pop();
    wrong.push(if writer.ends_with('A') { 'B' } else { 'A' });
    let mut seen = Vec::new();
    let mut first_job = None;
    for (key, body) in [
        (&writer, echo(0)),
        (&writer, "{not json".to_owned()),
        (&wrong, "{not json".to_owned()),
        (&writer, json!({"kind": "nope", "payload": {}}).to_string()),
        (&reader, echo(1)),
        (&wrong, echo(2)),
        (&writer, echo(3)),
        (&writer, echo(4)),
    ] {
        let reply = api.with_key(key, "POST", "/api/jobs", Some(&body), NOW).await;
        let mut headers: Vec<(String, String)> = reply
            .headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("ratelimit") || name.as_str() == "retry-after")
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        headers.sort();
        seen.push((reply.status, reply.code().to_owned(), headers));
        if reply.status == 202 && first_job.is_none() {
            first_job = reply.json["id"].as_str().map(str::to_owned);
        }
    }
    let job = format!("/api/jobs/{}", first_job.expect("a job was accepted"));
    for (key, method, path) in [
        (&writer, "GET", job.as_str()),
        (&reader, "GET", job.as_str()),
        (&wrong, "GET", "/api/jobs/not-an-id"),
        (&writer, "GET", "/api/jobs/not-an-id"),
        (&reader, "DELETE", job.as_str()),
        (&writer, "DELETE", job.as_str()),
    ] {
        let reply = api.with_key(key, method, path, None, NOW).await;
        let state = reply.json["state"].as_str().unwrap_or("").to_owned();
        seen.push((reply.status, format!("{}{state}", reply.code()), Vec::new()));
    }
    seen
}

/// A dispatch, a read or a cancellation settled in one step (production: one Redis script;
/// embedded: one SQLite write transaction) answers like the two-step path (a queue that does not hold the keys) in every
/// way a client sees: the same refusals for a key without the scope, a wrong secret, an invalid
/// body (the key's failure first), and the quota's headers.
#[tokio::test]
async fn a_dispatch_settled_in_one_step_answers_as_the_two_step_path_does() {
    let keys = TestStore::postgres().await;
    let redis_jobs = RedisTestJobs::new().await;
    let embedded_keys = TestStore::sqlite().await;
    let embedded_jobs = SqliteTestJobs::beside_keys(&embedded_keys);
    let apart_keys = TestStore::sqlite().await;
    let apart_jobs = SqliteTestJobs::new().await;
    let production = dispatch_series(&JobsHarness::new(&keys.store, &redis_jobs.store)).await;
    let embedded = dispatch_series(&JobsHarness::new(&embedded_keys.store, &embedded_jobs.store)).await;
    let two_steps = dispatch_series(&JobsHarness::new(&apart_keys.store, &apart_jobs.store)).await;
    assert_eq!(production, two_steps, "production");
    assert_eq!(embedded, two_steps, "embedded");
    assert_eq!(
        two_steps.iter().map(|(status, ..)| *status).collect::<Vec<_>>(),
        [
            202, 400, 401, 422, 403, 401, 202, 429, 200, 404, 401, 404, 403, 200
        ]
    );
    redis_jobs.finish().await;
    keys.finish().await;
    embedded_jobs.finish().await;
    embedded_keys.finish().await;
    apart_jobs.finish().await;
    apart_keys.finish().await;
}

/// A rollout with the previous release's pods beside this one's: an old pod changes a key (it
/// fences, dropping the record but not this release's scopes and limits, then writes the new
/// record without them). This release's next dispatch must not settle with the scopes left from
/// the earlier version: it misses, fills from Postgres, and answers by the change.
#[tokio::test]
async fn an_older_releases_change_to_a_key_is_a_miss_never_a_dispatch_by_stale_scopes() {
    use hexaspin_core::api_key::{Scopes, cached_key_json};

    let keys = TestStore::postgres().await;
    let jobs = RedisTestJobs::new().await;
    let api = JobsHarness::new(&keys.store, &jobs.store);
    let key = api.key(ALL, Limits::default(), None, NOW).await;
    let reply = api.with_key(&key, "POST", "/api/jobs", Some(&echo(0)), NOW).await;
    assert_eq!(reply.status, 202, "{:?}", reply.json);

    // The old pod's change: jobs:write taken away, version 2.
    let id = key_id(&key);
    let stored = keys.store.find_key(&id).await.expect("find").expect("key");
    let mut changed = stored.clone();
    changed.version = 2;
    changed.scopes = Scopes::parse(&["jobs:read"]).expect("scopes");
    let redis = hexaspin_tests::fixtures::test_redis().await;
    let entry = format!("{}keycache:{id}", jobs.prefix);
    // The previous release's key_cache_fence.lua and key_cache_put.lua, field for field.
    redis
        .command(&["HDEL", &entry, "v", "key", "h", "ph", "pe", "u"])
        .await
        .expect("old fence");
    redis
        .command(&["HSET", &entry, "fence", "2"])
        .await
        .expect("old fence");
    assert!(
        keys.store
            .update_key(&changed, 1, &hexaspin_tests::samples::test_entry(&changed))
            .await
            .expect("update")
    );
    redis
        .command(&[
            "HSET",
            &entry,
            "v",
            "2",
            "key",
            &cached_key_json(&changed),
            "h",
            &changed.secret_hash.to_hex(),
            "ph",
            "",
            "pe",
            "",
            "u",
            "",
        ])
        .await
        .expect("old write-through");

    let refused = api.with_key(&key, "POST", "/api/jobs", Some(&echo(1)), NOW).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "missing_scope"),
        "{:?}",
        refused.json
    );
    let fields = redis.command(&["HMGET", &entry, "t", "sc"]).await.expect("HMGET");
    assert_eq!(
        fields.iter().map(|f| f.text()).collect::<Vec<_>>(),
        ["2", " jobs:read "],
        "filled again from Postgres with this release's fields"
    );
    jobs.finish().await;
    keys.finish().await;
}
