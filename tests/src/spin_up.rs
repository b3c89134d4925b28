//! A real `spin up` of this app for end-to-end tests, in any of its deployments: keys in SQLite or
//! Postgres, jobs and quotas in SQLite or Redis, each on stores of its own (a fresh SQLite file, a
//! Postgres schema, a Redis key prefix).
//!
//! When Spin cannot run here, [`spin_app`] prints SKIPPED with the reason, unless
//! `HEXASPIN_REQUIRE_SPIN` (set by `.ci/run` whenever `spin` is on PATH) makes that a failure.
//! Every start and skip is recorded in the file `HEXASPIN_SPIN_REPORT` names, from which
//! `cargo xtask test` says how many Spin tests ran and on which Spin.
//!
//! Which build of the components runs is `HEXASPIN_SPIN_BUILD`: `wasip2` (spin.toml, the default)
//! or `wasip3` (the spin.wasip3.toml `cargo xtask build-wasm` writes beside it; Spin >= 4.1).
//!
//! `spin up` runs its trigger as a child process (`spin trigger http`): [`SpinUp`] stops all of
//! them and fails the test if one outlives it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hexaspin_config::os::system_now;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate;

use crate::cleanup::{RedisKeysGuard, SchemaGuard};
use crate::prerequisites::Prerequisite;
use crate::samples::{JWT_SECRET, PEPPER};
pub use crate::spin_process::{Process, SpinUp, free_port};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("parent")
        .to_path_buf()
}

/// Which build of the components the Spin tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpinBuild {
    /// spin-sdk 5.2, WASI 0.2 (spin.toml): Spin >= 3.6.
    Wasip2,
    /// spin-sdk 7, WASI 0.3 (spin.wasip3.toml): Spin >= 4.1, instances reused across requests.
    Wasip3,
}

impl SpinBuild {
    /// The build `HEXASPIN_SPIN_BUILD` names (`wasip2` when unset).
    pub fn from_env() -> Self {
        match std::env::var("HEXASPIN_SPIN_BUILD").as_deref() {
            Err(_) | Ok("") | Ok("wasip2") => Self::Wasip2,
            Ok("wasip3") => Self::Wasip3,
            Ok(other) => panic!("HEXASPIN_SPIN_BUILD={other:?}: say wasip2 or wasip3"),
        }
    }

    /// Its name, as in `HEXASPIN_SPIN_BUILD`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wasip2 => "wasip2",
            Self::Wasip3 => "wasip3",
        }
    }

    /// The manifest this build runs for `manifest` (a path from the workspace root).
    pub fn manifest(self, manifest: &str) -> String {
        match self {
            Self::Wasip2 => manifest.to_owned(),
            Self::Wasip3 => match manifest.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/spin.wasip3.toml"),
                None => "spin.wasip3.toml".to_owned(),
            },
        }
    }

    /// Where this build's components are staged, from the workspace root.
    pub fn wasm_dir(self) -> &'static str {
        match self {
            Self::Wasip2 => "target/wasm32-wasip2/release",
            Self::Wasip3 => "target/wasm32-wasip2/wasip3",
        }
    }
}

/// `spin --version`, if Spin is on PATH.
pub fn spin_version() -> Option<String> {
    let output = Command::new("spin").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Where the API keys live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStore {
    /// Spin's `default` SQLite database (the embedded default).
    Sqlite,
    /// Postgres (production).
    Postgres,
}

/// Where jobs, quota state and counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// The same SQLite database (the embedded default).
    Sqlite,
    /// Redis (production).
    Redis,
}

/// One way to deploy the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The `store` variable.
    pub store: KeyStore,
    /// The `queue` variable.
    pub queue: Queue,
}

impl Deployment {
    /// No services at all: what `spin up` gives a new user.
    pub const EMBEDDED: Self = Self {
        store: KeyStore::Sqlite,
        queue: Queue::Sqlite,
    };
    /// Keys in Postgres, jobs and quotas in Redis.
    pub const PRODUCTION: Self = Self {
        store: KeyStore::Postgres,
        queue: Queue::Redis,
    };
    /// Keys in Postgres, the queue still embedded.
    pub const POSTGRES_KEYS_SQLITE_QUEUE: Self = Self {
        store: KeyStore::Postgres,
        queue: Queue::Sqlite,
    };
    /// Keys embedded, the queue in Redis.
    pub const SQLITE_KEYS_REDIS_QUEUE: Self = Self {
        store: KeyStore::Sqlite,
        queue: Queue::Redis,
    };

    /// `store+queue`, as the tests name it.
    pub fn name(&self) -> &'static str {
        match (self.store, self.queue) {
            (KeyStore::Sqlite, Queue::Sqlite) => "sqlite+sqlite",
            (KeyStore::Postgres, Queue::Redis) => "postgres+redis",
            (KeyStore::Postgres, Queue::Sqlite) => "postgres+sqlite",
            (KeyStore::Sqlite, Queue::Redis) => "sqlite+redis",
        }
    }
}

/// A running `spin up` of this app on stores of its own.
pub struct App {
    /// Where it listens on 127.0.0.1.
    pub port: u16,
    /// The SQLite file Spin serves as `default` (a worker can open it too).
    pub database: PathBuf,
    /// The deployment it runs.
    pub deployment: Deployment,
    /// Where Spin writes the components' stdout/stderr (`<component>_stderr.txt`).
    pub log_dir: PathBuf,
    // Dropped in this order: Spin stops before its stores go.
    spin: SpinUp,
    postgres_schema: Option<PostgresSchema>,
    redis_keys: Option<RedisKeysGuard>,
    _state: tempfile::TempDir,
}

impl App {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The Redis key prefix of this app, when its queue is Redis.
    pub fn redis_prefix(&self) -> Option<&str> {
        self.redis_keys.as_ref().map(|keys| keys.0.as_str())
    }

    /// The `application_name` of the app's Postgres connections, when it has a Postgres store.
    pub fn postgres_application_name(&self) -> Option<&str> {
        self.postgres_schema
            .as_ref()
            .map(|postgres| postgres.schema.0.as_str())
    }

    /// The environment a `runtime-worker run` needs to serve this app's queue.
    pub fn worker_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("SQLITE_PATH", self.database.display().to_string())];
        if let Some(prefix) = self.redis_prefix() {
            env.extend([
                ("QUEUE", "redis".to_owned()),
                ("REDIS_URL", crate::fixtures::test_redis_url()),
                ("REDIS_PREFIX", prefix.to_owned()),
            ]);
        } else {
            env.push(("QUEUE", "sqlite".to_owned()));
        }
        env
    }

    /// Every line the components wrote to stderr so far, with the component's name.
    pub fn component_log_lines(&self) -> Vec<(String, String)> {
        let mut lines = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.log_dir) else {
            return lines;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(component) = name.strip_suffix("_stderr.txt") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                lines.extend(text.lines().map(|l| (component.to_owned(), l.to_owned())));
            }
        }
        lines
    }

    /// `spin up` and the processes it started, as they are now.
    pub fn processes(&self) -> Vec<Process> {
        self.spin.processes()
    }

    /// Stops Spin (failing if any of its processes outlives it) and removes the app's stores.
    pub fn stop(mut self) {
        let outlived = self.spin.stop();
        self.postgres_schema.take();
        self.redis_keys.take();
        assert!(outlived.is_empty(), "{}", outlived.join("\n"));
    }
}

/// The app, or `None` after printing SKIPPED when Spin cannot run here: a failure instead under
/// `HEXASPIN_REQUIRE_SPIN`.
pub async fn spin_app(deployment: Deployment, extra_env: &[(&str, &str)]) -> Option<App> {
    match start_app(deployment, extra_env).await {
        Ok(app) => Some(app),
        Err(why) => {
            skip_spin_test(&why);
            None
        }
    }
}

/// Records that the calling test needs Spin but cannot run it: SKIPPED, or a failure under
/// `HEXASPIN_REQUIRE_SPIN`.
pub fn skip_spin_test(why: &str) {
    report("skipped", why);
    Prerequisite::Spin.missing(why);
}

/// Appends `<outcome>\t<test>\t<detail>` to the report file (one `write` per line, so parallel
/// tests cannot tear lines).
fn report(outcome: &str, detail: &str) {
    let Some(path) = std::env::var_os("HEXASPIN_SPIN_REPORT") else {
        return;
    };
    let test = std::thread::current().name().unwrap_or("unnamed test").to_owned();
    let line = format!("{outcome}\t{test}\t{}\n", detail.replace(['\t', '\n'], " "));
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
    if let Ok(mut file) = file {
        let _ = file.write_all(line.as_bytes());
    }
}

/// The Spin components this app's manifest names, built for wasm32-wasip2.
const COMPONENTS: [&str; 6] = [
    "hexaspin_admin_keys",
    "hexaspin_jobs",
    "hexaspin_health",
    "hexaspin_metrics",
    "hexaspin_docs",
    "hexaspin_users",
];

/// Starts the app in `deployment`, or says why it cannot.
pub async fn start_app(deployment: Deployment, extra_env: &[(&str, &str)]) -> Result<App, String> {
    start_app_as(SpinBuild::from_env(), deployment, extra_env).await
}

/// Starts `build` of the app in `deployment`, whatever `HEXASPIN_SPIN_BUILD` says (the HTTP
/// benchmark runs both in one go).
pub async fn start_app_as(
    build: SpinBuild,
    deployment: Deployment,
    extra_env: &[(&str, &str)],
) -> Result<App, String> {
    start_manifest(build, "spin.toml", deployment, true, extra_env).await
}

/// Starts the user service alone (`services/users/spin.toml`) on a fresh embedded database that
/// nothing migrated: the service must migrate it itself.
pub async fn start_users_service(extra_env: &[(&str, &str)]) -> Result<App, String> {
    start_manifest(
        SpinBuild::from_env(),
        "services/users/spin.toml",
        Deployment::EMBEDDED,
        false,
        extra_env,
    )
    .await
}

/// [`start_users_service`], or `None` after printing SKIPPED when Spin cannot run here.
pub async fn spin_users_service(extra_env: &[(&str, &str)]) -> Option<App> {
    match start_users_service(extra_env).await {
        Ok(app) => Some(app),
        Err(why) => {
            skip_spin_test(&why);
            None
        }
    }
}

async fn start_manifest(
    build: SpinBuild,
    manifest: &str,
    deployment: Deployment,
    migrate_first: bool,
    extra_env: &[(&str, &str)],
) -> Result<App, String> {
    let Some(version) = spin_version() else {
        return Err("`spin` is not on PATH; install Spin >= 3.6 to run the end-to-end tests".into());
    };
    let root = workspace_root();
    let manifest = build.manifest(manifest);
    for component in COMPONENTS {
        let wasm = root.join(format!("{}/{component}.wasm", build.wasm_dir()));
        if !wasm.is_file() {
            let why = format!("{} is not built; run `cargo xtask test`", wasm.display());
            assert!(
                !Prerequisite::Wasm.is_required(),
                "{why} (HEXASPIN_REQUIRE_WASM is set)"
            );
            return Err(why);
        }
    }
    if !root.join(&manifest).is_file() {
        let why = format!("{manifest} is missing; run `cargo xtask build-wasm`");
        assert!(
            !Prerequisite::Wasm.is_required(),
            "{why} (HEXASPIN_REQUIRE_WASM is set)"
        );
        return Err(why);
    }
    println!(
        "running the {} build against {version} ({})",
        build.name(),
        deployment.name()
    );
    report(
        "ran",
        &format!("{version} ({}, {})", deployment.name(), build.name()),
    );
    let state = tempfile::tempdir().expect("tempdir");
    let database = state.path().join("sqlite_db.db");
    if migrate_first {
        migrate_sqlite(&database).await;
    }
    let runtime_config = state.path().join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        format!("[sqlite_database.default]\ntype = \"spin\"\npath = {database:?}\n"),
    )
    .expect("runtime config");
    let log_dir = state.path().join("logs");

    let mut variables = vec![
        ("SPIN_VARIABLE_JWT_SECRET", JWT_SECRET.to_owned()),
        (
            "SPIN_VARIABLE_USER_JWT_SECRET",
            crate::users_api::USER_JWT_SECRET.to_owned(),
        ),
        (
            "SPIN_VARIABLE_KEY_PEPPER",
            String::from_utf8_lossy(PEPPER).into_owned(),
        ),
    ];
    let postgres_schema = match deployment.store {
        KeyStore::Sqlite => None,
        KeyStore::Postgres => {
            let schema = PostgresSchema::create().await;
            variables.extend([
                ("SPIN_VARIABLE_STORE", "postgres".to_owned()),
                ("SPIN_VARIABLE_PG_URL", schema.spin_url.clone()),
                ("SPIN_VARIABLE_PG_HOST", schema.host.clone()),
            ]);
            Some(schema)
        }
    };
    let redis_prefix = match deployment.queue {
        Queue::Sqlite => None,
        Queue::Redis => {
            // The app starts on a Redis without our scripts cached, as after a Redis restart or
            // failover: the components must fall back from EVALSHA to EVAL by themselves.
            crate::fixtures::test_redis()
                .await
                .command(&["SCRIPT", "FLUSH"])
                .await
                .expect("SCRIPT FLUSH");
            let prefix = format!("hx_e2e_{}:", crate::fixtures::unique_suffix());
            let url = crate::fixtures::test_redis_url();
            variables.extend([
                ("SPIN_VARIABLE_QUEUE", "redis".to_owned()),
                ("SPIN_VARIABLE_REDIS_HOST", host_port(&url, 6379)),
                ("SPIN_VARIABLE_REDIS_URL", url),
                ("SPIN_VARIABLE_REDIS_PREFIX", prefix.clone()),
            ]);
            Some(prefix)
        }
    };

    let mut env: Vec<(&str, &str)> = variables.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra_env);
    let spin = SpinUp::start(
        &root.join(&manifest),
        &[
            "--runtime-config-file".as_ref(),
            runtime_config.as_os_str(),
            "--log-dir".as_ref(),
            log_dir.as_os_str(),
        ],
        &env,
        &state.path().join("spin-output.txt"),
    );
    Ok(App {
        port: spin.port,
        database,
        deployment,
        log_dir,
        spin,
        postgres_schema,
        redis_keys: redis_prefix.map(RedisKeysGuard),
        _state: state,
    })
}

/// `host:port` of a URL such as `redis://user:pw@host:port/db`.
fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    }
}

async fn migrate_sqlite(path: &Path) {
    let executor = NativeExecutor::sqlite(path).expect("open database");
    migrate::up_all(&executor, system_now()).await.expect("migrate");
}

/// A migrated Postgres schema for one app, dropped with it.
struct PostgresSchema {
    /// Also the `application_name` of the app's connections (`pg_stat_activity`).
    schema: SchemaGuard,
    /// The URL Spin gets: scoped to the schema, without TLS (the local test server has none).
    spin_url: String,
    host: String,
}

impl PostgresSchema {
    async fn create() -> Self {
        let (executor, _admin, schema) = crate::fixtures::fresh_postgres().await;
        migrate::up_all(&executor, system_now())
            .await
            .expect("migrations apply to Postgres");
        let url = crate::fixtures::test_pg_url();
        let separator = if url.contains('?') { '&' } else { '?' };
        Self {
            // The application name lets a fault test find (and terminate) this app's connections.
            spin_url: format!(
                "{url}{separator}sslmode=disable&application_name={schema}&options=-csearch_path%3D{schema}"
            ),
            host: host_port(&url, 5432),
            schema: SchemaGuard(schema),
        }
    }
}
