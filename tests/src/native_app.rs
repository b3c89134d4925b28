//! The app served natively, for tests on machines without Spin: routes exactly as spin.toml
//! does to the same `hexaspin_api` handlers the components call, on one SQLite file (the
//! embedded default) a worker can share. `runtime-worker smoke` and the schemathesis run use it
//! when `spin` is not on PATH.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use hexaspin_api::admin_keys::AdminApi;
use hexaspin_api::docs::{AssetsDir, DocsApi};
use hexaspin_api::health::{Dependency, respond, wants_readiness};
use hexaspin_api::jobs::{JobsApi, JobsSettings};
use hexaspin_api::metrics::MetricsApi;
use hexaspin_api::metrics::requests::count_request;
use hexaspin_config::client_address::ClientAddressSource;
use hexaspin_config::os::{OsEntropy, system_now};
use hexaspin_config::settings::{AdminSettings, AuthFailureSettings, load_dispatch_settings};
use hexaspin_core::Timestamp;
use hexaspin_core::quota::RateRule;
use hexaspin_core::use_cases::DispatchSettings;
use hexaspin_native::{NativeExecutor, SqliteExecutor};
use hexaspin_store_sql::SqlStore;
use hexaspin_store_sql::jobs::SqliteJobs;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::api::TestConfig;

/// The app's stores and settings: what each component opens per request in Spin.
struct App {
    keys: SqlStore<NativeExecutor>,
    jobs: SqliteJobs<SqliteExecutor>,
    admin: AdminSettings,
    users: hexaspin_config::users::UserSettings,
    dispatch: DispatchSettings,
    auth_failures: RateRule,
}

impl App {
    /// Routes as spin.toml does, answers with the component's handler, then counts the request
    /// as that component does.
    async fn serve(&self, request: hexaspin_api::Request) -> hexaspin_api::Response {
        let path = request.uri().path().to_owned();
        let now = system_now();
        let users_route = ["/api/users", "/api/auth/", "/api/admin/users"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        let (component, response) = if users_route {
            let api = hexaspin_api::users::UsersApi {
                store: &self.keys,
                limiter: &self.jobs,
                entropy: &OsEntropy,
                settings: &self.users,
                admin_auth: &|| Ok(self.admin.auth.clone()),
            };
            ("users", api.handle(&request, now).await)
        } else if path.starts_with("/api/admin/api-keys") || path == "/api/admin/audit" {
            let api = AdminApi {
                store: &self.keys,
                cache: &self.jobs,
                entropy: &OsEntropy,
                settings: &self.admin,
            };
            ("admin-keys", api.handle(&request, now).await)
        } else if path.starts_with("/api/jobs") || path.starts_with("/api/admin/") {
            let settings = JobsSettings::loaded(
                self.admin.clone(),
                self.dispatch.clone(),
                AuthFailureSettings {
                    rule: self.auth_failures,
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
                access: &hexaspin_api::metrics::MetricsAccess::Public,
                kinds: &self.dispatch.kinds,
            };
            ("metrics", api.handle(&request, now).await)
        } else if path == "/admin-ui" || path.starts_with("/admin-ui/") {
            let assets = AssetsDir(crate::spin_up::workspace_root().join("target/admin-ui"));
            return hexaspin_api::admin_ui::AdminUiApi { assets: &assets }.handle(&request); // no store, not counted
        } else if path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/") {
            let api = DocsApi {
                public: true,
                admin_auth: &|| Ok(self.admin.auth.clone()),
                assets: &AssetsDir(crate::spin_up::workspace_root().join("target/docs-ui")),
            };
            return api.handle(&request, now); // no store, not counted (as the component)
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

/// The app on a migrated SQLite file at `database`, served on a free port until the test ends.
pub async fn start(database: &Path) -> SocketAddr {
    start_with(database, RateRule::new(1, 10).expect("rule")).await
}

/// Like [`start`], with `auth_failures` as the per-address limit on keys that do not verify
/// (the `auth_failure_*` settings).
pub async fn start_with(database: &Path, auth_failures: RateRule) -> SocketAddr {
    start_with_kinds(database, auth_failures, None).await
}

/// Like [`start_with`], accepting the job kinds `kinds` (comma-separated) when given.
pub async fn start_with_kinds(database: &Path, auth_failures: RateRule, kinds: Option<&str>) -> SocketAddr {
    serve(app_on(database, auth_failures, kinds).await).await
}

async fn app_on(database: &Path, auth_failures: RateRule, kinds: Option<&str>) -> App {
    let executor = NativeExecutor::sqlite(database).expect("SQLite opens");
    hexaspin_store_sql::migrate::up_all(&executor, Timestamp::from_millis(0))
        .await
        .expect("migrations");
    App {
        keys: SqlStore::new(executor),
        jobs: SqliteJobs::with_clock(SqliteExecutor::open(database).expect("SQLite opens"), system_now),
        admin: AdminSettings::load(&TestConfig).expect("settings"),
        users: hexaspin_config::users::UserSettings::load(&crate::users_api::UserTestConfig)
            .expect("user settings"),
        dispatch: load_dispatch_settings(&WithKinds(kinds)).expect("dispatch settings"),
        auth_failures,
    }
}

/// The test settings with `job_kinds` set to `kinds` when given.
struct WithKinds<'a>(Option<&'a str>);

impl hexaspin_config::settings::ConfigSource for WithKinds<'_> {
    fn get(&self, name: &str) -> Result<Option<String>, hexaspin_config::settings::ConfigError> {
        match (name, self.0) {
            ("job_kinds", Some(kinds)) => Ok(Some(kinds.to_owned())),
            _ => TestConfig.get(name),
        }
    }
}
