-- ?1 now (ms)
DELETE FROM idempotency_keys WHERE expires_at_ms <= ?1 RETURNING job_id
