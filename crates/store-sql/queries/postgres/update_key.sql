-- Optimistic locking: only the version that was read is replaced ($22).
UPDATE api_keys SET
    name = $2::text, owner = $3::text, scopes = $4::text::jsonb, secret_hash = $5::text,
    previous_secret_hash = $6::text, previous_secret_expires_at_ms = $7::bigint,
    rate_per_sec = $8::bigint, burst = $9::bigint, concurrency = $10::bigint,
    daily_quota = $11::bigint, remaining = $12::bigint, refill_interval = $13::text,
    refill_amount = $14::bigint, last_refill_at_ms = $15::bigint, enabled = $16::boolean,
    expires_at_ms = $17::bigint, revoked_at_ms = $18::bigint, created_at_ms = $19::bigint,
    updated_at_ms = $20::bigint, version = $21::bigint
WHERE id = $1::text AND version = $22::bigint
RETURNING id
