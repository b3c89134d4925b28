//! A Redis that can lose queued jobs, named at start-up: the worker against a real redis-server
//! that evicts keys (`maxmemory-policy allkeys-lru`) and has no append-only file logs an error
//! line for each, exports `hexaspin_worker_redis_unsafe_config{setting=…} 1` and says it on
//! `/readyz` (still ready: the queue works until Redis fills up or restarts); a safe one shows 0.
//! A Redis whose ACL refuses INFO is reported as unchecked (never as safe), and
//! `REDIS_DURABILITY=managed` accepts a Redis without the append-only file but not an evicting one.

use hexaspin_tests::http::get;
use hexaspin_tests::tls_servers::TestRedis;
use support::{readiness, start_redis_worker, start_redis_worker_with, stop};

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

/// The value of the unchecked gauge on the worker's `/metrics`.
fn unchecked(port: u16) -> Option<String> {
    let (status, metrics) = get(port, "/metrics");
    assert_eq!(status, 200, "{metrics}");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("hexaspin_worker_redis_durability_unchecked "))
        .map(str::to_owned)
}

#[test]
fn a_redis_whose_acl_refuses_info_is_reported_unchecked_on_readyz_in_metrics_and_the_logs() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    // The worker's user may run everything but INFO (as a managed service's restricted user can).
    let acl = [
        "--user",
        "worker",
        "on",
        ">worker-pass",
        "~*",
        "&*",
        "+@all",
        "-info",
    ];
    let Some(redis) = TestRedis::start(None, &acl) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("redis://worker:worker-pass@127.0.0.1:{}/0", redis.port);
    let (worker, port) = start_redis_worker(dir.path(), &url, None);
    let (status, body) = readiness(port, 30);
    let gauge = unchecked(port);
    let eviction = unsafe_config(port, "maxmemory_policy");
    let logs = stop(worker);
    // Ready (the queue works), but saying that nothing was checked.
    assert_eq!(status, 200, "{body}\n{logs}");
    assert!(
        body.starts_with("ready\n") && body.contains("warning: Redis refused INFO") && body.contains("+info"),
        "{body}"
    );
    assert_eq!(gauge.as_deref(), Some("1"), "{logs}");
    // Unknown is not safe: no unsafe-config series claims 0.
    assert_eq!(eviction, None, "{logs}");
    let loud: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("REDIS UNCHECKED FOR A JOB QUEUE"))
        .collect();
    assert_eq!(loud.len(), 1, "{logs}");
    assert!(loud[0].contains("\"level\":\"ERROR\""), "{logs}");
    assert!(
        !logs.contains("worker-pass"),
        "the password reached the logs:\n{logs}"
    );
}

#[test]
fn redis_durability_managed_accepts_a_redis_without_the_append_only_file_but_not_an_evicting_one() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    let managed = [("REDIS_DURABILITY", "managed")];
    // noeviction, no AOF (TestRedis runs with appendonly no): what a managed service may look like.
    let Some(redis) = TestRedis::start(None, &["--maxmemory-policy", "noeviction"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let (worker, port) = start_redis_worker_with(dir.path(), &url, None, &managed);
    let (status, body) = readiness(port, 30);
    let appendonly = unsafe_config(port, "appendonly");
    let gauge = unchecked(port);
    let logs = stop(worker);
    assert_eq!((status, body.as_str()), (200, "ready\n"), "{logs}");
    assert_eq!(appendonly.as_deref(), Some("0"), "{logs}");
    assert_eq!(gauge.as_deref(), Some("0"), "{logs}");
    assert!(!logs.contains("UNSAFE REDIS"), "{logs}");

    // The eviction policy is still the operator's to fix, managed or not.
    let Some(evicting) = TestRedis::start(None, &["--maxmemory-policy", "volatile-lru"]) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}/0", evicting.port);
    let (worker, port) = start_redis_worker_with(dir.path(), &url, None, &managed);
    let (status, body) = readiness(port, 30);
    let eviction = unsafe_config(port, "maxmemory_policy");
    let appendonly = unsafe_config(port, "appendonly");
    let logs = stop(worker);
    assert_eq!(status, 200, "{body}\n{logs}");
    assert!(
        body.contains("warning: Redis maxmemory-policy is volatile-lru"),
        "{body}"
    );
    assert!(!body.contains("append-only"), "{body}");
    assert_eq!(eviction.as_deref(), Some("1"), "{logs}");
    assert_eq!(appendonly.as_deref(), Some("0"), "{logs}");
}

#[test]
fn an_unknown_redis_durability_stops_the_worker_at_start_with_the_values_it_takes() {
    if hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).is_none() {
        return;
    }
    let Some(redis) = TestRedis::start(None, &[]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let (mut worker, _) = start_redis_worker_with(dir.path(), &url, None, &[("REDIS_DURABILITY", "off")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = worker.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker kept running with REDIS_DURABILITY=off"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let logs = stop(worker);
    assert!(!status.success(), "{logs}");
    assert!(
        logs.contains("REDIS_DURABILITY=\"off\"") && logs.contains("managed"),
        "{logs}"
    );
}
