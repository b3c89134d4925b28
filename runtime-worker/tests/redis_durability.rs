//! A Redis that can lose queued jobs, named at start-up: the worker against a real redis-server
//! that evicts keys (`maxmemory-policy allkeys-lru`) and has no append-only file logs an error
//! line for each, exports `hexaspin_worker_redis_unsafe_config{setting=…} 1` and says it on
//! `/readyz` (still ready: the queue works until Redis fills up or restarts); a safe one shows 0.

use hexaspin_tests::http::get;
use hexaspin_tests::tls_servers::TestRedis;
use support::{readiness, start_redis_worker, stop};

mod support;

/// The value of the unsafe-config gauge for `setting` on the worker's `/metrics`.
fn unsafe_config(port: u16, setting: &str) -> Option<String> {
    let (status, metrics) = get(port, "/metrics");
    assert_eq!(status, 200, "{metrics}");
    let series = format!("hexaspin_worker_redis_unsafe_config{{setting=\"{setting}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map(str::to_owned)
}

#[test]
fn an_evicting_redis_without_its_append_only_file_is_reported_loudly_in_metrics_and_on_readyz() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    let Some(redis) = TestRedis::start(None, &["--maxmemory-policy", "allkeys-lru"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (worker, port) = start_redis_worker(dir.path(), &format!("redis://127.0.0.1:{}/0", redis.port), None);
    let (status, body) = readiness(port, 30);
    let eviction = unsafe_config(port, "maxmemory_policy");
    let appendonly = unsafe_config(port, "appendonly");
    let logs = stop(worker);
    assert_eq!(status, 200, "{body}\n{logs}");
    assert!(
        body.contains("warning: Redis maxmemory-policy is allkeys-lru")
            && body.contains("warning: Redis runs without the append-only file"),
        "{body}"
    );
    assert_eq!(eviction.as_deref(), Some("1"), "{logs}");
    assert_eq!(appendonly.as_deref(), Some("1"), "{logs}");
    let loud: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("UNSAFE REDIS FOR A JOB QUEUE"))
        .collect();
    assert_eq!(loud.len(), 2, "{logs}");
    assert!(
        loud.iter().all(|line| line.contains("\"level\":\"ERROR\"")),
        "{logs}"
    );
}

#[test]
fn a_redis_with_noeviction_and_the_append_only_file_gives_no_warning() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    let Some(redis) = TestRedis::start(None, &["--maxmemory-policy", "noeviction", "--appendonly", "yes"])
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (worker, port) = start_redis_worker(dir.path(), &format!("redis://127.0.0.1:{}/0", redis.port), None);
    let (status, body) = readiness(port, 30);
    let eviction = unsafe_config(port, "maxmemory_policy");
    let appendonly = unsafe_config(port, "appendonly");
    let logs = stop(worker);
    assert_eq!((status, body.as_str()), (200, "ready\n"), "{logs}");
    assert_eq!(eviction.as_deref(), Some("0"), "{logs}");
    assert_eq!(appendonly.as_deref(), Some("0"), "{logs}");
    assert!(!logs.contains("UNSAFE REDIS"), "{logs}");
}
