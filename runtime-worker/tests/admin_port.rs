//! The worker's admin port: loopback unless configured, and `/metrics` behind `METRICS_TOKEN`
//! when it is set, like the app's. The worker runs against a Redis that is not there, which
//! keeps it at the admin port (no job component is needed).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hexaspin_tests::http::{get, send};
use support::wait_for_admin_port;

mod support;

const TOKEN: &str = "worker-metrics-token-0123456789abcdefghij";

fn start(dir: &std::path::Path, admin_listen: Option<&str>, token: Option<&str>) -> Child {
    let config = dir.join("worker.toml");
    let listen = admin_listen.map_or(String::new(), |l| format!("admin_listen = \"{l}\"\n"));
    std::fs::write(
        &config,
        format!("[worker]\n{listen}\n[kinds.echo]\ncomponent = \"echo.wasm\"\n"),
    )
    .expect("config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runtime-worker"));
    command
        .args(["run", "--config"])
        .arg(&config)
        .env("QUEUE", "redis")
        .env("REDIS_URL", "redis://127.0.0.1:1/0")
        .env("RUST_LOG", "warn")
        .env_remove("METRICS_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.env("METRICS_TOKEN", token);
    }
    command.spawn().expect("start")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn with_a_metrics_token_the_admin_port_serves_metrics_only_to_its_bearer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let _worker = Killed(start(dir.path(), Some(&format!("127.0.0.1:{port}")), Some(TOKEN)));
    wait_for_admin_port(port);
    let missing = send(port, "GET", "/metrics", &[], None);
    assert_eq!((missing.status, missing.code()), (401, "missing_token"));
    let wrong = send(
        port,
        "GET",
        "/metrics",
        &[("authorization", "Bearer not-the-token")],
        None,
    );
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_token"));
    let bearer = format!("Bearer {TOKEN}");
    let (status, _) = {
        let reply = send(port, "GET", "/metrics", &[("authorization", &bearer)], None);
        (reply.status, reply)
    };
    assert_eq!(status, 200);
    // Probes stay open: kubelet sends no token.
    assert_eq!(get(port, "/healthz").0, 200);
}

#[test]
fn a_placeholder_metrics_token_stops_the_worker_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let worker = start(
        dir.path(),
        Some(&format!("127.0.0.1:{port}")),
        Some("CHANGE_ME_TO_32_OR_MORE_RANDOM_BYTES"),
    );
    let output = worker.wait_with_output().expect("exits");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("metrics_token") && stderr.contains("placeholder"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("CHANGE_ME_TO_32"),
        "the value is never shown: {stderr}"
    );
}

#[test]
fn by_default_the_admin_port_listens_on_loopback_only() {
    // The default is 127.0.0.1:9090; another process may hold 9090 here, so read what the
    // worker says it bound instead of connecting.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut worker = start(dir.path(), None, None);
    let started = Instant::now();
    let mut stderr = worker.stderr.take().expect("stderr");
    let _worker = Killed(worker);
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    while !seen.contains("cannot reach the job store") && !seen.contains("cannot listen") {
        assert!(started.elapsed() < Duration::from_secs(10), "{seen}");
        let n = std::io::Read::read(&mut stderr, &mut buffer).expect("read");
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    if seen.contains("cannot listen") {
        assert!(seen.contains("127.0.0.1:9090"), "{seen}");
    } else {
        assert_eq!(get(9090, "/healthz").0, 200, "{seen}");
        let outside = local_non_loopback_address();
        if let Some(address) = outside {
            assert!(
                std::net::TcpStream::connect((address, 9090)).is_err(),
                "the admin port answers on {address}"
            );
        }
    }
}

/// This machine's address on its first non-loopback interface, if it has one.
fn local_non_loopback_address() -> Option<std::net::IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let address = socket.local_addr().ok()?.ip();
    (!address.is_loopback()).then_some(address)
}
