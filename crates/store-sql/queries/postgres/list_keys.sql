-- $1 owner, $2 state, $3 now (ms), $4/$5 cursor (created_at_ms, id), $6 limit.
-- The state rules mirror ApiKey::state: revoked, then disabled, then expired, else active.
SELECT id, name, owner, scopes::text, secret_hash, previous_secret_hash, previous_secret_expires_at_ms,
       rate_per_sec, burst, concurrency, daily_quota, remaining, refill_interval, refill_amount,
       last_refill_at_ms, enabled, expires_at_ms, revoked_at_ms, created_at_ms, updated_at_ms, version,
       max_scheduled_jobs, max_stored_bytes
FROM api_keys
WHERE ($1::text IS NULL OR owner = $1::text)
  AND ($2::text IS NULL
       OR ($2::text = 'revoked' AND revoked_at_ms IS NOT NULL)
       OR ($2::text = 'disabled' AND revoked_at_ms IS NULL AND NOT enabled)
       OR ($2::text = 'expired' AND revoked_at_ms IS NULL AND enabled AND expires_at_ms <= $3::bigint)
       OR ($2::text = 'active' AND revoked_at_ms IS NULL AND enabled
           AND (expires_at_ms IS NULL OR expires_at_ms > $3::bigint)))
  AND ($4::bigint IS NULL OR (created_at_ms, id) < ($4::bigint, $5::text))
ORDER BY created_at_ms DESC, id DESC
LIMIT $6::bigint
