DROP TRIGGER key_storage_job_moved;
DROP TRIGGER key_storage_job_deleted;
DROP TRIGGER key_storage_job_stored;
DROP TABLE key_storage;
ALTER TABLE api_keys DROP COLUMN max_stored_bytes;
ALTER TABLE api_keys DROP COLUMN max_scheduled_jobs;
