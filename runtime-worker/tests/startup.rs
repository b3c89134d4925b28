//! Start-up against a store that is not there yet: the admin port answers at once, readiness
//! stays false, every connection try is logged with its backoff, and SIGTERM still exits 0.

use hexaspin_tests::http::get;
use support::wait_for_admin_port;

mod support;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The password in the Redis URL, which no log line may contain.
const PASSWORD: &str = "startup-test-redis-password";

#[test]
fn an_unreachable_store_keeps_the_worker_alive_but_not_ready() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = dir.path().join("worker.toml");
    // The component is never loaded: loading happens after the store answers.
    std::fs::write(
        &config,
        format!("[worker]\nadmin_listen = \"127.0.0.1:{port}\"\n\n[kinds.echo]\ncomponent = \"echo.wasm\"\n"),
    )
    .expect("config");
    let mut worker = Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
        .args(["run", "--config"])
        .arg(&config)
        .env("QUEUE", "redis")
        .env("REDIS_URL", format!("redis://:{PASSWORD}@127.0.0.1:1/0"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    wait_for_admin_port(port);
    let (status, body) = get(port, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("connecting to the job store"), "{body}");
    std::thread::sleep(Duration::from_millis(2500));
    let kill = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = worker.wait().expect("exit");
    assert!(status.success(), "SIGTERM while connecting exits 0, got {status}");
    let mut logs = String::new();
    worker
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logs)
        .expect("logs");
    let tries: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("cannot reach the job store"))
        .collect();
    assert!(tries.len() >= 2, "each try is logged: {logs}");
    assert!(
        tries
            .iter()
            .all(|l| l.starts_with('{') && l.contains("\"attempt\"") && l.contains("\"delay_ms\"")),
        "{logs}"
    );
    assert!(
        !logs.contains(PASSWORD),
        "the Redis password is in the logs: {logs}"
    );
}
