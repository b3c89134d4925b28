//! JSON shapes of the admin API: request bodies (unknown fields refused) and views.
//!
//! Text a person types (a name, an owner) is described by the pattern "no control characters,
//! not only blanks", which is what [`hexaspin_core::api_key::KeyName`] accepts.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, Limits, Refill};
use hexaspin_core::audit::AuditEntry;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::openapi::schemas::{key_state, scope_list};

/// `POST /api/admin/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    /// A label: 1–100 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "billing service"
    )]
    pub name: String,
    /// Who the key belongs to: 1–200 characters, no control characters.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub owner: Option<String>,
    /// What the key may do, e.g. `jobs:read`, `jobs:write`.
    #[serde(default)]
    #[schema(schema_with = scope_list)]
    pub scopes: Option<Vec<String>>,
    /// When the key stops verifying (RFC 3339).
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub remaining: Option<u64>,
    #[serde(default)]
    pub refill: Option<Refill>,
    #[serde(default)]
    pub limits: Option<Limits>,
}

/// `PATCH /api/admin/api-keys/{id}`: absent fields stay; `"expires_at": null` clears the expiry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyBody {
    /// A new label.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// The new scopes (replacing the old ones).
    #[serde(default)]
    #[schema(schema_with = scope_list)]
    pub scopes: Option<Vec<String>>,
    /// The new limits (replacing the old ones).
    #[serde(default)]
    pub limits: Option<Limits>,
    /// A new expiry (RFC 3339), or `null` for none.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    /// `false` suspends the key, `true` resumes it.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `POST /api/admin/api-keys/{id}/rotate` (body optional).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyBody {
    /// How long the old secret keeps verifying, in seconds (0: it stops at once).
    #[serde(default)]
    pub grace_seconds: Option<u32>,
}

/// `POST /api/admin/api-keys/{id}/revoke` takes no fields; an empty body or `{}` is fine.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// `GET /api/admin/api-keys` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListKeysQuery {
    /// Only keys of this owner.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub owner: Option<String>,
    /// Only keys in this state.
    #[param(schema_with = key_state)]
    pub state: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (50 by default).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// `GET /api/admin/audit` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditQuery {
    /// Only entries about this key.
    #[param(pattern = "^[0-9a-f]{16}$")]
    pub key_id: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
    /// Page size, 1–200 (50 by default).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// Distinguishes a field that is absent (outer `None`) from one that is `null` (`Some(None)`).
fn present_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A key as the admin API shows it: metadata only, never a secret or a hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey)]
pub struct KeyView {
    /// 16 hex digits.
    #[schema(pattern = "^[0-9a-f]{16}$")]
    pub id: String,
    /// The start of the key (`hx_<id>`), safe to show to identify it.
    pub prefix: String,
    pub name: String,
    pub owner: Option<String>,
    pub scopes: Vec<String>,
    #[schema(schema_with = key_state)]
    pub state: &'static str,
    pub enabled: bool,
    pub limits: Limits,
    /// Uses left, when the key has a budget.
    pub remaining: Option<u64>,
    pub refill: Option<Refill>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// Until when the secret replaced by the last rotation still verifies.
    #[schema(format = DateTime)]
    pub previous_secret_valid_until: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreatedApiKey)]
pub struct CreatedKeyView {
    /// `hx_<id>_<secret>`: store it now, it cannot be shown again.
    pub key: String,
    #[serde(flatten)]
    pub view: KeyView,
}

/// An audit entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditView {
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub key_id: Option<String>,
    /// What changed, by action.
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
