//! The audit trail: who did what to which key or user account, and when.

use serde::Serialize;

use crate::Timestamp;
use crate::api_key::ApiKeyId;

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    /// Created a key.
    #[serde(rename = "api_key.created")]
    KeyCreated,
    /// Changed a key's metadata.
    #[serde(rename = "api_key.updated")]
    KeyUpdated,
    /// Revoked a key.
    #[serde(rename = "api_key.revoked")]
    KeyRevoked,
    /// Issued a new secret for a key.
    #[serde(rename = "api_key.rotated")]
    KeyRotated,
    /// Disabled an end user's account.
    #[serde(rename = "user.disabled")]
    UserDisabled,
    /// Enabled an end user's account again.
    #[serde(rename = "user.enabled")]
    UserEnabled,
    /// Deleted an end user's account.
    #[serde(rename = "user.deleted")]
    UserDeleted,
    /// Put a dead job back in the queue.
    #[serde(rename = "job.retried")]
    JobRetried,
    /// Deleted a job.
    #[serde(rename = "job.deleted")]
    JobDeleted,
}

impl AuditAction {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeyCreated => "api_key.created",
            Self::KeyUpdated => "api_key.updated",
            Self::KeyRevoked => "api_key.revoked",
            Self::KeyRotated => "api_key.rotated",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserDeleted => "user.deleted",
            Self::JobRetried => "job.retried",
            Self::JobDeleted => "job.deleted",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::KeyCreated,
            Self::KeyUpdated,
            Self::KeyRevoked,
            Self::KeyRotated,
            Self::UserDisabled,
            Self::UserEnabled,
            Self::UserDeleted,
            Self::JobRetried,
            Self::JobDeleted,
        ]
        .into_iter()
        .find(|action| action.as_str() == text)
    }
}

/// An entry to append. `detail` holds what changed, never a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// When the action happened.
    pub at: Timestamp,
    /// Who: the admin token's `sub`.
    pub actor: String,
    /// What was done.
    pub action: AuditAction,
    /// Which key.
    pub key_id: Option<ApiKeyId>,
    /// Details, e.g. the changed fields.
    pub detail: serde_json::Value,
}

/// A stored entry, with the sequence number the log gave it (increasing with time).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Position in the log.
    pub seq: i64,
    /// The entry.
    pub entry: NewAuditEntry,
}
