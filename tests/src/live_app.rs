//! The app running for a test that talks to it over HTTP: under `spin up` when Spin is on PATH,
//! else the [native stand-in](crate::native_app) (same handlers, routed as spin.toml does).

use std::net::SocketAddr;

use hexaspin_core::quota::RateRule;
use tempfile::TempDir;

use crate::spin_up::{App, Deployment, spin_version, start_app};

/// A running app on the embedded default (SQLite).
pub enum LiveApp {
    /// `spin up`.
    Spin(App),
    /// The native stand-in, with the folder of its database.
    Native(SocketAddr, TempDir),
}

impl LiveApp {
    /// Starts the app: under Spin when it is on PATH, else natively. `auth_failures` is the
    /// per-address limit on keys that do not verify (`auth_failure_rate_per_sec`,
    /// `auth_failure_burst`).
    pub async fn start(auth_failures: RateRule) -> Self {
        Self::start_with_kinds(auth_failures, None).await
    }

    /// [`start`](Self::start), accepting the job kinds `kinds` (comma-separated; the
    /// `job_kinds` setting) when given.
    pub async fn start_with_kinds(auth_failures: RateRule, kinds: Option<&str>) -> Self {
        if spin_version().is_some() {
            // A per-second rule, as the settings write it.
            let rate = (1_000_000 / auth_failures.emission_interval_us()).to_string();
            let burst = auth_failures.burst().to_string();
            let mut env = vec![
                ("SPIN_VARIABLE_AUTH_FAILURE_RATE_PER_SEC", rate.as_str()),
                ("SPIN_VARIABLE_AUTH_FAILURE_BURST", burst.as_str()),
            ];
            if let Some(kinds) = kinds {
                env.push(("SPIN_VARIABLE_JOB_KINDS", kinds));
            }
            let app = start_app(Deployment::EMBEDDED, &env)
                .await
                .unwrap_or_else(|why| panic!("spin up: {why}"));
            return Self::Spin(app);
        }
        println!("`spin` is not on PATH: the app runs natively (same handlers, routed as spin.toml does)");
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("app.db");
        let address = crate::native_app::start_with_kinds(&database, auth_failures, kinds).await;
        Self::Native(address, dir)
    }

    /// The environment a `runtime-worker run` needs to serve this app's queue.
    pub fn worker_env(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Spin(app) => app.worker_env(),
            Self::Native(_, dir) => vec![
                ("SQLITE_PATH", dir.path().join("app.db").display().to_string()),
                ("QUEUE", "sqlite".to_owned()),
            ],
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        match self {
            Self::Spin(app) => app.port,
            Self::Native(address, _) => address.port(),
        }
    }

    /// `spin up` or `native`, for messages.
    pub fn runtime(&self) -> &'static str {
        match self {
            Self::Spin(_) => "spin up",
            Self::Native(..) => "native",
        }
    }
}
