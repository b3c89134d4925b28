-- Optimistic locking: only the version that was read is replaced (?22).
UPDATE api_keys SET
    name = ?2, owner = ?3, scopes = ?4, secret_hash = ?5, previous_secret_hash = ?6,
    previous_secret_expires_at_ms = ?7, rate_per_sec = ?8, burst = ?9, concurrency = ?10,
    daily_quota = ?11, remaining = ?12, refill_interval = ?13, refill_amount = ?14,
    last_refill_at_ms = ?15, enabled = ?16, expires_at_ms = ?17, revoked_at_ms = ?18,
    created_at_ms = ?19, updated_at_ms = ?20, version = ?21
WHERE id = ?1 AND version = ?22
RETURNING id
