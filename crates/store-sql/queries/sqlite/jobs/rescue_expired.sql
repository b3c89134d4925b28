-- ?1 now (ms), ?2 limit (at most this many per call): leases that ran out belong to a dead
-- worker. A job whose cancellation was asked ends cancelled; the others get a new attempt, or are
-- dead after their last one.
UPDATE jobs SET
    state = CASE WHEN cancel_requested = 1 THEN 'cancelled'
                 WHEN attempts < max_attempts THEN 'queued' ELSE 'dead' END,
    finished_at_ms = CASE WHEN cancel_requested = 0 AND attempts < max_attempts THEN NULL ELSE ?1 END,
    last_error = CASE WHEN cancel_requested = 1
                      THEN 'cancelled: the lease ran out after the cancellation was asked'
                      ELSE 'lease expired: the worker running this attempt stopped responding' END,
    updated_at_ms = ?1, lease_owner = NULL, lease_expires_at_ms = NULL
WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at_ms < ?1
             ORDER BY lease_expires_at_ms LIMIT ?2)
RETURNING id
