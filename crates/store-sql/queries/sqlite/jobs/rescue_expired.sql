-- ?1 now (ms): leases that ran out belong to a dead worker.
UPDATE jobs SET
    state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'dead' END,
    finished_at_ms = CASE WHEN attempts < max_attempts THEN NULL ELSE ?1 END,
    last_error = 'lease expired: the worker running this attempt stopped responding',
    updated_at_ms = ?1, lease_owner = NULL, lease_expires_at_ms = NULL
WHERE state = 'running' AND lease_expires_at_ms < ?1
RETURNING id
