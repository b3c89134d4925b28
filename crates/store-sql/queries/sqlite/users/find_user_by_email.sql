SELECT id, email, display_name, password_hash, state, created_at_ms, updated_at_ms, version, session_epoch
FROM users
WHERE email = ?1
