//! JSON shapes of the admin API: request bodies (unknown fields refused) and views.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, Limits, Refill};
use hexaspin_core::audit::AuditEntry;
use serde::{Deserialize, Deserializer, Serialize};

/// `POST /api/admin/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub remaining: Option<u64>,
    #[serde(default)]
    pub refill: Option<Refill>,
    #[serde(default)]
    pub limits: Option<Limits>,
}

/// `PATCH /api/admin/api-keys/{id}`: absent fields stay; `"expires_at": null` clears the expiry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub limits: Option<Limits>,
    #[serde(default, deserialize_with = "present_or_null")]
    pub expires_at: Option<Option<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `POST /api/admin/api-keys/{id}/rotate` (body optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyBody {
    #[serde(default)]
    pub grace_seconds: Option<u32>,
}

/// `POST /api/admin/api-keys/{id}/revoke` takes no fields; an empty body or `{}` is fine.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// `GET /api/admin/api-keys` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListKeysQuery {
    pub owner: Option<String>,
    pub state: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// `GET /api/admin/audit` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAuditQuery {
    pub key_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// Distinguishes a field that is absent (outer `None`) from one that is `null` (`Some(None)`).
fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A key as the admin API shows it: metadata only, never a secret or a hash.
#[derive(Debug, Serialize)]
pub struct KeyView {
    pub id: String,
    pub prefix: String,
    pub name: String,
    pub owner: Option<String>,
    pub scopes: Vec<String>,
    pub state: &'static str,
    pub enabled: bool,
    pub limits: Limits,
    pub remaining: Option<u64>,
    pub refill: Option<Refill>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Until when the secret replaced by the last rotation still verifies.
    pub previous_secret_valid_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl KeyView {
    /// The view of `key` at `now`.
    pub fn of(key: &ApiKey, now: Timestamp) -> Self {
        Self {
            id: key.id.to_string(),
            prefix: key.prefix(),
            name: key.name.as_str().to_owned(),
            owner: key.owner.as_ref().map(|o| o.as_str().to_owned()),
            scopes: key.scopes.as_slice().to_vec(),
            state: key.state(now).as_str(),
            enabled: key.enabled,
            limits: key.limits,
            remaining: key.effective_remaining(now),
            refill: key.refill,
            expires_at: key.expires_at.map(Timestamp::to_rfc3339),
            revoked_at: key.revoked_at.map(Timestamp::to_rfc3339),
            previous_secret_valid_until: key
                .previous_secret_valid_at(now)
                .and(key.previous_secret_expires_at)
                .map(Timestamp::to_rfc3339),
            created_at: key.created_at.to_rfc3339(),
            updated_at: key.updated_at.to_rfc3339(),
        }
    }
}

/// A key with its plaintext, returned once on creation and rotation.
#[derive(Debug, Serialize)]
pub struct CreatedKeyView {
    /// `hx_<id>_<secret>`: store it now, it cannot be shown again.
    pub key: String,
    #[serde(flatten)]
    pub view: KeyView,
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An audit entry.
#[derive(Debug, Serialize)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub key_id: Option<String>,
    pub detail: serde_json::Value,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.entry.at.to_rfc3339(),
            actor: e.entry.actor.clone(),
            action: e.entry.action.as_str(),
            key_id: e.entry.key_id.as_ref().map(ToString::to_string),
            detail: e.entry.detail.clone(),
        }
    }
}
