//! `runtime-worker smoke` end to end: the real binary checks an app served over real HTTP, with
//! the real worker binary running the job. Without Spin on this machine, the app is a native
//! stand-in that routes exactly as spin.toml does to the same `hexaspin_api` handlers the
//! components call, on one SQLite file shared with the worker (the embedded default). With the
//! worker running, every step passes; without it, the smoke test stops at the job with ✗ and a
//! non-zero exit. Against `spin up` in every deployment: `spin_deployments.rs`.

use std::path::PathBuf;

use hexaspin_tests::native_app;
use support::{Worker, assert_smoke_passed, smoke};

mod support;

fn wasm_dir() -> Option<PathBuf> {
    hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_passes_every_step_against_a_running_app_and_worker() {
    let Some(wasm) = wasm_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("app.db");
    let address = native_app::start(&database).await;
    let worker = Worker::start(
        dir.path(),
        &wasm,
        &[("SQLITE_PATH", database.display().to_string())],
    );

    let output = smoke(format!("http://{address}"), "30").await;
    drop(worker);
    assert_smoke_passed(&output);
    let printed = String::from_utf8_lossy(&output.stdout);
    for step in [
        "readiness",
        "the worker runs it to success",
        "metrics counted it",
        "refused",
    ] {
        assert!(printed.contains(step), "{step} in {printed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_stops_with_a_cross_and_fails_when_no_worker_runs_the_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("app.db");
    let address = native_app::start(&database).await;

    let output = smoke(format!("http://{address}"), "1").await;
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{printed}");
    assert_eq!(
        printed.matches("  ✓ ").count(),
        6,
        "six steps pass before the job: {printed}"
    );
    assert!(
        printed.contains("  ✗ the worker runs it to success: still queued after 1 s"),
        "{printed}"
    );
    assert!(
        !printed.contains("metrics counted it"),
        "it stops at the first failure: {printed}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("step 7 of 10"),
        "the exit explains where it stopped"
    );
}
