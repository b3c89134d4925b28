//! The admin page in a real Chromium against the real app (under `spin up` when Spin is on PATH,
//! else the native stand-in) with a real worker: sign-in by link, a key created (its secret shown
//! once), edited, rotated and revoked, the audit log, a dead job retried from the page and run by
//! the worker and then deleted, the overview's counters, labels and keyboard focus, a 390 px screen, and the way
//! back to sign-in for an expired or refused token. The steps are in
//! `admin-ui/e2e/admin-ui.e2e.mjs` (playwright-core); screenshots of every page are written to
//! `target/test-output/admin-ui/`.
//!
//! Needs Chromium on PATH and the page built with its npm packages installed (`cargo xtask test`
//! does both and makes this test required; a bare `cargo test` without them prints SKIPPED).

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hexaspin_config::os::system_now;
use hexaspin_core::admin_auth::{TokenRequest, issue_admin_token};
use hexaspin_core::quota::RateRule;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::{create_api_key, send_bearer};
use hexaspin_tests::live_app::LiveApp;
use hexaspin_tests::prerequisites::Prerequisite;
use hexaspin_tests::samples::JWT_SECRET;
use hexaspin_tests::spin_up::workspace_root;
use serde_json::json;
use support::spawn_worker;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            let output = Command::new("which").arg(name).output().ok()?;
            output
                .status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
        })
}

fn output_dir() -> PathBuf {
    std::env::var_os("HEXASPIN_TEST_OUTPUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/test-output"))
        .join("admin-ui")
}

/// An admin token as `issue_admin_token` makes it, with the given secret and issue time.
fn token_signed(secret: &[u8], issued_at: hexaspin_core::Timestamp) -> String {
    let request = TokenRequest {
        sub: "browser",
        ttl_seconds: 600,
        max_ttl_seconds: 3600,
        kid: None,
        issuer: None,
        audience: None,
    };
    issue_admin_token(secret, &request, issued_at).expect("token")
}

/// A worker running `chaos` jobs with `chaos_component` (the real chaos component, or after the
/// "fix", the echo component) and echo jobs with echo.
fn worker(
    dir: &std::path::Path,
    wasm: &std::path::Path,
    chaos_component: &str,
    env: &[(&str, String)],
) -> support::Worker {
    let config = dir.join(format!("worker-{chaos_component}"));
    let text = format!(
        "[worker]\nconcurrency = 2\npoll_interval_ms = 20\nadmin_listen = \"127.0.0.1:0\"\n\n\
         [backoff]\nbase_ms = 50\nmax_ms = 100\n\n\
         [kinds.echo]\ncomponent = {:?}\n\n[kinds.chaos]\ncomponent = {:?}\n",
        wasm.join("hexaspin_echo.wasm"),
        wasm.join(chaos_component),
    );
    std::fs::write(&config, text).expect("config");
    support::Worker::from_child(spawn_worker(&config, env))
}

fn wait_for_state(port: u16, key: &str, job: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = send_bearer(port, "GET", &format!("/api/jobs/{job}"), key, None);
        if reply.json["state"] == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {job} never became {state}: {}",
            reply.json
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_works_in_chromium_against_the_real_app() {
    let Some(chromium) = chromium() else {
        return Prerequisite::Chromium.missing("no Chromium on PATH (Debian: apt-get install chromium)");
    };
    let ui = workspace_root().join("admin-ui");
    if !ui.join("node_modules/playwright-core").is_dir()
        || !workspace_root().join("target/admin-ui/index.html").is_file()
    {
        return Prerequisite::Wasm.missing(
            "the admin page is not built or its npm packages are not installed (cargo xtask build-ui)",
        );
    }
    let Some(wasm) = hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm", "hexaspin_chaos.wasm"])
    else {
        return;
    };
    let app = LiveApp::start_with_kinds(RateRule::new(1, 10).expect("rule"), Some("echo,chaos")).await;
    let port = app.port();
    let now = system_now();
    let admin = admin_token("browser", now);
    let key = create_api_key(
        port,
        &admin,
        &json!({ "name": "jobs", "scopes": ["jobs:read", "jobs:write"], "limits": { "rate_per_sec": 100, "burst": 100 } }),
    );

    // A handler that keeps failing: the job is dead after its one attempt.
    let dir = tempfile::tempdir().expect("tempdir");
    let env = app.worker_env();
    let broken = worker(dir.path(), &wasm, "hexaspin_chaos.wasm", &env);
    let dispatched = send_bearer(
        port,
        "POST",
        "/api/jobs",
        &key,
        Some(&json!({ "kind": "chaos", "payload": { "action": "retry" }, "max_attempts": 1 })),
    );
    assert_eq!(dispatched.status, 202, "{}", dispatched.json);
    let job = dispatched.json["id"].as_str().expect("job id").to_owned();
    wait_for_state(port, &key, &job, "dead");
    // The fix is deployed (the kind now runs a handler that succeeds); the page retries the job.
    drop(broken);
    let fixed = worker(dir.path(), &wasm, "hexaspin_echo.wasm", &env);

    let expired = token_signed(JWT_SECRET.as_bytes(), now.plus_seconds(-3600));
    let forged = token_signed(b"not-the-app-secret-0123456789-abcdefghij", now);
    let output = output_dir();
    let script = ui.join("e2e/admin-ui.e2e.mjs");
    let run = tokio::task::spawn_blocking({
        let (base, job) = (app.base_url(), job.clone());
        let output = output.clone();
        move || {
            Command::new("node")
                .arg(script)
                .current_dir(workspace_root().join("admin-ui"))
                .env("HX_BASE_URL", base)
                .env("HX_CHROMIUM", chromium)
                .env("HX_OUTPUT", &output)
                .env("HX_ADMIN_TOKEN", admin)
                .env("HX_EXPIRED_TOKEN", expired)
                .env("HX_FORGED_TOKEN", forged)
                .env("HX_DEAD_JOB", job)
                .output()
                .expect("node runs")
        }
    })
    .await
    .expect("join");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    println!(
        "admin page in Chromium against {} ({}):\n{text}",
        app.base_url(),
        app.runtime()
    );
    drop(fixed);
    assert!(
        run.status.success(),
        "the browser steps failed (screenshots in {}):\n{text}",
        output.display()
    );
    // The page deleted the job once it had succeeded.
    let gone = send_bearer(port, "GET", &format!("/api/jobs/{job}"), &key, None);
    assert_eq!(gone.status, 404, "{}", gone.json);
}
