//! Spin component `users`: the user service — accounts, sign-in, rotating refresh tokens, and the
//! admin views of accounts.
//!
//! A thin shell: settings from Spin variables, the account store (SQLite or Postgres) and the
//! queue store (SQLite or Redis: rate limits and `/metrics` counters) opened for this request,
//! then [`hexaspin_api::users::UsersApi`]. On the embedded SQLite database the component applies
//! the users schema itself the first time it finds it missing, so that
//! `spin up -f services/users/spin.toml` works with nothing run beforehand; Postgres is migrated
//! by `runtime-worker migrate` (a deploy step), never by a request.

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::body::BodyLimit;
use hexaspin_api::component::serve_counted;
use hexaspin_api::users::{MAX_USER_BODY_BYTES, UsersApi};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::{OsEntropy, system_now};
use hexaspin_config::settings::{StoreSettings, load_admin_auth};
use hexaspin_config::users::UserSettings;
use hexaspin_store_sql::SqlStore;
use hexaspin_store_sql::migrate::{self, Schema};
use spin_adapter::http::PendingBody;
use spin_adapter::{SpinExecutor, SpinJobs, SpinVariables, open_configured_jobs, open_store};

const COMPONENT: &str = "users";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, body: PendingBody) -> Response {
    // The queue store holds the sign-in limits and the request counts.
    serve_counted(
        COMPONENT,
        request,
        open_configured_jobs,
        |jobs| jobs,
        async |request, jobs| serve(request, body, jobs).await,
    )
    .await
}

async fn serve(mut request: Request, body: PendingBody, jobs: &SpinJobs) -> Result<Response, ApiError> {
    let config = &SpinVariables;
    let settings = UserSettings::load(config)?;
    // Read only for the admin routes. The service runs without the admin secret (those routes then
    // answer 500 `server_misconfigured`, the setting named in the log), so a deployment for end
    // users alone need not hold it.
    let admin_auth = || load_admin_auth(config).map_err(ApiError::from);
    let store_settings = StoreSettings::load(config)?;
    let store = open_store(&store_settings)?;
    if matches!(store_settings, StoreSettings::Sqlite { .. }) {
        migrate_embedded(&store).await?;
    }
    let limit = BodyLimit::for_method(request.method(), MAX_USER_BODY_BYTES);
    let response = match body.read(&request, limit).await {
        Ok(bytes) => {
            *request.body_mut() = bytes;
            let api = UsersApi {
                store: &store,
                limiter: jobs,
                entropy: &OsEntropy,
                settings: &settings,
                admin_auth: &admin_auth,
            };
            api.handle(&request, system_now()).await
        }
        Err(error) => error.into_response(),
    };
    Ok(response)
}

/// Applies the schemas to the embedded database when they are missing or behind (the core one
/// too: the rate limiter and the `/metrics` counters live in its tables): two cheap reads per
/// request otherwise. Concurrent first requests are serialised by each migration's
/// `BEGIN IMMEDIATE`; the later ones find the work done.
async fn migrate_embedded(store: &SqlStore<SpinExecutor>) -> Result<(), ApiError> {
    let executor = store.executor();
    for schema in Schema::ALL {
        if migrate::schema_is_current(executor, schema).await {
            continue;
        }
        migrate::schema_up(executor, schema, system_now())
            .await
            .map_err(|error| ApiError::internal("migrating the embedded database", &error))?;
    }
    Ok(())
}
