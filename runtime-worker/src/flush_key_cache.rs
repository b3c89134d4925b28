//! `runtime-worker flush-key-cache`: forget every API key record cached in Redis, after Redis or
//! Postgres lost writes (a failover to a lagging replica, a restore from a snapshot, a crash
//! that lost the last second of the append-only file) so that a key changed just before is not
//! served from an older copy until it expires. The records refill from the key store on the next
//! requests. Each key's fence stays, so a change in flight cannot be undone by a late fill. Needs
//! `QUEUE=redis` and `REDIS_URL` (and `REDIS_PREFIX`, default "hx:").

use anyhow::Context;
use hexaspin_config::settings::{EnvSource, QueueSettings};
use hexaspin_native::NativeRedis;
use hexaspin_redis::RedisValue;

/// The fields of a cached record and its scopes and limits (`key_cache_put.lua`); the fence is
/// not among them.
const RECORD_FIELDS: [&str; 9] = ["v", "key", "h", "ph", "pe", "u", "t", "sc", "d"];

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
    let pattern = format!("{}keycache:*", glob_escaped(&prefix));
    let (mut cursor, mut flushed) = ("0".to_owned(), 0u64);
    loop {
        let reply = redis
            .command(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"])
            .await
            .context("listing the cached key records")?;
        cursor = reply.first().map(RedisValue::text).unwrap_or_else(|| "0".into());
        for key in reply.iter().skip(1).map(RedisValue::text) {
            let mut command = vec!["HDEL", key.as_str()];
            command.extend(RECORD_FIELDS);
            let removed = redis
                .command(&command)
                .await
                .context("removing a cached record")?;
            if removed.first().and_then(RedisValue::int).unwrap_or(0) > 0 {
                flushed += 1;
            }
        }
        if cursor == "0" {
            break;
        }
    }
    println!("flushed {flushed} cached key records under {prefix}keycache:");
    Ok(())
}

/// `text` matched literally by SCAN's glob pattern.
fn glob_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::glob_escaped;

    #[test]
    fn a_prefix_with_glob_characters_is_matched_literally() {
        assert_eq!(glob_escaped("hx:"), "hx:");
        assert_eq!(glob_escaped(r"a*b?c[d]e\f"), r"a\*b\?c\[d\]e\\f");
    }
}
