//! Admin operations on API keys. Each change is written with optimistic locking, together with its
//! audit entry in one transaction: no change without its entry, no entry without its change.

use serde_json::json;

use crate::Timestamp;
use crate::api_key::{
    ApiKey, ApiKeyId, KeyHasher, KeyName, KeySecret, KeyState, Limits, Owner, Refill, Scopes,
};
use crate::audit::{AuditAction, NewAuditEntry};
use crate::error::DomainError;
use crate::pagination::{KeyCursor, Page, PageSize};
use crate::ports::{ApiKeyStore, Entropy, EntropyUnavailable, KeyCache, KeyFilter, StoreError};

/// The longest rotation grace period: a week is enough to roll a secret out everywhere.
const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;
/// Attempts at finding an unused id; a collision of 64 random bits is already astronomically rare.
const ID_ATTEMPTS: usize = 3;

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request broke a domain rule.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// No key with that id.
    #[error("no API key with that id")]
    NotFound,
    /// The key's state forbids the operation; `code` is stable for clients.
    #[error("{detail}")]
    Conflict {
        /// Stable machine-readable reason, e.g. `key_revoked`.
        code: &'static str,
        /// Human explanation.
        detail: String,
    },
    /// No random bytes for a new secret.
    #[error(transparent)]
    Entropy(#[from] EntropyUnavailable),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What every mutating admin operation needs: the store, a CSPRNG, the hasher, who acts and when.
pub struct AdminContext<'a, S, C, E> {
    /// Keys and audit log.
    pub store: &'a S,
    /// The key cache: fenced before every change, written through after it (see
    /// [`KeyCache`]), so a revoked key is refused from the very next request.
    pub cache: &'a C,
    /// Randomness for ids and secrets.
    pub entropy: &'a E,
    /// Hashes secrets with the pepper.
    pub hasher: &'a KeyHasher,
    /// The admin (JWT `sub`).
    pub actor: &'a str,
    /// The instant of the operation.
    pub now: Timestamp,
}

/// A key as created or rotated, with its plaintext: shown to the caller once, never stored.
pub struct CreatedKey {
    /// The stored record.
    pub key: ApiKey,
    /// `hx_<id>_<secret>`.
    pub plaintext: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The fields of a new key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The key's label for people.
    pub name: KeyName,
    /// Who the key belongs to (a customer or team id), for filtering.
    pub owner: Option<Owner>,
    /// What the key may do.
    pub scopes: Scopes,
    /// Expiry; must be in the future.
    pub expires_at: Option<Timestamp>,
    /// Initial uses; defaults to the refill amount when only a refill is given.
    pub remaining: Option<u64>,
    /// Refill rule.
    pub refill: Option<Refill>,
    /// Rate, burst, daily quota and concurrency; unset ones fall back to the defaults.
    pub limits: Limits,
}

/// A partial update: `None` leaves a field alone; `expires_at: Some(None)` clears the expiry.
#[derive(Debug, Clone, Default)]
pub struct KeyChanges {
    /// New label.
    pub name: Option<KeyName>,
    /// New scopes (replacing the old ones).
    pub scopes: Option<Scopes>,
    /// New limits (replacing the old ones).
    pub limits: Option<Limits>,
    /// New expiry, or `Some(None)` for none.
    pub expires_at: Option<Option<Timestamp>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct KeyListQuery {
    /// Only this owner's keys.
    pub owner: Option<Owner>,
    /// Only keys in this state.
    pub state: Option<KeyState>,
    /// Continue after this cursor.
    pub cursor: Option<KeyCursor>,
    /// Page size.
    pub size: PageSize,
}

/// Creates a key and returns it with its plaintext.
pub async fn create_api_key<S, C, E>(
    ctx: &AdminContext<'_, S, C, E>,
    new: NewKey,
) -> Result<CreatedKey, AdminError>
where
    S: ApiKeyStore,
    C: KeyCache,
    E: Entropy,
{
    if new.expires_at.is_some_and(|at| at <= ctx.now) {
        return Err(DomainError::invalid("expires_at", "must be in the future").into());
    }
    let limits = new.limits.validate()?;
    let refill = new.refill.map(Refill::validate).transpose()?;
    if new.remaining.is_some_and(|n| n > i64::MAX as u64) {
        return Err(DomainError::invalid("remaining", "is too large").into());
    }
    let remaining = new.remaining.or(refill.map(|r| r.amount));
    let mut last_error = None;
    for _ in 0..ID_ATTEMPTS {
        let id = ApiKeyId::from_random(random_array(ctx.entropy)?);
        let secret = KeySecret::from_random(random_array(ctx.entropy)?);
        let key = ApiKey {
            secret_hash: ctx.hasher.hash(&id, &secret),
            id,
            name: new.name.clone(),
            owner: new.owner.clone(),
            scopes: new.scopes.clone(),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            limits,
            remaining,
            refill,
            last_refill_at: refill.map(|_| ctx.now),
            enabled: true,
            expires_at: new.expires_at,
            revoked_at: None,
            created_at: ctx.now,
            updated_at: ctx.now,
            version: 1,
        };
        let entry = audit_entry(ctx, AuditAction::KeyCreated, &key.id, created_detail(&key));
        match ctx.store.insert_key(&key, &entry).await {
            Ok(()) => {
                // Nothing can be cached under a new id; written through so its first request
                // needs no key-store lookup (a failure only costs that lookup). A key with a
                // budget is always read from the store: its uses move with every dispatch.
                if key.remaining.is_none() {
                    let _ = ctx.cache.put_key(&key).await;
                }
                let plaintext = secret.full_key(&key.id);
                return Ok(CreatedKey { key, plaintext });
            }
            Err(StoreError::Conflict(why)) => last_error = Some(StoreError::Conflict(why)),
            Err(other) => return Err(other.into()),
        }
    }
    Err(last_error
        .unwrap_or_else(|| StoreError::Failed("no id attempt was made".into()))
        .into())
}

/// The key with this id.
pub async fn get_api_key<S: ApiKeyStore>(store: &S, id: &ApiKeyId) -> Result<ApiKey, AdminError> {
    store.find_key(id).await?.ok_or(AdminError::NotFound)
}

/// One page of keys, newest first.
pub async fn list_api_keys<S: ApiKeyStore>(
    store: &S,
    query: &KeyListQuery,
    now: Timestamp,
) -> Result<Page<ApiKey>, AdminError> {
    let filter = KeyFilter {
        owner: query.owner.clone(),
        state: query.state,
        after: query.cursor.clone(),
        limit: query.size.get() + 1,
    };
    let fetched = store.list_keys(&filter, now).await?;
    Ok(Page::from_overfetch(fetched, query.size, |key| {
        KeyCursor {
            created_at: key.created_at,
            id: key.id.clone(),
        }
        .encode()
    }))
}

/// Applies `changes` to a key that is not revoked.
pub async fn update_api_key<S, C, E>(
    ctx: &AdminContext<'_, S, C, E>,
    id: &ApiKeyId,
    changes: KeyChanges,
) -> Result<ApiKey, AdminError>
where
    S: ApiKeyStore,
    C: KeyCache,
{
    let mut key = get_api_key(ctx.store, id).await?;
    refuse_if_revoked(&key, "updated")?;
    if let Some(Some(at)) = changes.expires_at
        && at <= ctx.now
    {
        return Err(DomainError::invalid("expires_at", "must be in the future").into());
    }
    let limits = changes.limits.map(Limits::validate).transpose()?;
    let mut changed = serde_json::Map::new();
    if let Some(name) = changes.name {
        changed.insert("name".into(), json!(name));
        key.name = name;
    }
    if let Some(scopes) = changes.scopes {
        changed.insert("scopes".into(), json!(scopes));
        key.scopes = scopes;
    }
    if let Some(limits) = limits {
        changed.insert("limits".into(), json!(limits));
        key.limits = limits;
    }
    if let Some(expires_at) = changes.expires_at {
        changed.insert("expires_at".into(), json!(expires_at.map(Timestamp::to_rfc3339)));
        key.expires_at = expires_at;
    }
    if let Some(enabled) = changes.enabled {
        changed.insert("enabled".into(), json!(enabled));
        key.enabled = enabled;
    }
    if changed.is_empty() {
        return Ok(key);
    }
    let entry = audit_entry(
        ctx,
        AuditAction::KeyUpdated,
        &key.id,
        serde_json::Value::Object(changed),
    );
    save(ctx, &mut key, &entry).await?;
    Ok(key)
}

/// Revokes a key, effective on the next verification. Revoking a revoked key changes nothing.
pub async fn revoke_api_key<S, C, E>(
    ctx: &AdminContext<'_, S, C, E>,
    id: &ApiKeyId,
) -> Result<ApiKey, AdminError>
where
    S: ApiKeyStore,
    C: KeyCache,
{
    // A revoke is never refused for a change that came in between (another admin's edit, or
    // their revoke of the same key): it reads the key again and applies to what it finds, so
    // concurrent revokes all answer the revoked key and exactly one is audited.
    let mut attempts_left = REVOKE_ATTEMPTS;
    loop {
        let mut key = get_api_key(ctx.store, id).await?;
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        key.revoked_at = Some(ctx.now);
        // A revoked key must not keep verifying through a rotation grace period either.
        key.previous_secret_hash = None;
        key.previous_secret_expires_at = None;
        let entry = audit_entry(ctx, AuditAction::KeyRevoked, &key.id, json!({}));
        attempts_left -= 1;
        match save(ctx, &mut key, &entry).await {
            Err(AdminError::Conflict { .. }) if attempts_left > 0 => continue,
            saved => return saved.map(|()| key),
        }
    }
}

/// How often a revoke reads and tries again when the key changed under it, before it answers
/// 409 `concurrent_update` (only under a storm of edits to one key).
const REVOKE_ATTEMPTS: u32 = 5;

/// Issues a new secret; the old one keeps verifying for `grace_seconds` (0: stops at once).
pub async fn rotate_api_key<S, C, E>(
    ctx: &AdminContext<'_, S, C, E>,
    id: &ApiKeyId,
    grace_seconds: u32,
) -> Result<CreatedKey, AdminError>
where
    S: ApiKeyStore,
    C: KeyCache,
    E: Entropy,
{
    if grace_seconds > MAX_GRACE_SECONDS {
        return Err(
            DomainError::invalid("grace_seconds", format!("must be at most {MAX_GRACE_SECONDS}")).into(),
        );
    }
    let mut key = get_api_key(ctx.store, id).await?;
    refuse_if_revoked(&key, "rotated")?;
    let secret = KeySecret::from_random(random_array(ctx.entropy)?);
    let old_hash = std::mem::replace(&mut key.secret_hash, ctx.hasher.hash(&key.id, &secret));
    if grace_seconds > 0 {
        key.previous_secret_hash = Some(old_hash);
        key.previous_secret_expires_at = Some(ctx.now.plus_seconds(i64::from(grace_seconds)));
    } else {
        key.previous_secret_hash = None;
        key.previous_secret_expires_at = None;
    }
    let entry = audit_entry(
        ctx,
        AuditAction::KeyRotated,
        &key.id,
        json!({ "grace_seconds": grace_seconds }),
    );
    save(ctx, &mut key, &entry).await?;
    let plaintext = secret.full_key(&key.id);
    Ok(CreatedKey { key, plaintext })
}

fn refuse_if_revoked(key: &ApiKey, verb: &str) -> Result<(), AdminError> {
    if key.revoked_at.is_some() {
        return Err(AdminError::Conflict {
            code: "key_revoked",
            detail: format!("the key is revoked and cannot be {verb}"),
        });
    }
    Ok(())
}

/// Writes `key` back with its audit entry if nobody changed it since it was read.
async fn save<S: ApiKeyStore, C: KeyCache, E>(
    ctx: &AdminContext<'_, S, C, E>,
    key: &mut ApiKey,
    entry: &NewAuditEntry,
) -> Result<(), AdminError> {
    let read_version = key.version;
    key.version = read_version + 1;
    key.updated_at = ctx.now;
    // Fenced first: if the cache cannot be told, the change is not made (a key revoked in the
    // store but still cached would keep verifying).
    ctx.cache.fence_key(&key.id, key.version).await?;
    if ctx.store.update_key(key, read_version, entry).await? {
        // A failed write-through leaves the key fenced and uncached: the next request reads it
        // from the store (as it always does for a key with a budget).
        if key.remaining.is_none() {
            let _ = ctx.cache.put_key(key).await;
        }
        Ok(())
    } else {
        Err(AdminError::Conflict {
            code: "concurrent_update",
            detail: "the key was changed by another request; read it again and retry".into(),
        })
    }
}

fn audit_entry<S, C, E>(
    ctx: &AdminContext<'_, S, C, E>,
    action: AuditAction,
    key_id: &ApiKeyId,
    detail: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry {
        at: ctx.now,
        actor: ctx.actor.to_owned(),
        action,
        key_id: Some(key_id.clone()),
        detail,
    }
}

/// Everything a new key was given, for its `api_key.created` entry (never its secret or hash).
fn created_detail(key: &ApiKey) -> serde_json::Value {
    json!({
        "name": key.name,
        "owner": key.owner,
        "scopes": key.scopes,
        "limits": key.limits,
        "remaining": key.remaining,
        "refill": key.refill,
        "expires_at": key.expires_at.map(Timestamp::to_rfc3339),
    })
}

pub(crate) fn random_array<const N: usize, E: Entropy>(entropy: &E) -> Result<[u8; N], EntropyUnavailable> {
    let mut bytes = [0u8; N];
    entropy.fill(&mut bytes)?;
    Ok(bytes)
}
