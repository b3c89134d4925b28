//! [`SpinRedis`]: spin-sdk 7's outbound Redis behind hexaspin-redis's executor trait, on one
//! connection per instance.
//!
//! The connection is kept in a `thread_local!` (an instance is single-threaded; the requests it
//! serves at once take turns at `.await`s) and shared by every request of the instance: each
//! operation is one command (a script), so requests cannot interleave inside one. No borrow of
//! the cache is held across an `.await`. A call that fails for want of Redis drops the
//! connection from the cache, so the next call opens a new one. The failed call itself is not
//! sent again: a script may have run before its connection broke (a dispatch would be enqueued
//! twice), so that request answers 503 with `Retry-After`, as in the WASIp2 build.

use std::cell::RefCell;
use std::rc::Rc;

use hexaspin_core::ports::StoreError;
use hexaspin_redis::failure::{is_missing_script, is_transient};
use hexaspin_redis::{RedisExecutor, RedisValue, Script};
use spin_sdk_p3::redis::{self, RedisParameter, RedisResult};

thread_local! {
    /// This instance's open connections, by URL (one in practice: `redis_url`).
    static CONNECTIONS: RefCell<Vec<(String, Rc<redis::Connection>)>> = const { RefCell::new(Vec::new()) };
}

/// Redis at `url`, through this instance's connection to it.
pub struct SpinRedis {
    url: String,
}

impl SpinRedis {
    /// Redis at `url`, connected on first use; its host must be in the component's
    /// `allowed_outbound_hosts`.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Ok(Self { url: url.to_owned() })
    }

    /// The instance's connection, opened now if it has none.
    async fn connection(&self) -> Result<Rc<redis::Connection>, StoreError> {
        let kept = CONNECTIONS.with_borrow(|connections| {
            connections
                .iter()
                .find(|(url, _)| *url == self.url)
                .map(|(_, connection)| Rc::clone(connection))
        });
        if let Some(connection) = kept {
            return Ok(connection);
        }
        let opened = Rc::new(
            redis::Connection::open(&self.url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
        );
        CONNECTIONS.with_borrow_mut(|connections| {
            // Another request of this instance may have opened one meanwhile: keep the newest.
            connections.retain(|(url, _)| *url != self.url);
            connections.push((self.url.clone(), Rc::clone(&opened)));
        });
        Ok(opened)
    }

    /// Forgets `broken` (if it is still the kept connection), so the next call opens another.
    fn drop_connection(&self, broken: &Rc<redis::Connection>) {
        CONNECTIONS.with_borrow_mut(|connections| {
            connections.retain(|(url, connection)| *url != self.url || !Rc::ptr_eq(connection, broken));
        });
    }

    /// Runs a command; a failure for want of Redis drops the connection.
    async fn execute(
        &self,
        command: &str,
        params: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, redis::Error> {
        let connection = self
            .connection()
            .await
            .map_err(|e| redis::Error::Other(e.to_string()))?;
        let reply = connection.execute(command, params).await;
        if let Err(error) = &reply
            && is_connection_lost(error)
        {
            self.drop_connection(&connection);
        }
        reply
    }

    async fn run_once(
        &self,
        command: &str,
        head: &str,
        args: &[String],
    ) -> Result<Vec<RedisResult>, redis::Error> {
        let mut params = Vec::with_capacity(args.len() + 2);
        params.push(RedisParameter::Binary(head.as_bytes().to_vec()));
        params.push(RedisParameter::Int64(0));
        params.extend(args.iter().map(|a| RedisParameter::Binary(a.as_bytes().to_vec())));
        self.execute(command, params).await
    }
}

impl RedisExecutor for SpinRedis {
    async fn run_script(&self, script: &Script, args: &[String]) -> Result<Vec<RedisValue>, StoreError> {
        let reply = match self.run_once("EVALSHA", script.sha1(), args).await {
            Err(error) if is_missing_script(&error.to_string()) => {
                self.run_once("EVAL", script.source(), args).await
            }
            other => other,
        };
        reply
            .map(|values| values.into_iter().map(convert).collect())
            .map_err(|e| to_store_error(script, e))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.execute("PING", Vec::new())
            .await
            .map(drop)
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// The connection is no use any more (Redis restarted, the link broke, the host refused it),
/// as opposed to a command Redis answered with an error.
fn is_connection_lost(error: &redis::Error) -> bool {
    match error {
        redis::Error::InvalidAddress | redis::Error::TooManyConnections => true,
        other => is_transient(&other.to_string()),
    }
}

hexaspin_redis::spin_redis_conversion!(redis);

/// A connection that broke mid-call is Redis being away (503, `Retry-After`), not a failed
/// script (500): see [`hexaspin_redis::failure`].
fn to_store_error(script: &Script, error: redis::Error) -> StoreError {
    if is_connection_lost(&error) {
        StoreError::Unavailable(format!("script {}: {error}", script.name))
    } else {
        StoreError::Failed(format!("script {}: {error}", script.name))
    }
}
