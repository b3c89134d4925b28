-- ?1 id, ?2 worker, ?3 now (ms): the worker stopped a running job whose cancellation was asked.
UPDATE jobs SET state = 'cancelled', finished_at_ms = ?3, updated_at_ms = ?3,
                last_error = 'cancelled while running', lease_owner = NULL, lease_expires_at_ms = NULL
WHERE id = ?1 AND state = 'running' AND lease_owner = ?2
RETURNING id
