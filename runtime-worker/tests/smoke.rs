//! `runtime-worker smoke` end to end: the real binary checks an app served over real HTTP, with
//! the real worker binary running the job. Without Spin on this machine, the app is a native
//! stand-in that routes exactly as spin.toml does to the same `hexaspin_api` handlers the
//! components call, on one SQLite file shared with the worker (the embedded default). With the
//! worker running, every step passes; without it, the smoke test stops at the job with ✗ and a
//! non-zero exit. Against `spin up` in every deployment: `spin_deployments.rs`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use hexaspin_api::admin_keys::AdminApi;
use hexaspin_api::health::{Dependency, respond, wants_readiness};
use hexaspin_api::jobs::{JobsApi, JobsSettings};
use hexaspin_api::metrics::MetricsApi;
use hexaspin_api::metrics::requests::count_request;
use hexaspin_config::client_address::ClientAddressSource;
use hexaspin_config::settings::{AdminSettings, AuthFailureSettings, load_dispatch_settings};
use hexaspin_config::system::{OsEntropy, system_now};
use hexaspin_core::Timestamp;
use hexaspin_core::quota::RateRule;
use hexaspin_core::use_cases::DispatchSettings;
use hexaspin_native::{NativeExecutor, SqliteExecutor};
use hexaspin_store_sql::SqlStore;
use hexaspin_store_sql::jobs::SqliteJobs;
use hexaspin_tests::api::TestConfig;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use support::{Worker, assert_smoke_passed, smoke};

mod support;

/// The app's stores and settings: what each component opens per request in Spin.
struct App {
    keys: SqlStore<NativeExecutor>,
    jobs: SqliteJobs<SqliteExecutor>,
    admin: AdminSettings,
    dispatch: DispatchSettings,
}

impl App {
    /// Routes as spin.toml does, answers with the component's handler, then counts the request
    /// as that component does.
    async fn serve(&self, request: hexaspin_api::Request) -> hexaspin_api::Response {
        let path = request.uri().path().to_owned();
        let now = system_now();
        let (component, response) = if path.starts_with("/api/admin/api-keys") || path == "/api/admin/audit" {
            let api = AdminApi {
                store: &self.keys,
                entropy: &OsEntropy,
                settings: &self.admin,
            };
            ("admin-keys", api.handle(&request, now).await)
        } else if path.starts_with("/api/jobs") || path.starts_with("/api/admin/") {
            let settings = JobsSettings::loaded(
                self.admin.clone(),
                self.dispatch.clone(),
                AuthFailureSettings {
                    rule: RateRule::new(1, 10).expect("rule"),
                    client_address: ClientAddressSource::Peer,
                },
            );
            let api = JobsApi {
                keys: &self.keys,
                jobs: &self.jobs,
                entropy: &OsEntropy,
                settings: &settings,
            };
            ("jobs", api.handle(&request, now).await)
        } else if path == "/metrics" {
            let api = MetricsApi {
                keys: &self.keys,
                jobs: &self.jobs,
                metrics: &self.jobs,
                token: None,
                kinds: &self.dispatch.kinds,
            };
            ("metrics", api.handle(&request, now).await)
        } else if wants_readiness(&request) {
            let ping = self.keys.ping().await.map_err(|e| e.to_string());
            (
                "health",
                respond(&request, &[Dependency { name: "sqlite", ping }]),
            )
        } else {
            return respond(&request, &[]); // liveness: no I/O, not counted
        };
        count_request(&self.jobs, component, &response).await;
        response
    }
}

/// Serves `app` on a free port until the test ends.
async fn serve(app: App) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = Arc::new(app);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let app = app.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let bytes = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes().to_vec())
                            .unwrap_or_default();
                        let response = app.serve(http::Request::from_parts(parts, bytes)).await;
                        Ok::<_, Infallible>(response.map(|body| Full::new(Bytes::from(body))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

async fn app_on(database: &Path) -> App {
    let executor = NativeExecutor::sqlite(database).expect("SQLite opens");
    hexaspin_store_sql::migrate::up(&executor, Timestamp::from_millis(0))
        .await
        .expect("migrations");
    App {
        keys: SqlStore::new(executor),
        jobs: SqliteJobs::with_clock(SqliteExecutor::open(database).expect("SQLite opens"), system_now),
        admin: AdminSettings::load(&TestConfig).expect("settings"),
        dispatch: load_dispatch_settings(&TestConfig).expect("dispatch settings"),
    }
}

fn wasm_dir() -> Option<PathBuf> {
    hexaspin_tests::fixtures::built_wasm(&["hexaspin_echo.wasm"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_passes_every_step_against_a_running_app_and_worker() {
    let Some(wasm) = wasm_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("app.db");
    let address = serve(app_on(&database).await).await;
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
    let address = serve(app_on(&database).await).await;

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
