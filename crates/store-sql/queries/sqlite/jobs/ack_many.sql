-- ?1 worker, ?2 now (ms), ?3 a JSON array of [job id, result] pairs. The worker's group commit:
-- every held job of the batch succeeds in ONE statement (one trip to the database thread, one
-- fsync), instead of a statement each. Returns the ids the worker held.
UPDATE jobs SET state = 'succeeded', result = done.value ->> 1, finished_at_ms = ?2,
                updated_at_ms = ?2, lease_owner = NULL, lease_expires_at_ms = NULL
FROM json_each(?3) AS done
WHERE jobs.id = done.value ->> 0 AND jobs.state = 'running' AND jobs.lease_owner = ?1
RETURNING jobs.id
