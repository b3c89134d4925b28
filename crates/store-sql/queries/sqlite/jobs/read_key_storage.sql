-- ?1 key_id: what the key holds (kept by migration 0004's triggers); no row means nothing.
SELECT scheduled_jobs, stored_bytes FROM key_storage WHERE key_id = ?1
