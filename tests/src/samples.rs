//! Domain values for tests.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{
    ApiKey, ApiKeyId, KeyHasher, KeyName, KeySecret, Limits, Owner, Refill, RefillInterval, Scopes,
};
use hexaspin_core::audit::{AuditAction, NewAuditEntry};

/// The pepper tests hash with.
pub const PEPPER: &[u8] = b"hexaspin-test-pepper-0123456789ABCDEF";
/// The JWT secret tests sign with.
pub const JWT_SECRET: &str = "hexaspin-test-jwt-0123456789ABCDEFGHIJ";

/// The hasher for [`PEPPER`].
pub fn hasher() -> KeyHasher {
    KeyHasher::new(PEPPER).expect("pepper is long enough")
}

/// The audit entry store-level tests write beside a key they insert or change directly.
pub fn test_entry(key: &ApiKey) -> NewAuditEntry {
    NewAuditEntry {
        at: key.updated_at,
        actor: "contract-test".to_owned(),
        action: AuditAction::KeyUpdated,
        key_id: Some(key.id.clone()),
        detail: serde_json::json!({ "version": key.version }),
    }
}

/// A key with only the required fields, id derived from `seed`.
pub fn minimal_key(seed: u8, created_at: Timestamp) -> ApiKey {
    let id = ApiKeyId::from_random([seed; 8]);
    ApiKey {
        secret_hash: hasher().hash(&id, &KeySecret::from_random([seed; 32])),
        id,
        name: KeyName::parse(&format!("key {seed}")).expect("valid name"),
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
        created_at,
        updated_at: created_at,
        version: 1,
    }
}

/// A key with every optional field set.
pub fn full_key(seed: u8, created_at: Timestamp) -> ApiKey {
    let mut key = minimal_key(seed, created_at);
    key.owner = Some(Owner::parse("tenant-ä").expect("valid owner"));
    key.scopes = Scopes::parse(&["jobs:read", "jobs:write"]).expect("valid scopes");
    key.previous_secret_hash = Some(hasher().hash(&key.id, &KeySecret::from_random([seed ^ 0xff; 32])));
    key.previous_secret_expires_at = Some(created_at.plus_seconds(60));
    key.limits = Limits {
        rate_per_sec: Some(10),
        burst: Some(20),
        concurrency: Some(3),
        daily_quota: Some(10_000),
        max_scheduled_jobs: Some(500),
        max_stored_bytes: Some(1 << 24),
    };
    key.remaining = Some(42);
    key.refill = Some(Refill {
        interval: RefillInterval::Monthly,
        amount: 100,
    });
    key.last_refill_at = Some(created_at);
    key.expires_at = Some(created_at.plus_seconds(86_400));
    key.version = 7;
    key
}
