//! Ports for API keys and the audit log.

use super::StoreError;
use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, KeyState, Owner};
use crate::audit::{AuditEntry, NewAuditEntry};
use crate::pagination::{AuditCursor, KeyCursor};

/// What to list: all filters optional; newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only keys of this owner.
    pub owner: Option<Owner>,
    /// Only keys in this state at `now`.
    pub state: Option<KeyState>,
    /// Only keys after this cursor.
    pub after: Option<KeyCursor>,
    /// At most this many.
    pub limit: u32,
}

/// Storage of API keys.
pub trait ApiKeyStore {
    /// Stores a new key and appends `audit` in the same transaction (both or neither);
    /// `Conflict` if its id exists.
    async fn insert_key(&self, key: &ApiKey, audit: &NewAuditEntry) -> Result<(), StoreError>;

    /// The key with this id, if any.
    async fn find_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError>;

    /// Keys matching `filter`, newest first (by creation, then id).
    async fn list_keys(&self, filter: &KeyFilter, now: Timestamp) -> Result<Vec<ApiKey>, StoreError>;

    /// Replaces the stored key if it still has `expected_version` and appends `audit` in the same
    /// transaction (both or neither); `false`, and no entry, if someone else changed it first (or
    /// it does not exist). The caller sets the new version in `key`.
    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        audit: &NewAuditEntry,
    ) -> Result<bool, StoreError>;

    /// Atomically takes one use from a key's `remaining` budget, first refilling it if its refill
    /// period began after the last refill (`day_start`/`month_start` are the current periods'
    /// starts). Never touches `version`: usage is not an admin edit.
    async fn consume_use(&self, id: &ApiKeyId, periods: &UsePeriods) -> Result<UseCharge, StoreError>;

    /// Gives back a use taken by [`consume_use`](Self::consume_use) for a request that was then
    /// refused.
    async fn refund_use(&self, id: &ApiKeyId) -> Result<(), StoreError>;

    /// How many keys are in each state at `now` (every state, zeros included).
    async fn count_keys(&self, now: Timestamp) -> Result<Vec<(KeyState, u64)>, StoreError>;
}

/// The instants a usage charge needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsePeriods {
    /// The instant of the charge.
    pub now: Timestamp,
    /// Start of the current UTC day.
    pub day_start: Timestamp,
    /// Start of the current UTC month.
    pub month_start: Timestamp,
}

impl UsePeriods {
    /// The periods containing `now`.
    pub fn at(now: Timestamp) -> Self {
        use crate::api_key::RefillInterval;
        Self {
            now,
            day_start: RefillInterval::Daily.period_start(now),
            month_start: RefillInterval::Monthly.period_start(now),
        }
    }
}

/// The result of [`ApiKeyStore::consume_use`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseCharge {
    /// The key has no budget: nothing to charge.
    Unlimited,
    /// One use taken; this many are left.
    Charged {
        /// Uses left.
        remaining: u64,
    },
    /// No use left (or the key is gone).
    Exhausted,
}

/// The append-only audit log.
pub trait AuditLog {
    /// Appends an entry.
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError>;

    /// Entries newest first, before `before` if given, optionally only about one key.
    async fn list_audit(
        &self,
        key_id: Option<&ApiKeyId>,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
