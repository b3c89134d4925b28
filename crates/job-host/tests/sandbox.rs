//! The sandbox with real job components (built for wasm32-wasip2 by `cargo xtask test`):
//! results, handler errors, and the misbehaviour it must contain — an endless loop, a memory bomb,
//! a panic, a call to a host that is not allowed — each failing its attempt only.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use hexaspin_job_host::{Attempt, FailureCause, HostBounds, KindConfig, Sandbox, SandboxConfig};

fn kind(name: &str, component: PathBuf, allowed_hosts: &[&str]) -> KindConfig {
    KindConfig {
        name: name.into(),
        component,
        max_timeout: Duration::from_secs(5),
        memory_bytes: 16 << 20,
        allowed_hosts: allowed_hosts.iter().map(|h| h.to_string()).collect(),
        allow_private_networks: false,
        bounds: Default::default(),
        host: Default::default(),
    }
}

fn attempt(kind: &str, payload: &str, timeout_ms: u64) -> Attempt {
    Attempt {
        job_id: "0123456789abcdef0123456789abcdef".into(),
        kind: kind.into(),
        payload: payload.into(),
        attempt: 1,
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// A one-shot HTTP server on loopback answering every request with `status`; returns its port.
fn http_server(status: u16, requests: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let body = "{}";
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn sandbox(port: u16) -> Option<Sandbox> {
    // SKIPPED without the components, a failure under HEXASPIN_REQUIRE_WASM.
    let dir = hexaspin_tests::fixtures::built_wasm(&[
        "hexaspin_echo.wasm",
        "hexaspin_chaos.wasm",
        "hexaspin_webhook.wasm",
    ])?;
    let (echo, chaos, webhook) = (
        dir.join("hexaspin_echo.wasm"),
        dir.join("hexaspin_chaos.wasm"),
        dir.join("hexaspin_webhook.wasm"),
    );
    let allowed = format!("http://127.0.0.1:{port}");
    // The same server by name: listed, but the name resolves to loopback.
    let by_name = format!("http://localhost:{port}");
    let kinds = [
        kind("echo", echo, &[]),
        kind("chaos", chaos.clone(), &[allowed.as_str(), by_name.as_str()]),
        kind("closed", chaos, &[]),
        kind("webhook", webhook, &[allowed.as_str()]),
    ];
    let config = SandboxConfig {
        max_instances: 8,
        max_memory_bytes: 16 << 20,
        epoch_tick: Duration::from_millis(5),
    };
    Some(Sandbox::new(&config, &kinds).expect("the sandbox loads the components"))
}

#[tokio::test]
async fn echo_returns_its_payload() {
    let Some(sandbox) = sandbox(1) else { return };
    let report = sandbox.run(&attempt("echo", r#"{"hello":"wörld"}"#, 1000)).await;
    assert_eq!(report.outcome, Ok(r#"{"hello":"wörld"}"#.to_owned()));
}

#[tokio::test]
async fn handler_errors_say_whether_to_retry() {
    let Some(sandbox) = sandbox(1) else { return };
    let retry = sandbox
        .run(&attempt("chaos", r#"{"action":"retry"}"#, 1000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!((retry.cause, retry.retryable), (FailureCause::HandlerRetry, true));
    let fail = sandbox
        .run(&attempt("chaos", r#"{"action":"fail"}"#, 1000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        (fail.cause, fail.retryable, fail.message.as_str()),
        (FailureCause::HandlerFail, false, "asked to fail")
    );
    assert!(
        sandbox
            .run(&attempt("chaos", r#"{"action":"log"}"#, 1000))
            .await
            .outcome
            .is_ok()
    );
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_deadline_and_the_next_job_runs() {
    let Some(sandbox) = sandbox(1) else { return };
    let started = std::time::Instant::now();
    let report = sandbox.run(&attempt("chaos", r#"{"action":"loop"}"#, 200)).await;
    let failure = report.outcome.unwrap_err();
    assert_eq!((failure.cause, failure.retryable), (FailureCause::Timeout, true));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped after {:?}",
        started.elapsed()
    );
    assert!(report.call >= Duration::from_millis(200));
    assert!(sandbox.run(&attempt("echo", "1", 1000)).await.outcome.is_ok());
}

#[tokio::test]
async fn a_memory_bomb_traps_at_its_cap_and_the_next_job_runs() {
    let Some(sandbox) = sandbox(1) else { return };
    let failure = sandbox
        .run(&attempt("chaos", r#"{"action":"alloc"}"#, 3000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        (failure.cause, failure.retryable),
        (FailureCause::MemoryLimit, false),
        "{}",
        failure.message
    );
    assert!(sandbox.run(&attempt("echo", "2", 1000)).await.outcome.is_ok());
}

#[tokio::test]
async fn host_resources_are_capped_per_instance_and_the_next_job_runs() {
    let Some(sandbox) = sandbox(1) else { return };
    let max = HostBounds::default().max_resources;
    let within = sandbox
        .run(&attempt("chaos", r#"{"action":"hoard_fields","size":100}"#, 3000))
        .await;
    assert_eq!(within.outcome, Ok(r#"{"held":100}"#.to_owned()));
    let hoard = format!(r#"{{"action":"hoard_fields","size":{}}}"#, max * 4);
    let failure = sandbox
        .run(&attempt("chaos", &hoard, 3000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        (failure.cause, failure.retryable),
        (FailureCause::HostResourceLimit, false),
        "{}",
        failure.message
    );
    assert!(failure.message.contains(&max.to_string()), "{}", failure.message);
    assert!(sandbox.run(&attempt("echo", "3", 1000)).await.outcome.is_ok());
}

#[tokio::test]
async fn unsent_request_bodies_hold_at_most_one_small_chunk_each_on_the_host() {
    let Some(sandbox) = sandbox(1) else { return };
    let chunk = HostBounds::default().max_body_chunk_bytes as u64;
    let report = sandbox
        .run(&attempt("chaos", r#"{"action":"hoard_bodies","size":50}"#, 5000))
        .await;
    let output: serde_json::Value =
        serde_json::from_str(&report.outcome.expect("50 bodies fit the resource cap")).expect("json");
    let held = output["bytes"].as_u64().expect("bytes");
    assert!(held > 0, "the job could write to its bodies");
    assert!(
        held <= 50 * 2 * chunk,
        "50 unsent bodies made the host hold {held} bytes, more than two chunks of {chunk} each"
    );
    let hoard = r#"{"action":"hoard_bodies","size":10000}"#;
    let failure = sandbox
        .run(&attempt("chaos", hoard, 5000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        failure.cause,
        FailureCause::HostResourceLimit,
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn a_panic_fails_the_attempt_only() {
    let Some(sandbox) = sandbox(1) else { return };
    let failure = sandbox
        .run(&attempt("chaos", r#"{"action":"panic"}"#, 1000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!((failure.cause, failure.retryable), (FailureCause::Trap, true));
    assert!(
        failure.message.starts_with("the job crashed"),
        "{}",
        failure.message
    );
    assert!(sandbox.run(&attempt("echo", "3", 1000)).await.outcome.is_ok());
}

#[tokio::test]
async fn outbound_http_reaches_allowed_hosts_only() {
    let port = http_server(200, 1);
    let Some(sandbox) = sandbox(port) else { return };
    let allowed = format!(r#"{{"action":"fetch","url":"http://127.0.0.1:{port}/"}}"#);
    assert_eq!(
        sandbox.run(&attempt("chaos", &allowed, 3000)).await.outcome,
        Ok(r#"{"status":200}"#.to_owned())
    );
    let forbidden = sandbox
        .run(&attempt(
            "chaos",
            r#"{"action":"fetch","url":"http://127.0.0.2:9/secret"}"#,
            3000,
        ))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        forbidden.cause,
        FailureCause::ForbiddenHost("http://127.0.0.2:9".into())
    );
    assert!(!forbidden.retryable, "retrying a forbidden call cannot help");
    assert!(!forbidden.message.contains("secret"), "{}", forbidden.message);
    // The same URL the chaos kind may call is refused to a kind with an empty list.
    let closed = sandbox
        .run(&attempt("closed", &allowed, 3000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        closed.cause,
        FailureCause::ForbiddenHost(format!("http://127.0.0.1:{port}"))
    );
}

#[tokio::test]
async fn a_listed_name_resolving_to_loopback_or_a_url_with_credentials_is_refused() {
    let port = http_server(200, 2);
    let Some(sandbox) = sandbox(port) else { return };
    let by_name = format!(r#"{{"action":"fetch","url":"http://localhost:{port}/"}}"#);
    let refused = sandbox
        .run(&attempt("chaos", &by_name, 3000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        refused.cause,
        FailureCause::ForbiddenHost(format!("http://localhost:{port}"))
    );
    assert!(
        refused.message.contains("internal address"),
        "{}",
        refused.message
    );
    let with_credentials =
        format!(r#"{{"action":"fetch","url":"http://admin:hunter2@127.0.0.1:{port}/?token=abc"}}"#);
    let refused = sandbox
        .run(&attempt("chaos", &with_credentials, 3000))
        .await
        .outcome
        .unwrap_err();
    assert!(refused.message.contains("credentials"), "{}", refused.message);
    for secret in ["hunter2", "admin", "token=abc"] {
        assert!(
            !refused.message.contains(secret),
            "{secret} leaked: {}",
            refused.message
        );
    }
    // The webhook names a refused URL by its origin only: the query may carry a token.
    let hook = r#"{"url":"http://127.0.0.2:9/hook?token=s3cret","body":{}}"#;
    let refused = sandbox
        .run(&attempt("webhook", hook, 3000))
        .await
        .outcome
        .unwrap_err();
    assert!(!refused.message.contains("s3cret"), "{}", refused.message);
    assert!(
        refused.message.contains("http://127.0.0.2:9"),
        "{}",
        refused.message
    );
}

#[tokio::test]
async fn the_webhook_retries_on_5xx_and_fails_on_4xx() {
    for (status, expected) in [
        (200, None),
        (503, Some((FailureCause::HandlerRetry, true))),
        (400, Some((FailureCause::HandlerFail, false))),
    ] {
        let port = http_server(status, 1);
        let Some(sandbox) = sandbox(port) else { return };
        let payload = format!(r#"{{"url":"http://127.0.0.1:{port}/hook","body":{{"order":7}}}}"#);
        let outcome = sandbox.run(&attempt("webhook", &payload, 3000)).await.outcome;
        match expected {
            None => assert_eq!(outcome, Ok(format!(r#"{{"status":{status}}}"#))),
            Some((cause, retryable)) => {
                let failure = outcome.unwrap_err();
                assert_eq!(
                    (failure.cause, failure.retryable),
                    (cause, retryable),
                    "{}",
                    failure.message
                );
            }
        }
    }
}

#[tokio::test]
async fn many_attempts_share_the_pool_without_failing() {
    let Some(sandbox) = sandbox(1) else { return };
    let attempts: Vec<_> = (0..64).map(|n| attempt("echo", &n.to_string(), 2000)).collect();
    let reports = futures::future::join_all(attempts.iter().map(|a| sandbox.run(a))).await;
    for (n, report) in reports.into_iter().enumerate() {
        assert_eq!(report.outcome, Ok(n.to_string()));
    }
}

#[tokio::test]
async fn an_unknown_kind_fails_without_retry() {
    let Some(sandbox) = sandbox(1) else { return };
    let failure = sandbox
        .run(&attempt("resize", "{}", 1000))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        (failure.cause, failure.retryable),
        (FailureCause::UnknownKind, false)
    );
}

#[tokio::test]
async fn output_and_error_messages_are_bounded_per_kind() {
    let Some(sandbox) = sandbox(1) else { return };
    let small = sandbox
        .run(&attempt("chaos", r#"{"action":"big_output","size":1000}"#, 3000))
        .await;
    assert_eq!(small.outcome.map(|o| o.len()), Ok(1002));
    let big = sandbox
        .run(&attempt(
            "chaos",
            r#"{"action":"big_output","size":100000}"#,
            3000,
        ))
        .await
        .outcome
        .unwrap_err();
    assert_eq!(
        (big.cause, big.retryable),
        (FailureCause::OutputTooLarge, false),
        "{}",
        big.message
    );
    let long_error = sandbox
        .run(&attempt("chaos", r#"{"action":"big_error","size":100000}"#, 3000))
        .await
        .outcome
        .unwrap_err();
    assert!(long_error.message.len() <= 4096, "{}", long_error.message.len());
    assert!(long_error.message.ends_with("(truncated)"));
    // A flood of log lines is cut, not the attempt.
    let flood = sandbox
        .run(&attempt("chaos", r#"{"action":"flood_log","size":5000}"#, 5000))
        .await;
    assert_eq!(flood.outcome, Ok("{}".to_owned()));
}
