-- ?1 key id, ?2 idempotency key, ?3 now (ms)
SELECT job_id FROM idempotency_keys WHERE key_id = ?1 AND idem_key = ?2 AND expires_at_ms > ?3
