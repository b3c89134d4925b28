-- API keys and the admin audit log (Postgres, production).
-- Instants are BIGINT milliseconds since the Unix epoch, as in the SQLite schema, so both stores
-- share one row codec.
CREATE TABLE api_keys (
    id                            TEXT PRIMARY KEY,
    name                          TEXT NOT NULL,
    owner                         TEXT,
    scopes                        JSONB NOT NULL DEFAULT '[]',
    secret_hash                   TEXT NOT NULL,
    previous_secret_hash          TEXT,
    previous_secret_expires_at_ms BIGINT,
    rate_per_sec                  BIGINT CHECK (rate_per_sec > 0),
    burst                         BIGINT CHECK (burst > 0),
    concurrency                   BIGINT CHECK (concurrency > 0),
    daily_quota                   BIGINT CHECK (daily_quota > 0),
    remaining                     BIGINT CHECK (remaining >= 0),
    refill_interval               TEXT CHECK (refill_interval IN ('daily', 'monthly')),
    refill_amount                 BIGINT CHECK (refill_amount > 0),
    last_refill_at_ms             BIGINT,
    enabled                       BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at_ms                 BIGINT,
    revoked_at_ms                 BIGINT,
    created_at_ms                 BIGINT NOT NULL,
    updated_at_ms                 BIGINT NOT NULL,
    version                       BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX api_keys_by_creation ON api_keys (created_at_ms DESC, id DESC);
CREATE INDEX api_keys_by_owner ON api_keys (owner, created_at_ms DESC, id DESC);

CREATE TABLE audit_log (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    key_id  TEXT,
    detail  JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_by_key ON audit_log (key_id, seq DESC);
