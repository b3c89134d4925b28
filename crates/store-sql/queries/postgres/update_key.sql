-- Optimistic locking: only the version that was read is replaced ($21). The usage counters
-- (remaining, last_refill_at_ms) are not admin fields: consume_use owns them.
UPDATE api_keys SET
    name = $2::text, owner = $3::text, scopes = $4::text::jsonb, secret_hash = $5::text,
    previous_secret_hash = $6::text, previous_secret_expires_at_ms = $7::bigint,
    rate_per_sec = $8::bigint, burst = $9::bigint, concurrency = $10::bigint,
    daily_quota = $11::bigint, refill_interval = $12::text, refill_amount = $13::bigint,
    enabled = $14::boolean, expires_at_ms = $15::bigint, revoked_at_ms = $16::bigint,
    updated_at_ms = $17::bigint, version = $18::bigint, max_scheduled_jobs = $19::bigint,
    max_stored_bytes = $20::bigint
WHERE id = $1::text AND version = $21::bigint
RETURNING id
