//! [`SpinRedis`]: Spin's outbound Redis behind hexaspin-redis's executor trait.

use std::sync::OnceLock;

use hexaspin_core::ports::StoreError;
use hexaspin_redis::failure::{is_missing_script, is_transient};
use hexaspin_redis::{RedisExecutor, RedisValue, Script};
use spin_sdk::redis::{self, RedisParameter, RedisResult};

/// A Redis connection for one request (Spin opens a new one per request; every operation here is
/// one script call, so a request costs one round trip after connecting). Opened on its first
/// call: a request that never reaches Redis (an admin read of keys) does not need it up.
pub struct SpinRedis {
    url: String,
    connection: OnceLock<redis::Connection>,
}

impl SpinRedis {
    /// A connection to `url`, opened on first use; its host must be in the component's
    /// `allowed_outbound_hosts`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            url: url.to_owned(),
            connection: OnceLock::new(),
        })
    }

    fn connection(&self) -> Result<&redis::Connection, StoreError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let opened =
            redis::Connection::open(&self.url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(self.connection.get_or_init(|| opened))
    }

    fn execute(
        &self,
        connection: &redis::Connection,
        command: &str,
        head: &str,
        args: &[String],
    ) -> Result<Vec<RedisResult>, redis::Error> {
        let mut params = Vec::with_capacity(args.len() + 2);
        params.push(RedisParameter::Binary(head.as_bytes().to_vec()));
        params.push(RedisParameter::Int64(0));
        params.extend(args.iter().map(|a| RedisParameter::Binary(a.as_bytes().to_vec())));
        connection.execute(command, &params)
    }
}

impl RedisExecutor for SpinRedis {
    async fn run_script(&self, script: &Script, args: &[String]) -> Result<Vec<RedisValue>, StoreError> {
        let connection = self.connection()?;
        let reply = match self.execute(connection, "EVALSHA", script.sha1(), args) {
            Err(error) if is_missing_script(&error.to_string()) => {
                self.execute(connection, "EVAL", script.source(), args)
            }
            other => other,
        };
        reply
            .map(|values| values.into_iter().map(convert).collect())
            .map_err(|e| to_store_error(script, e))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.connection()?
            .execute("PING", &[])
            .map(drop)
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

hexaspin_redis::spin_redis_conversion!(redis);

/// A connection that broke mid-call is Redis being away (503, `Retry-After`), not a failed
/// script (500): see [`hexaspin_redis::failure`].
fn to_store_error(script: &Script, error: redis::Error) -> StoreError {
    match error {
        redis::Error::InvalidAddress | redis::Error::TooManyConnections => {
            StoreError::Unavailable(error.to_string())
        }
        other if is_transient(&other.to_string()) => {
            StoreError::Unavailable(format!("script {}: {other}", script.name))
        }
        other => StoreError::Failed(format!("script {}: {other}", script.name)),
    }
}
