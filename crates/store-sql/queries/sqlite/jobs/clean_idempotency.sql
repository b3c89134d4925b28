-- ?1 cutoff (ms): idempotency keys that expired by then are forgotten.
DELETE FROM idempotency_keys WHERE expires_at_ms <= ?1 RETURNING job_id
