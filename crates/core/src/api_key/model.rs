//! The stored record of a key and the state it is in at a given instant.

use serde::{Deserialize, Serialize};

use super::{ApiKeyId, KeyName, Limits, Owner, Refill, Scopes, SecretHash};
use crate::{DomainError, Timestamp};

/// Everything stored about a key. The secret itself is not here, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Lookup id, also the public prefix `hx_<id>`.
    pub id: ApiKeyId,
    /// Human label.
    pub name: KeyName,
    /// Who the key belongs to.
    pub owner: Option<Owner>,
    /// What the key may do.
    pub scopes: Scopes,
    /// Peppered hash of the current secret.
    pub secret_hash: SecretHash,
    /// Hash of the secret replaced by the last rotation, accepted until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<SecretHash>,
    /// End of the rotation grace period.
    pub previous_secret_expires_at: Option<Timestamp>,
    /// Per-key limits.
    pub limits: Limits,
    /// Uses left, `None` for unlimited.
    pub remaining: Option<u64>,
    /// How `remaining` is reset.
    pub refill: Option<Refill>,
    /// When `remaining` was last reset.
    pub last_refill_at: Option<Timestamp>,
    /// Off switch that, unlike revocation, can be turned back on.
    pub enabled: bool,
    /// After this instant the key no longer verifies.
    pub expires_at: Option<Timestamp>,
    /// Set once, by revocation; final.
    pub revoked_at: Option<Timestamp>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Bumped by every change; stores update only the version they read (optimistic locking).
    pub version: i64,
}

/// The state of a key at an instant, in the order it is decided: revoked beats disabled beats
/// expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// In use: it verifies.
    Active,
    /// Revoked by an admin; final.
    Revoked,
    /// Past `expires_at`.
    Expired,
    /// Switched off by an admin.
    Disabled,
}

impl KeyState {
    /// Every state.
    pub const ALL: [KeyState; 4] = [Self::Active, Self::Revoked, Self::Expired, Self::Disabled];

    /// The name used in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Disabled => "disabled",
        }
    }

    /// Parses a state name, as in `?state=revoked`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text {
            "active" => Ok(Self::Active),
            "revoked" => Ok(Self::Revoked),
            "expired" => Ok(Self::Expired),
            "disabled" => Ok(Self::Disabled),
            _ => Err(DomainError::invalid(
                "state",
                "must be one of active, revoked, expired, disabled",
            )),
        }
    }
}

impl ApiKey {
    /// The non-secret start of the key string, enough to recognise it: `hx_<id>`.
    pub fn prefix(&self) -> String {
        format!("{}{}", super::KEY_PREFIX, self.id)
    }

    /// The key's state at `now`.
    pub fn state(&self, now: Timestamp) -> KeyState {
        if self.revoked_at.is_some() {
            KeyState::Revoked
        } else if !self.enabled {
            KeyState::Disabled
        } else if self.expires_at.is_some_and(|at| at <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    /// Whether a secret whose hash is `presented` verifies this key at `now`: the current secret,
    /// or the previous one within its grace period, of an active key. A key cache may answer this
    /// without the core (to leave such an attempt uncharged); the core verifies in full anyway.
    pub fn verifies_hash(&self, presented: &SecretHash, now: Timestamp) -> bool {
        self.state(now) == KeyState::Active
            && (self.secret_hash == *presented || self.previous_secret_valid_at(now) == Some(presented))
    }

    /// Uses left at `now`, counting a refill that is due but not yet written back.
    pub fn effective_remaining(&self, now: Timestamp) -> Option<u64> {
        match self.refill {
            Some(refill) => {
                let period_start = refill.interval.period_start(now);
                let refilled_this_period = self.last_refill_at.is_some_and(|at| at >= period_start);
                if refilled_this_period {
                    self.remaining
                } else {
                    Some(refill.amount)
                }
            }
            None => self.remaining,
        }
    }

    /// Whether the secret replaced by the last rotation still verifies at `now`.
    pub fn previous_secret_valid_at(&self, now: Timestamp) -> Option<&SecretHash> {
        match (&self.previous_secret_hash, self.previous_secret_expires_at) {
            (Some(hash), Some(until)) if now < until => Some(hash),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api_key::{KeyHasher, KeySecret, RefillInterval};

    pub(crate) fn sample_key(now: Timestamp) -> ApiKey {
        let id = ApiKeyId::from_random([3; 8]);
        let hasher = KeyHasher::new(b"0123456789abcdefghijklmnopqrstuv").unwrap();
        ApiKey {
            secret_hash: hasher.hash(&id, &KeySecret::from_random([4; 32])),
            id,
            name: KeyName::parse("sample").unwrap(),
            owner: None,
            scopes: Scopes::default(),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            limits: Limits::default(),
            remaining: None,
            refill: None,
            last_refill_at: None,
            enabled: true,
            expires_at: None,
            revoked_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn revoked_wins_over_disabled_and_expired() {
        let now = Timestamp::from_millis(10_000);
        let mut key = sample_key(now);
        assert_eq!(key.state(now), KeyState::Active);
        key.expires_at = Some(now);
        assert_eq!(key.state(now), KeyState::Expired);
        key.enabled = false;
        assert_eq!(key.state(now), KeyState::Disabled);
        key.revoked_at = Some(now);
        assert_eq!(key.state(now), KeyState::Revoked);
    }

    #[test]
    fn a_key_expires_exactly_at_its_expiry_instant() {
        let now = Timestamp::from_millis(10_000);
        let mut key = sample_key(now);
        key.expires_at = Some(Timestamp::from_millis(10_001));
        assert_eq!(key.state(now), KeyState::Active);
        assert_eq!(key.state(Timestamp::from_millis(10_001)), KeyState::Expired);
    }

    #[test]
    fn remaining_is_refilled_when_a_new_period_has_begun() {
        let day1 = Timestamp::parse_rfc3339("2026-11-21T10:00:00Z").unwrap();
        let day2 = Timestamp::parse_rfc3339("2026-11-22T00:00:00Z").unwrap();
        let mut key = sample_key(day1);
        key.remaining = Some(0);
        key.refill = Some(Refill {
            interval: RefillInterval::Daily,
            amount: 50,
        });
        key.last_refill_at = Some(day1);
        assert_eq!(key.effective_remaining(day1), Some(0));
        assert_eq!(key.effective_remaining(day2), Some(50));
    }

    #[test]
    fn state_names_round_trip() {
        for state in [
            KeyState::Active,
            KeyState::Revoked,
            KeyState::Expired,
            KeyState::Disabled,
        ] {
            assert_eq!(KeyState::parse(state.as_str()).unwrap(), state);
        }
        assert!(KeyState::parse("gone").is_err());
    }
}
