-- Counters for /metrics and worker heartbeats (SQLite, the embedded default; Redis in production).
-- A counter field is "<counter>|<label value>|…" (hexaspin_core::metrics::Series).
CREATE TABLE metric_counters (
    field TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);

CREATE TABLE worker_heartbeats (
    worker       TEXT PRIMARY KEY NOT NULL,
    last_seen_ms INTEGER NOT NULL
);

-- Job lifecycle counters are kept by triggers, so they are written in the same transaction as the
-- change they count, whichever statement made it (dispatch, ack, fail, rescue, cancel).
CREATE TRIGGER jobs_count_enqueued AFTER INSERT ON jobs
BEGIN
    INSERT INTO metric_counters (field, value) VALUES ('jobs_enqueued|' || NEW.kind, 1)
    ON CONFLICT (field) DO UPDATE SET value = value + 1;
END;

-- Counted: attempts that succeeded, failed for good (failed, dead), will be retried (retrying, or
-- back to queued by the rescuer with the attempt counted), and cancellations. Not counted: a
-- shutdown handing a job back (attempt uncounted) and an admin retrying a dead job.
CREATE TRIGGER jobs_count_outcome AFTER UPDATE OF state ON jobs
WHEN OLD.state <> NEW.state
 AND (NEW.state IN ('succeeded', 'retrying', 'failed', 'dead', 'cancelled')
      OR (OLD.state = 'running' AND NEW.state = 'queued' AND NEW.attempts = OLD.attempts))
BEGIN
    INSERT INTO metric_counters (field, value)
    VALUES (CASE NEW.state
                WHEN 'succeeded' THEN 'jobs_succeeded|' || NEW.kind
                WHEN 'cancelled' THEN 'jobs_cancelled|' || NEW.kind
                WHEN 'failed' THEN 'jobs_failed|' || NEW.kind || '|failed'
                WHEN 'dead' THEN 'jobs_failed|' || NEW.kind || '|dead'
                ELSE 'jobs_retried|' || NEW.kind
            END, 1)
    ON CONFLICT (field) DO UPDATE SET value = value + 1;
END;
