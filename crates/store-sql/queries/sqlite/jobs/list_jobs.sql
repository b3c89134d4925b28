-- ?1 key id, ?2 state, ?3 before seq, ?4 limit; newest first.
SELECT seq, id, key_id, kind, payload, priority, state, attempts, max_attempts, timeout_ms, concurrency_limit,
       run_at_ms, created_at_ms, updated_at_ms, started_at_ms, finished_at_ms, result, last_error,
       cancel_requested, lease_owner, lease_expires_at_ms
FROM jobs
WHERE (?1 IS NULL OR key_id = ?1) AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR seq < ?3)
ORDER BY seq DESC
LIMIT ?4
