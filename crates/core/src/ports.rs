//! The ports: what the use cases need from the outside world, as traits adapters implement.
//!
//! One method per query, time passed in as `now`. Every store port has one contract suite
//! (`tests/`) that each adapter must pass against a real database.

use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, KeyState, Owner};
use crate::audit::{AuditEntry, NewAuditEntry};
use crate::pagination::{AuditCursor, KeyCursor};

/// Why a store call failed. The text is for logs only: it never reaches a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or is busy (connection refused, pool exhausted, locked): the
    /// caller may retry later. Maps to 503 `store_unavailable`.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was violated (e.g. an id that already exists).
    #[error("store conflict: {0}")]
    Conflict(String),
    /// A stored row could not be read back into the domain (schema drift, manual edits).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other failure of the store (a bug in a query, a missing migration).
    #[error("store failed: {0}")]
    Failed(String),
}

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
    /// Stores a new key; `Conflict` if its id exists.
    async fn insert_key(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The key with this id, if any.
    async fn find_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError>;

    /// Keys matching `filter`, newest first (by creation, then id).
    async fn list_keys(&self, filter: &KeyFilter, now: Timestamp) -> Result<Vec<ApiKey>, StoreError>;

    /// Replaces the stored key if it still has `expected_version`; `false` if someone else changed
    /// it first (or it does not exist). The caller sets the new version in `key`.
    async fn update_key(&self, key: &ApiKey, expected_version: i64) -> Result<bool, StoreError>;
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

/// The operating system's CSPRNG (WASI random inside Spin).
pub trait Entropy {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyUnavailable>;
}

/// The CSPRNG could not deliver: a host fault, never worked around with a weaker source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed: {0}")]
pub struct EntropyUnavailable(pub String);
