-- ?1 key id, ?2 idempotency key, ?3 job id, ?4 expiry (ms)
INSERT INTO idempotency_keys (key_id, idem_key, job_id, expires_at_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (key_id, idem_key) DO UPDATE SET job_id = excluded.job_id, expires_at_ms = excluded.expires_at_ms
RETURNING job_id
