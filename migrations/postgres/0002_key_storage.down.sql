ALTER TABLE api_keys DROP COLUMN max_stored_bytes;
ALTER TABLE api_keys DROP COLUMN max_scheduled_jobs;
