-- ?1 id, ?2 now (ms). Waiting jobs are cancelled at once; running ones are marked for the worker.
UPDATE jobs SET
    state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
    cancel_requested = CASE WHEN state = 'running' THEN 1 ELSE cancel_requested END,
    finished_at_ms = CASE WHEN state = 'running' THEN finished_at_ms ELSE ?2 END,
    run_at_ms = CASE WHEN state = 'running' THEN run_at_ms ELSE NULL END,
    updated_at_ms = ?2
WHERE id = ?1 AND state IN ('scheduled', 'queued', 'retrying', 'running')
RETURNING {job_columns}
