-- What one API key may keep stored (embedded SQLite): its own caps on scheduled jobs and on the
-- bytes of its jobs' payloads (NULL: the server default), and what each key holds, kept exact by
-- triggers on every job that is stored, deleted or moves in or out of `scheduled`, so that the
-- dispatch check reads one row instead of counting the key's jobs.
ALTER TABLE api_keys ADD COLUMN max_scheduled_jobs INTEGER CHECK (max_scheduled_jobs > 0);
ALTER TABLE api_keys ADD COLUMN max_stored_bytes INTEGER CHECK (max_stored_bytes > 0);

CREATE TABLE key_storage (
    key_id         TEXT PRIMARY KEY NOT NULL,
    scheduled_jobs INTEGER NOT NULL DEFAULT 0,
    stored_bytes   INTEGER NOT NULL DEFAULT 0
);

INSERT INTO key_storage (key_id, scheduled_jobs, stored_bytes)
SELECT key_id, SUM(state = 'scheduled'), SUM(length(CAST(payload AS BLOB)))
FROM jobs
GROUP BY key_id;

CREATE TRIGGER key_storage_job_stored AFTER INSERT ON jobs
BEGIN
    INSERT INTO key_storage (key_id, scheduled_jobs, stored_bytes)
    VALUES (NEW.key_id, NEW.state = 'scheduled', length(CAST(NEW.payload AS BLOB)))
    ON CONFLICT (key_id) DO UPDATE SET
        scheduled_jobs = scheduled_jobs + excluded.scheduled_jobs,
        stored_bytes = stored_bytes + excluded.stored_bytes;
END;

CREATE TRIGGER key_storage_job_deleted AFTER DELETE ON jobs
BEGIN
    UPDATE key_storage SET
        scheduled_jobs = scheduled_jobs - (OLD.state = 'scheduled'),
        stored_bytes = stored_bytes - length(CAST(OLD.payload AS BLOB))
    WHERE key_id = OLD.key_id;
END;

CREATE TRIGGER key_storage_job_moved AFTER UPDATE OF state ON jobs
WHEN (OLD.state = 'scheduled') <> (NEW.state = 'scheduled')
BEGIN
    UPDATE key_storage SET scheduled_jobs = scheduled_jobs + (NEW.state = 'scheduled') - (OLD.state = 'scheduled')
    WHERE key_id = NEW.key_id;
END;
