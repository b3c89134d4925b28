-- ?1 id, ?2 worker, ?3 result, ?4 now (ms)
UPDATE jobs SET state = 'succeeded', result = ?3, finished_at_ms = ?4, updated_at_ms = ?4,
                lease_owner = NULL, lease_expires_at_ms = NULL
WHERE id = ?1 AND state = 'running' AND lease_owner = ?2
RETURNING id
