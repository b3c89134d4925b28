-- Sessions that end when they must (embedded SQLite): every refresh token belongs to a family
-- (one sign-in) with an absolute end, and a family only works while its account is active and
-- still at the session epoch it was opened in. A password change or a disable bumps the epoch
-- and so ends every family at once, including a successor being issued at that very moment:
-- the statements that use or insert a token check the family in the same statement.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

CREATE TABLE refresh_families (
    family_id     TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    session_epoch INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    ends_at_ms    INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

-- Families that exist already end 30 days after their first token, as the default lifetime says.
INSERT INTO refresh_families (family_id, user_id, session_epoch, created_at_ms, ends_at_ms, revoked_at_ms)
SELECT family_id, MIN(user_id), 0, MIN(issued_at_ms), MIN(issued_at_ms) + 2592000000, NULL
FROM refresh_tokens
GROUP BY family_id;
