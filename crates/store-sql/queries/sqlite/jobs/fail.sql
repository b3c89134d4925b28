-- ?1 id, ?2 worker, ?3 error, ?4 retry at (ms, NULL: no retry), ?5 now (ms), ?6 give up (1: dead
-- even with attempts left, the worker's cap for the kind is reached)
UPDATE jobs SET
    state = CASE WHEN ?6 = 1 THEN 'dead' WHEN ?4 IS NULL THEN 'failed'
                 WHEN attempts < max_attempts THEN 'retrying' ELSE 'dead' END,
    run_at_ms = CASE WHEN ?4 IS NOT NULL AND attempts < max_attempts THEN ?4 ELSE NULL END,
    finished_at_ms = CASE WHEN ?4 IS NOT NULL AND attempts < max_attempts THEN NULL ELSE ?5 END,
    last_error = ?3, updated_at_ms = ?5, lease_owner = NULL, lease_expires_at_ms = NULL
WHERE id = ?1 AND state = 'running' AND lease_owner = ?2
RETURNING id
