//! `runtime-worker flush-key-cache` as an operator runs it after Redis lost writes: the real
//! binary against the test Redis. It removes the cached key records under its prefix and nothing
//! else (a change in flight keeps its fence), and refuses to run without a Redis queue.

use std::process::Command;

use hexaspin_core::Timestamp;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{KeyCache, MetricsStore};
use hexaspin_tests::fixtures::{RedisTestJobs, test_redis, test_redis_url};
use hexaspin_tests::samples::full_key;

const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn flush(env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
        .arg("flush-key-cache")
        .env_remove("QUEUE")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_PREFIX")
        .envs(env.iter().copied())
        .output()
        .expect("runtime-worker runs")
}

#[tokio::test]
async fn flushing_the_key_cache_removes_the_cached_records_under_its_prefix_only() {
    let jobs = RedisTestJobs::new().await;
    let other = RedisTestJobs::new().await;
    for seed in 1..=3 {
        jobs.store.put_key(&full_key(seed, NOW)).await.expect("put");
    }
    other.store.put_key(&full_key(4, NOW)).await.expect("put");
    let in_flight = full_key(5, NOW);
    jobs.store
        .fence_key(&in_flight.id, 9)
        .await
        .expect("a change in flight: fenced, not yet written");
    jobs.store
        .add_counts(&[(Series::http_requests("jobs", 200), 1)])
        .await
        .expect("a counter, which must stay");

    let url = test_redis_url();
    let output = flush(&[
        ("QUEUE", "redis"),
        ("REDIS_URL", &url),
        ("REDIS_PREFIX", &jobs.prefix),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("flushed 3 cached key records"), "{stdout}");

    let redis = test_redis().await;
    let count = |pattern: String| {
        let redis = &redis;
        async move { redis.command(&["KEYS", &pattern]).await.expect("KEYS").len() }
    };
    assert_eq!(
        count(format!("{}keycache:*", jobs.prefix)).await,
        1,
        "only the fence of the change in flight is left"
    );
    jobs.store
        .put_key(&{
            let mut old = in_flight.clone();
            old.version = 8;
            old
        })
        .await
        .expect("a late fill");
    let wrong = hexaspin_core::api_key::SecretHash::from_hex(&"00".repeat(32)).expect("hash");
    let lookup = jobs
        .store
        .take_and_find_key(&[], &in_flight.id, &wrong, NOW)
        .await
        .expect("lookup");
    assert_eq!(lookup.cached, None, "the fence still refuses the late fill");
    assert_eq!(
        count(format!("{}keycache:*", other.prefix)).await,
        1,
        "another prefix is untouched"
    );
    assert_eq!(
        count(format!("{}counters", jobs.prefix)).await,
        1,
        "other keys are untouched"
    );
    jobs.finish().await;
    other.finish().await;
}

#[test]
fn flushing_without_a_redis_queue_is_refused_with_a_reason() {
    let output = flush(&[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("QUEUE is not redis"), "{stderr}");
}
