-- Jobs, per-key quota state and idempotency keys (SQLite, the embedded default). In production
-- these live in Redis; Postgres keeps keys, users and the audit log.
CREATE TABLE jobs (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    key_id              TEXT NOT NULL,
    kind                TEXT NOT NULL,
    payload             TEXT NOT NULL,
    priority            INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),
    state               TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded',
                                                       'failed', 'retrying', 'dead', 'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    max_attempts        INTEGER NOT NULL,
    timeout_ms          INTEGER NOT NULL,
    concurrency_limit   INTEGER,
    run_at_ms           INTEGER,
    created_at_ms       INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL,
    started_at_ms       INTEGER,
    finished_at_ms      INTEGER,
    result              TEXT,
    last_error          TEXT,
    cancel_requested    INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_expires_at_ms INTEGER
);

CREATE INDEX jobs_ready ON jobs (priority, seq) WHERE state = 'queued';
CREATE INDEX jobs_due ON jobs (run_at_ms) WHERE state IN ('scheduled', 'retrying');
CREATE INDEX jobs_running ON jobs (key_id, lease_expires_at_ms) WHERE state = 'running';
CREATE INDEX jobs_by_key ON jobs (key_id, seq DESC);
CREATE INDEX jobs_by_state ON jobs (state, seq DESC);
CREATE INDEX jobs_finished ON jobs (finished_at_ms) WHERE finished_at_ms IS NOT NULL;

CREATE TABLE quota_state (
    key_id    TEXT PRIMARY KEY NOT NULL,
    tat_us    INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    day_count INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
    key_id        TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
