-- ?1 worker
DELETE FROM worker_heartbeats WHERE worker = ?1
RETURNING worker
