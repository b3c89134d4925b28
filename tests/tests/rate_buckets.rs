//! Rate buckets (failed key verifications per client) do not outlive their use: on Redis each
//! bucket key expires once the bucket is full again; on SQLite the periodic clean-up removes the
//! rows of full buckets and keeps the keys' own quota rows.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{JobQueue, RateBucket, RateLimiter};
use hexaspin_core::quota::RateRule;
use hexaspin_redis::RedisValue;
use hexaspin_store_sql::{SqlExecutor, SqlValue};
use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);

fn bucket(name: &str) -> [RateBucket; 1] {
    [RateBucket {
        name: name.to_owned(),
        rule: RateRule::new(1, 10).expect("rule"),
    }]
}

async fn sqlite_bucket_rows(jobs: &SqliteTestJobs) -> Vec<String> {
    let rows = jobs
        .store
        .executor()
        .query("SELECT key_id FROM quota_state ORDER BY key_id", &[])
        .await
        .expect("query");
    rows.iter()
        .map(|row| match &row[0] {
            SqlValue::Text(id) => id.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn sqlite_forgets_buckets_once_they_are_full_again_and_keeps_key_quota_rows() {
    let jobs = SqliteTestJobs::new().await;
    for address in ["10.0.0.1", "10.0.0.2"] {
        jobs.store
            .take(&bucket(&format!("authfail:{address}")), T0)
            .await
            .expect("take");
    }
    // A key's own quota row, which must survive the clean-up.
    jobs.store
        .executor()
        .query(
            "INSERT INTO quota_state (key_id, tat_us, day, day_count) VALUES ('hx_key', 0, 0, 3)",
            &[],
        )
        .await
        .expect("insert");
    assert_eq!(sqlite_bucket_rows(&jobs).await.len(), 3);

    // Half a second later both buckets still hold a charge: nothing is forgotten.
    jobs.store
        .clean_finished(Timestamp::from_millis(T0.as_millis() + 500))
        .await
        .expect("clean");
    assert_eq!(sqlite_bucket_rows(&jobs).await.len(), 3);

    jobs.store
        .clean_finished(T0.plus_seconds(2))
        .await
        .expect("clean");
    assert_eq!(sqlite_bucket_rows(&jobs).await, ["hx_key"]);
    jobs.finish().await;
}

#[tokio::test]
async fn redis_bucket_keys_carry_an_expiry() {
    let jobs = RedisTestJobs::new().await;
    jobs.store
        .take(&bucket("authfail:10.0.0.1"), T0)
        .await
        .expect("take");
    let key = format!("{}bucket:authfail:10.0.0.1", jobs.prefix);
    let ttl = jobs
        .store
        .executor()
        .command(&["PTTL", &key])
        .await
        .expect("PTTL");
    match ttl.first() {
        // One charge of a 1/s bucket: about a second, plus the script's one-second margin.
        Some(RedisValue::Int(ms)) => assert!((1..=2_100).contains(ms), "PTTL {ms}"),
        other => panic!("PTTL answered {other:?}"),
    }
    jobs.finish().await;
}
