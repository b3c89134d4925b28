//! Domain records to statement parameters, and rows back to domain records.
//!
//! Column and parameter positions follow `queries/*/insert_key.sql` and `find_key.sql`.

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{
    ApiKey, ApiKeyId, KeyName, Limits, Owner, Refill, RefillInterval, Scopes, SecretHash,
};
use hexaspin_core::audit::{AuditAction, AuditEntry, NewAuditEntry};
use hexaspin_core::ports::StoreError;

use crate::value::{Columns, SqlValue};

/// The 23 parameters of `insert_key` (`update_key` takes them without the usage counters and
/// `created_at`).
pub fn key_params(key: &ApiKey) -> Vec<SqlValue> {
    let millis = |at: Option<Timestamp>| SqlValue::from(at.map(Timestamp::as_millis));
    let count = |n: Option<u64>| SqlValue::from(n.map(|n| i64::try_from(n).unwrap_or(i64::MAX)));
    vec![
        SqlValue::Text(key.id.to_string()),
        SqlValue::Text(key.name.as_str().to_owned()),
        SqlValue::from(key.owner.as_ref().map(Owner::as_str)),
        SqlValue::Text(json_text(&key.scopes)),
        SqlValue::Text(key.secret_hash.to_hex()),
        SqlValue::from(key.previous_secret_hash.as_ref().map(SecretHash::to_hex)),
        millis(key.previous_secret_expires_at),
        count(key.limits.rate_per_sec.map(u64::from)),
        count(key.limits.burst.map(u64::from)),
        count(key.limits.concurrency.map(u64::from)),
        count(key.limits.daily_quota),
        count(key.remaining),
        SqlValue::from(key.refill.map(|r| r.interval.as_str())),
        count(key.refill.map(|r| r.amount)),
        millis(key.last_refill_at),
        SqlValue::Bool(key.enabled),
        millis(key.expires_at),
        millis(key.revoked_at),
        SqlValue::Int(key.created_at.as_millis()),
        SqlValue::Int(key.updated_at.as_millis()),
        SqlValue::Int(key.version),
        count(key.limits.max_scheduled_jobs),
        count(key.limits.max_stored_bytes),
    ]
}

/// The 21 parameters of `update_key`: the admin-editable fields, then the version read.
pub fn key_update_params(key: &ApiKey, expected_version: i64) -> Vec<SqlValue> {
    let all = key_params(key);
    // Positions in key_params: 11 remaining, 14 last_refill_at_ms, 18 created_at_ms (immutable).
    let mut params: Vec<SqlValue> = all
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !matches!(index, 11 | 14 | 18))
        .map(|(_, value)| value)
        .collect();
    params.push(SqlValue::Int(expected_version));
    params
}

/// A key from a row of `find_key`/`list_keys`.
pub fn key_from_row(row: &[SqlValue]) -> Result<ApiKey, StoreError> {
    let c = Columns::new(row);
    let corrupt = |what: &str, e: hexaspin_core::DomainError| StoreError::Corrupt(format!("{what}: {e}"));
    let millis = |i| c.opt_int(i).map(|v| v.map(Timestamp::from_millis));
    let scopes: Vec<String> =
        serde_json::from_str(&c.text(3)?).map_err(|e| StoreError::Corrupt(format!("scopes: {e}")))?;
    let refill = match (c.opt_text(12)?, c.opt_u64(13)?) {
        (Some(interval), Some(amount)) => Some(Refill {
            interval: RefillInterval::parse(&interval).map_err(|e| corrupt("refill_interval", e))?,
            amount,
        }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "refill_interval and refill_amount disagree".into(),
            ));
        }
    };
    Ok(ApiKey {
        id: ApiKeyId::parse(&c.text(0)?).map_err(|e| corrupt("id", e))?,
        name: KeyName::parse(&c.text(1)?).map_err(|e| corrupt("name", e))?,
        owner: c
            .opt_text(2)?
            .map(|o| Owner::parse(&o))
            .transpose()
            .map_err(|e| corrupt("owner", e))?,
        scopes: Scopes::parse(&scopes).map_err(|e| corrupt("scopes", e))?,
        secret_hash: SecretHash::from_hex(&c.text(4)?).map_err(|e| corrupt("secret_hash", e))?,
        previous_secret_hash: c
            .opt_text(5)?
            .map(|h| SecretHash::from_hex(&h))
            .transpose()
            .map_err(|e| corrupt("previous_secret_hash", e))?,
        previous_secret_expires_at: millis(6)?,
        limits: Limits {
            rate_per_sec: c.opt_u32(7)?,
            burst: c.opt_u32(8)?,
            concurrency: c.opt_u32(9)?,
            daily_quota: c.opt_u64(10)?,
            max_scheduled_jobs: c.opt_u64(21)?,
            max_stored_bytes: c.opt_u64(22)?,
        },
        remaining: c.opt_u64(11)?,
        refill,
        last_refill_at: millis(14)?,
        enabled: c.bool(15)?,
        expires_at: millis(16)?,
        revoked_at: millis(17)?,
        created_at: Timestamp::from_millis(c.int(18)?),
        updated_at: Timestamp::from_millis(c.int(19)?),
        version: c.int(20)?,
    })
}

/// The 5 parameters of `append_audit`.
pub fn audit_params(entry: &NewAuditEntry) -> Vec<SqlValue> {
    vec![
        SqlValue::Int(entry.at.as_millis()),
        SqlValue::Text(entry.actor.clone()),
        SqlValue::Text(entry.action.as_str().to_owned()),
        SqlValue::from(entry.key_id.as_ref().map(ApiKeyId::as_str)),
        SqlValue::Text(entry.detail.to_string()),
    ]
}

/// An audit entry from a row of `list_audit`.
pub fn audit_from_row(row: &[SqlValue]) -> Result<AuditEntry, StoreError> {
    let c = Columns::new(row);
    let action = c.text(3)?;
    Ok(AuditEntry {
        seq: c.int(0)?,
        entry: NewAuditEntry {
            at: Timestamp::from_millis(c.int(1)?),
            actor: c.text(2)?,
            action: AuditAction::parse(&action)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown audit action {action:?}")))?,
            key_id: c
                .opt_text(4)?
                .map(|id| ApiKeyId::parse(&id))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("key_id: {e}")))?,
            detail: serde_json::from_str(&c.text(5)?)
                .map_err(|e| StoreError::Corrupt(format!("detail: {e}")))?,
        },
    })
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}
