-- Optimistic locking: only the version that was read (?9) is replaced. ?1 id, ?2 email,
-- ?3 display_name, ?4 password_hash, ?5 state, ?6 updated_at_ms, ?7 version, ?8 session_epoch.
UPDATE users SET
    email = ?2, display_name = ?3, password_hash = ?4, state = ?5, updated_at_ms = ?6, version = ?7,
    session_epoch = ?8
WHERE id = ?1 AND version = ?9
RETURNING id
