//! What the tests that run the real `runtime-worker` binary against an app share: a worker process
//! with an `echo` kind, and the `smoke` command.

#![allow(dead_code)] // each test binary uses its own part of this

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hexaspin_tests::samples::JWT_SECRET;

/// A worker running `echo` jobs from `wasm_dir`, configured in `dir`, with `env` naming its queue
/// (`QUEUE`, `SQLITE_PATH`, `REDIS_URL`, `REDIS_PREFIX`). Killed when dropped.
pub struct Worker(Child);

impl Worker {
    /// Starts it; it polls every 20 ms with two slots.
    pub fn start(dir: &Path, wasm_dir: &Path, env: &[(&str, String)]) -> Self {
        let config = dir.join("worker.toml");
        let text = format!(
            "[worker]\nconcurrency = 2\npoll_interval_ms = 20\nadmin_listen = \"127.0.0.1:0\"\n\n\
             [kinds.echo]\ncomponent = {:?}\n",
            wasm_dir.join("hexaspin_echo.wasm")
        );
        std::fs::write(&config, text).expect("config");
        Self(spawn_worker(&config, env))
    }

    /// A worker already spawned (with [`spawn_worker`]), stopped when dropped.
    pub fn from_child(child: Child) -> Self {
        Self(child)
    }
}

/// `runtime-worker run --config <config>`, quiet, with the queue only `env` names.
pub fn spawn_worker(config: &Path, env: &[(&str, String)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
        .args(["run", "--config"])
        .arg(config)
        .env_remove("QUEUE")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_PREFIX")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the worker starts")
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `runtime-worker smoke --base-url <base_url> --timeout <seconds>` with the tests' JWT
/// secret, off the async runtime.
pub async fn smoke(base_url: String, timeout_seconds: &str) -> Output {
    let timeout = timeout_seconds.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_runtime-worker"))
            .args(["smoke", "--base-url", &base_url, "--timeout", &timeout])
            .env("JWT_SECRET", JWT_SECRET)
            .env_remove("METRICS_TOKEN")
            .env_remove("JWT_KID")
            .env_remove("JWT_ISSUER")
            .env_remove("JWT_AUDIENCE")
            .output()
            .expect("smoke runs")
    })
    .await
    .expect("smoke finishes")
}

/// Asserts that a smoke run passed all ten steps.
pub fn assert_smoke_passed(output: &Output) {
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "smoke failed:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(printed.matches("  ✓ ").count(), 10, "{printed}");
    assert!(!printed.contains('✗'), "{printed}");
}

/// Waits (up to 10 s) until the worker's admin port at `port` answers `/healthz`.
pub fn wait_for_admin_port(port: u16) {
    let started = std::time::Instant::now();
    while hexaspin_tests::http::get(port, "/healthz").0 != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the admin port never answered"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `runtime-worker run` on `redis_url` (trusting the CA in `ca_file`, if any) with the echo kind,
/// logging at info to a pipe; and its admin port.
pub fn start_redis_worker(dir: &Path, redis_url: &str, ca_file: Option<&Path>) -> (Child, u16) {
    start_redis_worker_with(dir, redis_url, ca_file, &[])
}

/// [`start_redis_worker`] with `env` set too (e.g. `REDIS_DURABILITY`).
pub fn start_redis_worker_with(
    dir: &Path,
    redis_url: &str,
    ca_file: Option<&Path>,
    env: &[(&str, &str)],
) -> (Child, u16) {
    let wasm = hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"]).expect("echo component");
    let port = hexaspin_tests::tls_servers::free_port();
    let config = dir.join("worker.toml");
    std::fs::write(
        &config,
        format!(
            "[worker]\nadmin_listen = \"127.0.0.1:{port}\"\n\n[kinds.echo]\ncomponent = {:?}\n",
            wasm.join("hexaspin_echo.wasm")
        ),
    )
    .expect("config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runtime-worker"));
    command
        .args(["run", "--config"])
        .arg(&config)
        .env("QUEUE", "redis")
        .env("REDIS_URL", redis_url)
        .env("REDIS_PREFIX", "hx-worker-test:")
        .env_remove("SSL_CERT_DIR")
        .env_remove("METRICS_TOKEN")
        .env_remove("REDIS_DURABILITY")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(ca_file) = ca_file {
        command.env("SSL_CERT_FILE", ca_file);
    }
    (command.spawn().expect("the worker starts"), port)
}

/// `/readyz`'s status and body once it answers 200, or its last answer after `seconds`.
pub fn readiness(port: u16, seconds: u64) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let (status, response) = hexaspin_tests::http::get(port, "/readyz");
        if status == 200 || Instant::now() >= deadline {
            let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
            return (status, body.to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn stop(mut child: Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut logs = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut logs);
    }
    logs
}
