-- API keys and the admin audit log (SQLite, the embedded default).
-- Instants are INTEGER milliseconds since the Unix epoch; booleans are 0/1.
CREATE TABLE api_keys (
    id                            TEXT PRIMARY KEY NOT NULL,
    name                          TEXT NOT NULL,
    owner                         TEXT,
    scopes                        TEXT NOT NULL DEFAULT '[]',
    secret_hash                   TEXT NOT NULL,
    previous_secret_hash          TEXT,
    previous_secret_expires_at_ms INTEGER,
    rate_per_sec                  INTEGER CHECK (rate_per_sec > 0),
    burst                         INTEGER CHECK (burst > 0),
    concurrency                   INTEGER CHECK (concurrency > 0),
    daily_quota                   INTEGER CHECK (daily_quota > 0),
    remaining                     INTEGER CHECK (remaining >= 0),
    refill_interval               TEXT CHECK (refill_interval IN ('daily', 'monthly')),
    refill_amount                 INTEGER CHECK (refill_amount > 0),
    last_refill_at_ms             INTEGER,
    enabled                       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    expires_at_ms                 INTEGER,
    revoked_at_ms                 INTEGER,
    created_at_ms                 INTEGER NOT NULL,
    updated_at_ms                 INTEGER NOT NULL,
    version                       INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX api_keys_by_creation ON api_keys (created_at_ms DESC, id DESC);
CREATE INDEX api_keys_by_owner ON api_keys (owner, created_at_ms DESC, id DESC);

CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    key_id  TEXT,
    detail  TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_by_key ON audit_log (key_id, seq DESC);
