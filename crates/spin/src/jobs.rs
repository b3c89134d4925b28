//! [`SpinJobs`]: the job and metrics ports on the store the `queue` setting names, inside Spin.

use hexaspin_api::ApiError;
use hexaspin_config::os::system_now;
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use hexaspin_core::ports::StoreError;
use hexaspin_redis::RedisJobs;
use hexaspin_store_sql::jobs::SqliteJobs;
use hexaspin_stores::AnyJobs;

use crate::{SpinExecutor, SpinRedis, SpinVariables};

/// Jobs, quota state and counters on Spin's SQLite (embedded default) or Redis (production).
pub type SpinJobs = AnyJobs<SpinExecutor, SpinRedis>;

/// Opens the queue store for a component that checks API keys (`jobs`): on the embedded default,
/// where the keys live in the same `default` SQLite database, it reads them itself, so a key check
/// is one transaction that writes nothing for a key that verifies.
pub fn open_jobs_checking_keys(queue: &QueueSettings, store: &StoreSettings) -> Result<SpinJobs, StoreError> {
    Ok(open_jobs(queue)?.reading_keys_here_if(matches!(store, StoreSettings::Sqlite { .. })))
}

/// Opens the queue store for this request.
pub fn open_jobs(settings: &QueueSettings) -> Result<SpinJobs, StoreError> {
    Ok(match settings {
        QueueSettings::Sqlite { .. } => {
            AnyJobs::Sqlite(SqliteJobs::with_clock(SpinExecutor::sqlite(), system_now))
        }
        QueueSettings::Redis { url, prefix } => AnyJobs::Redis(RedisJobs::with_server_clock(
            SpinRedis::open(url)?,
            prefix.clone(),
        )),
    })
}

/// The queue store the Spin variables name (`queue`, `redis_url`, …), or why it cannot be opened,
/// as a component's frame opens it (`hexaspin_api::component::serve_counted`).
pub fn open_configured_jobs() -> Result<SpinJobs, ApiError> {
    Ok(open_jobs(&QueueSettings::load(&SpinVariables)?)?)
}
