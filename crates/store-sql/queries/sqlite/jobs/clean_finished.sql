-- ?1 before (ms)
DELETE FROM jobs
WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled') AND finished_at_ms < ?1
RETURNING id
