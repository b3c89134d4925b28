//! A key record as a key cache keeps it: the whole [`ApiKey`] as JSON text, so a cache (Redis in
//! production) holds the same record the key store does and verification reads it the same way.
//!
//! Only `remaining` and `last_refill_at` move without an admin change (a use is taken by each
//! dispatch), so a cached copy of a key *with a budget* is never trusted for them: verification
//! reads such a key from the key store (see `use_cases::authorize_key_attempt`).

use serde::{Deserialize, Serialize};

use super::{ApiKey, ApiKeyId, KeyName, Limits, Owner, Refill, Scopes, SecretHash};
use crate::{DomainError, Timestamp};

/// The JSON form of a cached key (field names are the store's column names, instants in ms).
///
/// Two releases share the cache during a rollout, so the form only grows: a field added later
/// must be optional (`#[serde(default)]`), and fields this release does not know are ignored.
#[derive(Serialize, Deserialize)]
struct CachedKeyJson {
    id: String,
    name: String,
    owner: Option<String>,
    scopes: Vec<String>,
    secret_hash: String,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at_ms: Option<i64>,
    limits: Limits,
    remaining: Option<u64>,
    refill: Option<Refill>,
    last_refill_at_ms: Option<i64>,
    enabled: bool,
    expires_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
    created_at_ms: i64,
    updated_at_ms: i64,
    version: i64,
}

/// `key` as the JSON text a key cache stores.
pub fn cached_key_json(key: &ApiKey) -> String {
    let ms = |at: Option<Timestamp>| at.map(Timestamp::as_millis);
    let record = CachedKeyJson {
        id: key.id.to_string(),
        name: key.name.as_str().to_owned(),
        owner: key.owner.as_ref().map(|o| o.as_str().to_owned()),
        scopes: key.scopes.as_slice().to_vec(),
        secret_hash: key.secret_hash.to_hex(),
        previous_secret_hash: key.previous_secret_hash.as_ref().map(SecretHash::to_hex),
        previous_secret_expires_at_ms: ms(key.previous_secret_expires_at),
        limits: key.limits,
        remaining: key.remaining,
        refill: key.refill,
        last_refill_at_ms: ms(key.last_refill_at),
        enabled: key.enabled,
        expires_at_ms: ms(key.expires_at),
        revoked_at_ms: ms(key.revoked_at),
        created_at_ms: key.created_at.as_millis(),
        updated_at_ms: key.updated_at.as_millis(),
        version: key.version,
    };
    // A struct of strings, numbers and options always serialises.
    serde_json::to_string(&record).unwrap_or_default()
}

/// The key a cache stored as [`cached_key_json`]; an error names what did not parse.
pub fn key_from_cached_json(text: &str) -> Result<ApiKey, DomainError> {
    let record: CachedKeyJson =
        serde_json::from_str(text).map_err(|e| DomainError::invalid("cached key", e.to_string()))?;
    let at = |ms: Option<i64>| ms.map(Timestamp::from_millis);
    Ok(ApiKey {
        id: ApiKeyId::parse(&record.id)?,
        name: KeyName::parse(&record.name)?,
        owner: record.owner.as_deref().map(Owner::parse).transpose()?,
        scopes: Scopes::parse(&record.scopes)?,
        secret_hash: SecretHash::from_hex(&record.secret_hash)?,
        previous_secret_hash: record
            .previous_secret_hash
            .as_deref()
            .map(SecretHash::from_hex)
            .transpose()?,
        previous_secret_expires_at: at(record.previous_secret_expires_at_ms),
        limits: record.limits,
        remaining: record.remaining,
        refill: record.refill,
        last_refill_at: at(record.last_refill_at_ms),
        enabled: record.enabled,
        expires_at: at(record.expires_at_ms),
        revoked_at: at(record.revoked_at_ms),
        created_at: Timestamp::from_millis(record.created_at_ms),
        updated_at: Timestamp::from_millis(record.updated_at_ms),
        version: record.version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_key::RefillInterval;

    fn key() -> ApiKey {
        ApiKey {
            id: ApiKeyId::parse("0123456789abcdef").unwrap(),
            name: KeyName::parse("billing").unwrap(),
            owner: Some(Owner::parse("team-a").unwrap()),
            scopes: Scopes::parse(&["jobs:write", "jobs:read"]).unwrap(),
            secret_hash: SecretHash::from_hex(&"ab".repeat(32)).unwrap(),
            previous_secret_hash: Some(SecretHash::from_hex(&"cd".repeat(32)).unwrap()),
            previous_secret_expires_at: Some(Timestamp::from_millis(5_000)),
            limits: Limits {
                rate_per_sec: Some(10),
                burst: Some(20),
                daily_quota: Some(1_000),
                ..Limits::default()
            },
            remaining: Some(7),
            refill: Some(Refill {
                interval: RefillInterval::Daily,
                amount: 10,
            }),
            last_refill_at: Some(Timestamp::from_millis(1_000)),
            enabled: false,
            expires_at: Some(Timestamp::from_millis(9_000)),
            revoked_at: None,
            created_at: Timestamp::from_millis(100),
            updated_at: Timestamp::from_millis(200),
            version: 4,
        }
    }

    #[test]
    fn a_cached_key_reads_back_as_the_same_key() {
        let key = key();
        assert_eq!(key_from_cached_json(&cached_key_json(&key)).unwrap(), key);
    }

    #[test]
    fn a_cached_record_that_does_not_parse_is_an_error_not_a_default_key() {
        assert!(key_from_cached_json("{}").is_err());
        let newer = cached_key_json(&key()).replacen('{', "{\"added_later\":1,", 1);
        assert_eq!(
            key_from_cached_json(&newer).unwrap(),
            key(),
            "a later release's field is ignored"
        );
        let tampered = cached_key_json(&key()).replace("\"jobs:read\"", "\"JOBS READ\"");
        assert!(key_from_cached_json(&tampered).is_err());
    }
}
