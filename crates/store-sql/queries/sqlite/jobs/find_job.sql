SELECT seq, id, key_id, kind, payload, priority, state, attempts, max_attempts, timeout_ms, concurrency_limit,
       run_at_ms, created_at_ms, updated_at_ms, started_at_ms, finished_at_ms, result, last_error,
       cancel_requested, lease_owner, lease_expires_at_ms
FROM jobs WHERE id = ?1
