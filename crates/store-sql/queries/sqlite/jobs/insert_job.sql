-- ?1 id … ?10 concurrency_limit, ?11 state, ?12 run_at_ms, ?13 now (ms)
INSERT INTO jobs (id, key_id, kind, payload, priority, max_attempts, timeout_ms, concurrency_limit,
                  state, run_at_ms, created_at_ms, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
RETURNING seq, id, key_id, kind, payload, priority, state, attempts, max_attempts, timeout_ms, concurrency_limit,
       run_at_ms, created_at_ms, updated_at_ms, started_at_ms, finished_at_ms, result, last_error,
       cancel_requested, lease_owner, lease_expires_at_ms
