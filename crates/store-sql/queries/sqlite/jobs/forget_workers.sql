-- ?1 before (ms)
DELETE FROM worker_heartbeats WHERE last_seen_ms < ?1
RETURNING worker
