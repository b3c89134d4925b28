//! `runtime-worker flush-key-cache`: forget every API key record cached in Redis, after Redis lost
//! writes (a failover to a lagging replica, a restore from a snapshot) so that a key changed just
//! before is not served from an older copy until it expires. The records refill from the key
//! store on the next requests. Needs `REDIS_URL` (and `REDIS_PREFIX`, default "hx:").

use anyhow::Context;
use hexaspin_config::settings::{EnvSource, QueueSettings};
use hexaspin_native::NativeRedis;

pub async fn run() -> anyhow::Result<()> {
    let QueueSettings::Redis { url, prefix } = QueueSettings::load(&EnvSource).context("queue settings")?
    else {
        anyhow::bail!(
            "QUEUE is not redis: the embedded default keeps no key cache, there is nothing to flush"
        );
    };
    let redis = NativeRedis::connect(&url)
        .await
        .context("connecting to REDIS_URL")?;
    let flushed = redis
        .delete_prefix(&format!("{prefix}keycache:"))
        .await
        .context("deleting the cached key records")?;
    println!("flushed {flushed} cached key records under {prefix}keycache:");
    Ok(())
}
