-- The user service's accounts and refresh tokens (Postgres).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,        -- normalised (trimmed, lowercase) by the domain
    display_name  TEXT,
    password_hash TEXT NOT NULL,               -- Argon2id PHC string
    state         TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    version       BIGINT NOT NULL
);
CREATE INDEX users_newest_first ON users (created_at_ms DESC, id DESC);

-- Only SHA-256 hashes of refresh tokens are kept. A token is live while used_at_ms and
-- revoked_at_ms are NULL and expires_at_ms is in the future.
CREATE TABLE refresh_tokens (
    token_hash    TEXT PRIMARY KEY,
    family_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    revoked_at_ms BIGINT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
