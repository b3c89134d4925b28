//! [`CountingKeys`]: a key store that counts the calls made to it, for tests that pin how many
//! round trips a request costs (under Spin each one is a host call and a network round trip).

use std::sync::atomic::{AtomicUsize, Ordering};

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, KeyState};
use hexaspin_core::audit::{AuditEntry, NewAuditEntry};
use hexaspin_core::pagination::AuditCursor;
use hexaspin_core::ports::{ApiKeyStore, AuditLog, KeyFilter, StoreError, UseCharge, UsePeriods};

/// Delegates to `S`, counting every call.
pub struct CountingKeys<'a, S> {
    inner: &'a S,
    calls: AtomicUsize,
}

impl<'a, S> CountingKeys<'a, S> {
    /// Counts the calls made to `inner` from now on.
    pub fn new(inner: &'a S) -> Self {
        Self {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    /// Calls so far; resets the count.
    pub fn take(&self) -> usize {
        self.calls.swap(0, Ordering::SeqCst)
    }

    fn count(&self) -> &'a S {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner
    }
}

impl<S: ApiKeyStore> ApiKeyStore for CountingKeys<'_, S> {
    async fn insert_key(&self, key: &ApiKey, audit: &NewAuditEntry) -> Result<(), StoreError> {
        self.count().insert_key(key, audit).await
    }

    async fn find_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        self.count().find_key(id).await
    }

    async fn list_keys(&self, filter: &KeyFilter, now: Timestamp) -> Result<Vec<ApiKey>, StoreError> {
        self.count().list_keys(filter, now).await
    }

    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        audit: &NewAuditEntry,
    ) -> Result<bool, StoreError> {
        self.count().update_key(key, expected_version, audit).await
    }

    async fn consume_use(&self, id: &ApiKeyId, periods: &UsePeriods) -> Result<UseCharge, StoreError> {
        self.count().consume_use(id, periods).await
    }

    async fn refund_use(&self, id: &ApiKeyId) -> Result<(), StoreError> {
        self.count().refund_use(id).await
    }

    async fn count_keys(&self, now: Timestamp) -> Result<Vec<(KeyState, u64)>, StoreError> {
        self.count().count_keys(now).await
    }
}

impl<S: AuditLog> AuditLog for CountingKeys<'_, S> {
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        self.count().append_audit(entry).await
    }

    async fn list_audit(
        &self,
        key_id: Option<&ApiKeyId>,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.count().list_audit(key_id, before, limit).await
    }
}

/// A Redis executor that records the scripts run through it: each one is a round trip.
pub struct CountingRedis<E> {
    inner: E,
    names: std::sync::Mutex<Vec<&'static str>>,
}

impl<E> CountingRedis<E> {
    /// Counts the scripts run on `inner` from now on.
    pub fn new(inner: E) -> Self {
        Self {
            inner,
            names: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The scripts run so far, by name; resets the count.
    pub fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.names.lock().expect("names"))
    }
}

impl<E: hexaspin_redis::RedisExecutor> hexaspin_redis::RedisExecutor for CountingRedis<E> {
    async fn run_script(
        &self,
        script: &hexaspin_redis::Script,
        args: &[String],
    ) -> Result<Vec<hexaspin_redis::RedisValue>, StoreError> {
        self.names.lock().expect("names").push(script.name);
        self.inner.run_script(script, args).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.names.lock().expect("names").push("PING");
        self.inner.ping().await
    }
}
