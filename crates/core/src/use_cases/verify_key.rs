//! Verifying a presented API key: one indexed lookup, a constant-time hash comparison, then state.

use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, KeyHasher, KeySecret, KeyState, Limits, Owner, PresentedKey, Scopes};
use crate::ports::{ApiKeyStore, StoreError};

/// A key that verified, with what dispatch needs to authorise and limit the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedKey {
    /// Which key.
    pub id: ApiKeyId,
    /// Its owner.
    pub owner: Option<Owner>,
    /// Its scopes.
    pub scopes: Scopes,
    /// Its limits.
    pub limits: Limits,
    /// Uses left (after any due refill), `None` for unlimited.
    pub remaining: Option<u64>,
    /// Whether the secret replaced by a rotation was used (still in its grace period).
    pub used_previous_secret: bool,
}

/// Why a key did not verify. `Unknown` covers malformed keys, unknown ids and wrong secrets alike,
/// so a caller learns nothing about which ids exist; the states are only told to holders of the
/// right secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRejection {
    /// Not a key we issued.
    #[error("unknown API key")]
    Unknown,
    /// Revoked by an admin.
    #[error("API key revoked")]
    Revoked,
    /// Past its expiry.
    #[error("API key expired")]
    Expired,
    /// Disabled by an admin.
    #[error("API key disabled")]
    Disabled,
    /// No uses left until the next refill.
    #[error("API key has no remaining uses")]
    Exhausted,
}

/// Verification failed: either the key was rejected or the store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The key does not grant access.
    #[error(transparent)]
    Rejected(#[from] KeyRejection),
    /// The store failed; the key's validity is unknown.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies `presented` at `now`.
pub async fn verify_api_key<S: ApiKeyStore>(
    store: &S,
    hasher: &KeyHasher,
    presented: &str,
    now: Timestamp,
) -> Result<VerifiedKey, VerifyError> {
    let Ok(presented) = PresentedKey::parse(presented.trim()) else {
        return Err(KeyRejection::Unknown.into());
    };
    let key = store.find_key(presented.id()).await?;
    verify_record(key, hasher, &presented, now)
}

/// Verifies `presented` at `now` against `key`, the record stored (or cached) under its id.
pub fn verify_record(
    key: Option<ApiKey>,
    hasher: &KeyHasher,
    presented: &PresentedKey,
    now: Timestamp,
) -> Result<VerifiedKey, VerifyError> {
    // A record under another id (a store or cache that answered for the wrong key) is no match.
    let Some(key) = key.filter(|key| key.id == *presented.id()) else {
        // Spend the same hashing work as for a known id, so timing does not tell ids apart.
        let _ = hasher.hash(presented.id(), presented.secret());
        return Err(KeyRejection::Unknown.into());
    };
    let current = hasher.matches(&key.id, presented.secret(), &key.secret_hash);
    let previous = !current && matches_previous(hasher, &key, presented.secret(), now);
    if !current && !previous {
        return Err(KeyRejection::Unknown.into());
    }
    match key.state(now) {
        KeyState::Active => {}
        KeyState::Revoked => return Err(KeyRejection::Revoked.into()),
        KeyState::Expired => return Err(KeyRejection::Expired.into()),
        KeyState::Disabled => return Err(KeyRejection::Disabled.into()),
    }
    let remaining = key.effective_remaining(now);
    if remaining == Some(0) {
        return Err(KeyRejection::Exhausted.into());
    }
    Ok(VerifiedKey {
        id: key.id,
        owner: key.owner,
        scopes: key.scopes,
        limits: key.limits,
        remaining,
        used_previous_secret: previous,
    })
}

fn matches_previous(
    hasher: &KeyHasher,
    key: &crate::api_key::ApiKey,
    secret: &KeySecret,
    now: Timestamp,
) -> bool {
    key.previous_secret_valid_at(now)
        .is_some_and(|hash| hasher.matches(&key.id, secret, hash))
}
