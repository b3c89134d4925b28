SELECT worker, last_seen_ms FROM worker_heartbeats ORDER BY worker
