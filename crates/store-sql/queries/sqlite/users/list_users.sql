-- ?1 email contains (lowercase), ?2 state, ?3/?4 cursor (created_at_ms, id), ?5 limit.
SELECT id, email, display_name, password_hash, state, created_at_ms, updated_at_ms, version, session_epoch
FROM users
WHERE (?1 IS NULL OR instr(email, ?1) > 0)
  AND (?2 IS NULL OR state = ?2)
  AND (?3 IS NULL OR (created_at_ms, id) < (?3, ?4))
ORDER BY created_at_ms DESC, id DESC
LIMIT ?5
