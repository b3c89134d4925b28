-- What one API key may keep stored: its own caps on scheduled jobs and on the bytes of its jobs'
-- payloads (NULL: the server default). The jobs, and what each key holds, are in Redis.
ALTER TABLE api_keys ADD COLUMN max_scheduled_jobs BIGINT CHECK (max_scheduled_jobs > 0);
ALTER TABLE api_keys ADD COLUMN max_stored_bytes BIGINT CHECK (max_stored_bytes > 0);
