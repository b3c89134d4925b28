-- Opens a family only if its account is active and still at the epoch the caller read, in this
-- very statement (a password change or disable in between wins). ?1 family_id, ?2 user_id,
-- ?3 session_epoch, ?4 created_at_ms, ?5 ends_at_ms.
INSERT INTO refresh_families (family_id, user_id, session_epoch, created_at_ms, ends_at_ms)
SELECT ?1, id, session_epoch, ?4, ?5
FROM users
WHERE id = ?2 AND session_epoch = ?3 AND state = 'active'
RETURNING family_id
