-- ?1 id, ?2 now (ms): dead -> queued with a fresh set of attempts.
UPDATE jobs SET state = 'queued', attempts = 0, finished_at_ms = NULL, run_at_ms = NULL, updated_at_ms = ?2
WHERE id = ?1 AND state = 'dead'
RETURNING {job_columns}
