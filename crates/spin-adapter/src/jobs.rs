//! [`SpinJobs`]: the job and metrics ports on the store the `queue` setting names, inside Spin.

use hexaspin_api::settings::QueueSettings;
use hexaspin_core::ports::StoreError;
use hexaspin_redis::{AnyJobs, RedisJobs};
use hexaspin_store_sql::jobs::SqliteJobs;

use crate::{SpinExecutor, SpinRedis, open_default_sqlite};

/// Jobs, quota state and counters on Spin's SQLite (embedded default) or Redis (production).
pub type SpinJobs = AnyJobs<SpinExecutor, SpinRedis>;

/// Opens the queue store for this request.
pub fn open_jobs(settings: &QueueSettings) -> Result<SpinJobs, StoreError> {
    Ok(match settings {
        QueueSettings::Sqlite { .. } => {
            AnyJobs::Sqlite(SqliteJobs::new(SpinExecutor::Sqlite(open_default_sqlite()?)))
        }
        QueueSettings::Redis { url, prefix } => {
            AnyJobs::Redis(RedisJobs::new(SpinRedis::open(url)?, prefix.clone()))
        }
    })
}

/// Counts a request for a component that does not otherwise use the queue store: opens it (from
/// the `queue` settings) and adds the request's counts in one call. Problems are logged, never
/// returned: the request was already answered.
pub async fn count_request_in_queue_store(component: &'static str, response: &hexaspin_api::Response) {
    let jobs = QueueSettings::load(&crate::SpinVariables)
        .map_err(|e| e.to_string())
        .and_then(|settings| open_jobs(&settings).map_err(|e| e.to_string()));
    match jobs {
        Ok(jobs) => hexaspin_api::metrics::requests::count_request(&jobs, component, response).await,
        Err(error) => hexaspin_api::log::error("metrics: opening the queue store", &error),
    }
}
