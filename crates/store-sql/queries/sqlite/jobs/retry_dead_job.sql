-- ?1 id, ?2 now (ms): dead -> queued with a fresh set of attempts.
UPDATE jobs SET state = 'queued', attempts = 0, finished_at_ms = NULL, run_at_ms = NULL, updated_at_ms = ?2
WHERE id = ?1 AND state = 'dead'
RETURNING seq, id, key_id, kind, payload, priority, state, attempts, max_attempts, timeout_ms, concurrency_limit,
       run_at_ms, created_at_ms, updated_at_ms, started_at_ms, finished_at_ms, result, last_error,
       cancel_requested, lease_owner, lease_expires_at_ms
