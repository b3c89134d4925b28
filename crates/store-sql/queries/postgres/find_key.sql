SELECT id, name, owner, scopes::text, secret_hash, previous_secret_hash, previous_secret_expires_at_ms,
       rate_per_sec, burst, concurrency, daily_quota, remaining, refill_interval, refill_amount,
       last_refill_at_ms, enabled, expires_at_ms, revoked_at_ms, created_at_ms, updated_at_ms, version,
       max_scheduled_jobs, max_stored_bytes
FROM api_keys
WHERE id = $1::text
