//! [`NativeRedis`]: the redis crate (tokio, auto-reconnecting connection manager) behind
//! hexaspin-redis's executor trait.

use hexaspin_core::ports::StoreError;
use hexaspin_redis::{RedisExecutor, RedisValue, Script};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, Value};

/// A multiplexed, reconnecting connection; cheap to clone.
#[derive(Clone)]
pub struct NativeRedis {
    connection: ConnectionManager,
}

impl std::fmt::Debug for NativeRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeRedis").finish_non_exhaustive()
    }
}

impl NativeRedis {
    /// Connects to `url` (`redis://host:port/db`); the URL may carry a password, never logged.
    ///
    /// Fails fast (no retry, a 2 s connection timeout) when Redis is not there, so the caller's own
    /// backoff and shutdown handling decide; once connected, the manager reconnects by itself.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(to_store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(std::time::Duration::from_secs(2));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(to_store_error)?;
        Ok(Self { connection })
    }

    /// Deletes every key under `prefix` (SCAN + DEL in batches, never `KEYS`): how tests and the
    /// benchmarks clean up after themselves. Returns how many keys were deleted.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let pattern = format!("{prefix}*");
        let (mut cursor, mut deleted) = ("0".to_owned(), 0);
        loop {
            let reply = self
                .command(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"])
                .await?;
            cursor = reply.first().map(RedisValue::text).unwrap_or_else(|| "0".into());
            let keys: Vec<String> = reply.iter().skip(1).map(RedisValue::text).collect();
            if !keys.is_empty() {
                let mut command = vec!["DEL"];
                command.extend(keys.iter().map(String::as_str));
                deleted += self
                    .command(&command)
                    .await?
                    .first()
                    .and_then(RedisValue::int)
                    .unwrap_or(0) as u64;
            }
            if cursor == "0" {
                return Ok(deleted);
            }
        }
    }

    /// Runs a raw command (for tests and benchmarks).
    pub async fn command(&self, args: &[&str]) -> Result<Vec<RedisValue>, StoreError> {
        let mut command = redis::cmd(args.first().copied().unwrap_or("PING"));
        for arg in args.iter().skip(1) {
            command.arg(*arg);
        }
        let mut connection = self.connection.clone();
        let value: Value = command
            .query_async(&mut connection)
            .await
            .map_err(to_store_error)?;
        Ok(flatten(value))
    }
}

impl RedisExecutor for NativeRedis {
    async fn run_script(&self, script: &Script, args: &[String]) -> Result<Vec<RedisValue>, StoreError> {
        let mut connection = self.connection.clone();
        let by_sha: Result<Value, redis::RedisError> = redis::cmd("EVALSHA")
            .arg(script.sha1())
            .arg(0)
            .arg(args)
            .query_async(&mut connection)
            .await;
        let value = match by_sha {
            Err(error) if error.kind() == ErrorKind::NoScriptError => redis::cmd("EVAL")
                .arg(script.source())
                .arg(0)
                .arg(args)
                .query_async(&mut connection)
                .await
                .map_err(|e| script_error(script, e))?,
            other => other.map_err(|e| script_error(script, e))?,
        };
        Ok(flatten(value))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.command(&["PING"]).await.map(drop)
    }
}

/// Flattens a reply the way Spin's Redis interface does, so both adapters see the same shape.
fn flatten(value: Value) -> Vec<RedisValue> {
    let mut out = Vec::new();
    push(&mut out, value);
    out
}

fn push(out: &mut Vec<RedisValue>, value: Value) {
    match value {
        Value::Nil => out.push(RedisValue::Nil),
        Value::Int(n) => out.push(RedisValue::Int(n)),
        Value::BulkString(bytes) => out.push(RedisValue::Text(String::from_utf8_lossy(&bytes).into_owned())),
        Value::SimpleString(s) => out.push(RedisValue::Text(s)),
        Value::Okay => out.push(RedisValue::Text("OK".into())),
        Value::Array(items) | Value::Set(items) => items.into_iter().for_each(|item| push(out, item)),
        Value::Double(x) => out.push(RedisValue::Text(x.to_string())),
        Value::Boolean(b) => out.push(RedisValue::Int(i64::from(b))),
        other => out.push(RedisValue::Text(format!("{other:?}"))),
    }
}

fn script_error(script: &Script, error: redis::RedisError) -> StoreError {
    match to_store_error(error) {
        StoreError::Failed(message) => StoreError::Failed(format!("script {}: {message}", script.name)),
        other => other,
    }
}

fn to_store_error(error: redis::RedisError) -> StoreError {
    if error.is_io_error()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_connection_dropped()
    {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Failed(error.to_string())
    }
}
