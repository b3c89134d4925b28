-- Optimistic locking: only the version that was read (?8) is replaced.
UPDATE users SET
    email = ?2, display_name = ?3, password_hash = ?4, state = ?5, updated_at_ms = ?6, version = ?7
WHERE id = ?1 AND version = ?8
RETURNING id
