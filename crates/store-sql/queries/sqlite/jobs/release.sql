-- ?1 id, ?2 worker, ?3 now (ms): back to the queue, the attempt not counted.
UPDATE jobs SET state = 'queued', attempts = attempts - 1, updated_at_ms = ?3,
                lease_owner = NULL, lease_expires_at_ms = NULL
WHERE id = ?1 AND state = 'running' AND lease_owner = ?2
RETURNING id
