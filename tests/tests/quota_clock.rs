//! The quota judges a dispatch at the moment it decides, not when the request began. On the
//! embedded default several processes (`spin up`'s instances, the worker) share one SQLite file
//! and queue for its write lock; a request judged at the `now` it read before that wait is refused
//! as "too early" although it is within its limits (measured on `spin up` before this: ~4 % of
//! in-limit dispatches under 32 concurrent clients). On Redis the decision is taken at the Redis
//! server's clock (`TIME` in the script), so app hosts with skewed clocks are judged alike.

use std::path::Path;
use std::sync::Arc;

use hexaspin_config::os::system_now;
use hexaspin_core::Timestamp;
use hexaspin_core::ports::{DispatchOutcome, JobStore};
use hexaspin_core::quota::{QuotaRules, RateRule};
use hexaspin_native::NativeRedis;
use hexaspin_native::SqliteExecutor;
use hexaspin_redis::RedisJobs;
use hexaspin_store_sql::jobs::SqliteJobs;
use hexaspin_tests::contract::jobs::{new_job, request};
use hexaspin_tests::fixtures::{RedisTestJobs, test_redis};

const CONNECTIONS: usize = 2;
const DISPATCHERS_PER_CONNECTION: usize = 16;
const DISPATCHES_EACH: usize = 10;

/// 32 dispatchers on two connections to one file, one key whose limits (100 000/s, burst 100)
/// are far above what one SQLite file commits here (~1 000/s): every dispatch is within them.
/// Returns how many were refused.
async fn refusals_under_load(path: &Path, open: fn(SqliteExecutor) -> SqliteJobs<SqliteExecutor>) -> usize {
    let rules = QuotaRules {
        rate: Some(RateRule::new(100_000, 100).expect("rule")),
        daily_quota: None,
    };
    let mut dispatchers = Vec::new();
    for _ in 0..CONNECTIONS {
        let store = Arc::new(open(SqliteExecutor::open(path).expect("open")));
        for _ in 0..DISPATCHERS_PER_CONNECTION {
            let store = store.clone();
            dispatchers.push(tokio::spawn(async move {
                let mut refused = 0;
                for _ in 0..DISPATCHES_EACH {
                    let mut dispatch = request(new_job(7, 5));
                    dispatch.rules = rules;
                    // As a component does: the request's time, read when it arrives.
                    let now = system_now();
                    match store.dispatch(&dispatch, now).await.expect("dispatch") {
                        DispatchOutcome::Accepted { .. } => {}
                        DispatchOutcome::Rejected { .. } => refused += 1,
                        DispatchOutcome::Duplicate { .. } => panic!("no idempotency key was sent"),
                    }
                }
                refused
            }));
        }
    }
    let mut refused = 0;
    for dispatcher in dispatchers {
        refused += dispatcher.await.expect("dispatcher");
    }
    refused
}

async fn migrated_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("shared.db");
    let executor = SqliteExecutor::open(&path).expect("open");
    hexaspin_store_sql::migrate::up(&executor, Timestamp::from_millis(0))
        .await
        .expect("migrate");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_limit_dispatches_that_wait_for_the_write_lock_are_all_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = migrated_file(dir.path()).await;
    let refused = refusals_under_load(&path, |e| SqliteJobs::with_clock(e, system_now)).await;
    assert_eq!(
        refused,
        0,
        "of {} dispatches within their limits",
        CONNECTIONS * DISPATCHERS_PER_CONNECTION * DISPATCHES_EACH
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn judged_at_the_time_the_request_began_the_same_load_is_refused_in_part() {
    // The control: this load really makes requests wait longer than the burst allows, so the
    // test above would catch a store that judged at the caller's time.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = migrated_file(dir.path()).await;
    let refused = refusals_under_load(&path, SqliteJobs::new).await;
    assert!(
        refused > 0,
        "no request waited long enough to be judged too early"
    );
}

/// Two app hosts dispatch for one key (100/s, burst 100: every dispatch below is within it):
/// host A with a true clock, then host B whose clock is 2 s behind. Returns how many of B's were
/// refused.
async fn lagging_host_refusals(store: &RedisJobs<NativeRedis>) -> usize {
    let rules = QuotaRules {
        rate: Some(RateRule::new(100, 100).expect("rule")),
        daily_quota: None,
    };
    let dispatch = |now: Timestamp| {
        let mut dispatch = request(new_job(7, 5));
        dispatch.rules = rules;
        async move { store.dispatch(&dispatch, now).await.expect("dispatch") }
    };
    for _ in 0..40 {
        let outcome = dispatch(system_now()).await;
        assert!(
            matches!(outcome, DispatchOutcome::Accepted { .. }),
            "host A is within the limits"
        );
    }
    let mut refused = 0;
    for _ in 0..40 {
        let behind = Timestamp::from_millis(system_now().as_millis() - 2_000);
        if let DispatchOutcome::Rejected { .. } = dispatch(behind).await {
            refused += 1;
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_host_whose_clock_is_behind_is_judged_at_the_servers_clock() {
    let fixture = RedisTestJobs::new().await;
    let store = RedisJobs::with_server_clock(test_redis().await, fixture.prefix.clone());
    assert_eq!(
        lagging_host_refusals(&store).await,
        0,
        "of 40 dispatches within the limits"
    );
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn judged_at_a_lagging_hosts_own_clock_its_in_limit_dispatches_are_refused() {
    // The control: with the caller's clock, host B looks 2 s early to the bucket host A filled.
    let fixture = RedisTestJobs::new().await;
    assert_eq!(lagging_host_refusals(&fixture.store).await, 40);
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempt_limiter_on_the_servers_clock_refuses_past_its_burst_and_gives_back_alike() {
    use hexaspin_core::ports::{RateBucket, RateLimiter};
    let fixture = RedisTestJobs::new().await;
    let store = RedisJobs::with_server_clock(test_redis().await, fixture.prefix.clone());
    let bucket = [RateBucket {
        name: "authfail:198.51.100.7".to_owned(),
        rule: RateRule::new(1, 2).expect("rule"),
    }];
    // A caller's clock an hour off changes nothing: the server's decides.
    let skewed = Timestamp::from_millis(system_now().as_millis() - 3_600_000);
    for _ in 0..2 {
        let allowed = store.take(&bucket, skewed).await.expect("take");
        assert!(allowed.rejected.is_none());
    }
    let refused = store.take(&bucket, skewed).await.expect("take");
    assert!(
        refused.rejected.is_some() && refused.retry_after_us > 0,
        "the third within a second is over the burst: {refused:?}"
    );
    assert!(
        refused.retry_after_us <= 1_000_000,
        "judged at the server's time: {refused:?}"
    );
    // Given back on the server's clock too (a skewed clock an hour early would have found the
    // bucket far in its future and still moved it back one interval: the same here).
    store.give_back(&bucket, skewed).await.expect("give back");
    assert!(
        store
            .take(&bucket, skewed)
            .await
            .expect("take")
            .rejected
            .is_none()
    );
    fixture.finish().await;
}

/// The same load through the embedded default's one-step dispatch (the key read beside the
/// limiter, the dispatch and its counts in one write transaction): judged when the write lock is
/// held too, so every in-limit dispatch is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_limit_keyed_dispatches_that_wait_for_the_write_lock_are_all_accepted() {
    use hexaspin_core::api_key::Limits;
    use hexaspin_core::ports::{ApiKeyStore, KeyCache, KeyedDispatch, KeyedDispatchReply, OutcomeCounts};

    let keys = hexaspin_tests::fixtures::TestStore::sqlite().await;
    let path = keys.sqlite_path().expect("a file");
    let mut key = hexaspin_tests::samples::full_key(7, Timestamp::from_millis(0));
    key.remaining = None;
    key.refill = None;
    key.expires_at = None;
    key.limits = Limits {
        rate_per_sec: Some(100_000),
        burst: Some(100),
        ..Limits::default()
    };
    keys.store
        .insert_key(&key, &hexaspin_tests::samples::test_entry(&key))
        .await
        .expect("insert");
    let key = Arc::new(key);
    let mut dispatchers = Vec::new();
    for _ in 0..CONNECTIONS {
        let executor = SqliteExecutor::open(&path).expect("open");
        let store = Arc::new(SqliteJobs::with_clock(executor, system_now).reading_keys_here());
        for _ in 0..DISPATCHERS_PER_CONNECTION {
            let (store, key) = (store.clone(), key.clone());
            dispatchers.push(tokio::spawn(async move {
                let mut refused = 0;
                for _ in 0..DISPATCHES_EACH {
                    let mut job = new_job(7, 5);
                    job.key_id = key.id.clone();
                    let (defaults, counts) = (Limits::default(), OutcomeCounts::default());
                    let call = KeyedDispatch {
                        buckets: &[],
                        presented: &key.secret_hash,
                        scope: "jobs:write",
                        job: &job,
                        idempotency_key: None,
                        idempotency_ttl_ms: 60_000,
                        defaults: &defaults,
                        counts: &counts,
                    };
                    match store
                        .dispatch_with_cached_key(&call, system_now())
                        .await
                        .expect("dispatch")
                    {
                        KeyedDispatchReply::Dispatched {
                            outcome: DispatchOutcome::Accepted { .. },
                            ..
                        } => {}
                        KeyedDispatchReply::Dispatched { .. } => refused += 1,
                        other => panic!("a key in the file that verifies is settled: {other:?}"),
                    }
                }
                refused
            }));
        }
    }
    let mut refused = 0;
    for dispatcher in dispatchers {
        refused += dispatcher.await.expect("dispatcher");
    }
    assert_eq!(
        refused,
        0,
        "of {} keyed dispatches within their limits",
        CONNECTIONS * DISPATCHERS_PER_CONNECTION * DISPATCHES_EACH
    );
    keys.finish().await;
}
