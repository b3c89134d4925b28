-- ?1 id, ?2 key_id, ?3 kind, ?4 payload, ?5 priority, ?6 max_attempts, ?7 timeout_ms,
-- ?8 concurrency_limit, ?9 state, ?10 run_at_ms, ?11 now (ms: created and updated)
INSERT INTO jobs (id, key_id, kind, payload, priority, max_attempts, timeout_ms, concurrency_limit,
                  state, run_at_ms, created_at_ms, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
RETURNING {job_columns}
