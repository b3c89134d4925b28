//! Reaching the job store at start-up: exponential backoff with jitter, one structured log line
//! per try, a counter of failures; readiness stays false until it succeeds.

use std::path::Path;
use std::time::Duration;

use hexaspin_config::settings::QueueSettings;
use hexaspin_core::ports::StoreError;
use hexaspin_core::retry::Backoff;
use hexaspin_native::{NativeJobs, NativeRedis, SqliteExecutor};
use hexaspin_redis::{RedisExecutor, RedisJobs};
use hexaspin_store_sql::jobs::SqliteJobs;

use crate::durability::{self, Durability, Risk};
use crate::telemetry;

/// Opens the job store once; with Redis, also what makes it unsafe for a queue under
/// `durability` ([`durability`]), already logged and exported.
pub async fn open(
    settings: &QueueSettings,
    durability: Durability,
) -> Result<(NativeJobs, Vec<Risk>), StoreError> {
    let (jobs, risks) = match settings {
        QueueSettings::Sqlite { path } => (
            NativeJobs::Sqlite(SqliteJobs::with_clock(
                SqliteExecutor::open(Path::new(path))?,
                hexaspin_config::os::system_now,
            )),
            Vec::new(),
        ),
        QueueSettings::Redis { url, prefix } => {
            let redis = NativeRedis::connect(url).await?;
            redis.ping().await?;
            let risks = durability::check(&redis, durability).await;
            (
                NativeJobs::Redis(RedisJobs::with_server_clock(redis, prefix.clone())),
                risks,
            )
        }
    };
    jobs.ping().await?;
    Ok((jobs, risks))
}

/// Opens the job store, retrying with backoff (200 ms doubling to 10 s, jittered) until it answers
/// or `shutdown` resolves.
pub async fn open_with_backoff(
    settings: &QueueSettings,
    durability: Durability,
    shutdown: impl Future<Output = ()>,
) -> Option<(NativeJobs, Vec<Risk>)> {
    let policy = Backoff {
        base_ms: 200,
        max_ms: 10_000,
    };
    let mut shutdown = std::pin::pin!(shutdown);
    for attempt in 1u32.. {
        let tried = tokio::select! {
            tried = open(settings, durability) => tried,
            () = &mut shutdown => return None,
        };
        match tried {
            Ok(opened) => {
                tracing::info!(attempt, store = ?settings, "connected to the job store");
                return Some(opened);
            }
            Err(error) => {
                metrics::counter!(telemetry::CONNECT_FAILURES).increment(1);
                let now = hexaspin_config::os::system_now();
                let next = policy.next_attempt_at(now, attempt, random());
                let delay = Duration::from_millis((next.as_millis() - now.as_millis()).max(0) as u64);
                tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, %error, "cannot reach the job store; retrying");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut shutdown => return None,
                }
            }
        }
    }
    None
}

/// A random u64 for jitter (a failed RNG only loses the jitter).
pub fn random() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}
