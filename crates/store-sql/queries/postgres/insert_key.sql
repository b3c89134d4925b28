INSERT INTO api_keys (
    id, name, owner, scopes, secret_hash, previous_secret_hash, previous_secret_expires_at_ms,
    rate_per_sec, burst, concurrency, daily_quota, remaining, refill_interval, refill_amount,
    last_refill_at_ms, enabled, expires_at_ms, revoked_at_ms, created_at_ms, updated_at_ms, version,
    max_scheduled_jobs, max_stored_bytes
) VALUES ($1::text, $2::text, $3::text, $4::text::jsonb, $5::text, $6::text, $7::bigint,
          $8::bigint, $9::bigint, $10::bigint, $11::bigint, $12::bigint, $13::text, $14::bigint,
          $15::bigint, $16::boolean, $17::bigint, $18::bigint, $19::bigint, $20::bigint, $21::bigint,
          $22::bigint, $23::bigint)
RETURNING id
