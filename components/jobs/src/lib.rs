//! Spin component `jobs`: dispatch under per-key quotas, reads and cancellation for API keys, and
//! the admin queue views.
//!
//! A thin shell: settings from Spin variables, the key store (SQLite or Postgres) and the job
//! store (SQLite or Redis) opened for this request, then [`hexaspin_api::jobs::JobsApi`].

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::jobs::JobsApi;
use hexaspin_api::settings::{
    AdminSettings, QueueSettings, StoreSettings, load_auth_failure_rule, load_dispatch_settings,
};
use hexaspin_api::system::{OsEntropy, system_now};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_core::ports::{JobStore, RateLimiter};
use hexaspin_redis::RedisJobs;
use hexaspin_spin::{SpinExecutor, SpinRedis, SpinVariables, open_default_sqlite, open_store};
use hexaspin_store_sql::jobs::SqliteJobs;
use spin_sdk::http_component;

#[http_component]
async fn handle(request: Request) -> Response {
    hexaspin_api::log::with_access_log("jobs", request, serve_logged).await
}

async fn serve_logged(request: Request) -> Response {
    match serve(&request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn serve(request: &Request) -> Result<Response, ApiError> {
    let now = system_now();
    let config = &SpinVariables;
    let admin = AdminSettings::load(config).map_err(|e| ApiError::misconfigured(&e))?;
    let dispatch = load_dispatch_settings(config).map_err(|e| ApiError::misconfigured(&e))?;
    let auth_failures = load_auth_failure_rule(config).map_err(|e| ApiError::misconfigured(&e))?;
    let store = StoreSettings::load(config).map_err(|e| ApiError::misconfigured(&e))?;
    let keys = open_store(&store)?;
    match QueueSettings::load(config).map_err(|e| ApiError::misconfigured(&e))? {
        QueueSettings::Sqlite { .. } => {
            let jobs = SqliteJobs::new(SpinExecutor::Sqlite(open_default_sqlite()?));
            Ok(api(&keys, &jobs, &admin, &dispatch, auth_failures)
                .handle(request, now)
                .await)
        }
        QueueSettings::Redis { url, prefix } => {
            let jobs = RedisJobs::new(SpinRedis::open(&url)?, prefix);
            Ok(api(&keys, &jobs, &admin, &dispatch, auth_failures)
                .handle(request, now)
                .await)
        }
    }
}

fn api<'a, J: JobStore + RateLimiter>(
    keys: &'a hexaspin_store_sql::SqlStore<SpinExecutor>,
    jobs: &'a J,
    admin: &'a AdminSettings,
    dispatch: &'a hexaspin_core::use_cases::DispatchSettings,
    auth_failures: hexaspin_core::quota::RateRule,
) -> JobsApi<'a, hexaspin_store_sql::SqlStore<SpinExecutor>, J, OsEntropy> {
    JobsApi {
        keys,
        jobs,
        entropy: &OsEntropy,
        admin,
        settings: dispatch,
        auth_failures,
    }
}
