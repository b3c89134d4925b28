//! [`NativeJobs`]: the job ports on SQLite or Redis chosen at run time, with the native executors.

use hexaspin_stores::AnyJobs;

use crate::{NativeRedis, SqliteExecutor};

/// Jobs on SQLite (embedded default) or Redis (production), natively.
pub type NativeJobs = AnyJobs<SqliteExecutor, NativeRedis>;
