-- Optimistic locking: only the version that was read is replaced (?21). The usage counters
-- (remaining, last_refill_at_ms) are not admin fields: consume_use owns them.
UPDATE api_keys SET
    name = ?2, owner = ?3, scopes = ?4, secret_hash = ?5, previous_secret_hash = ?6,
    previous_secret_expires_at_ms = ?7, rate_per_sec = ?8, burst = ?9, concurrency = ?10,
    daily_quota = ?11, refill_interval = ?12, refill_amount = ?13, enabled = ?14,
    expires_at_ms = ?15, revoked_at_ms = ?16, updated_at_ms = ?17, version = ?18,
    max_scheduled_jobs = ?19, max_stored_bytes = ?20
WHERE id = ?1 AND version = ?21
RETURNING id
