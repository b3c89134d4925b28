-- ?1 worker, ?2 now (ms)
INSERT INTO worker_heartbeats (worker, last_seen_ms) VALUES (?1, ?2)
ON CONFLICT (worker) DO UPDATE SET last_seen_ms = excluded.last_seen_ms
RETURNING worker
