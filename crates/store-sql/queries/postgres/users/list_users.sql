-- $1 email contains (lowercase), $2 state, $3/$4 cursor (created_at_ms, id), $5 limit.
SELECT id, email, display_name, password_hash, state, created_at_ms, updated_at_ms, version, session_epoch
FROM users
WHERE ($1::text IS NULL OR strpos(email, $1::text) > 0)
  AND ($2::text IS NULL OR state = $2::text)
  AND ($3::bigint IS NULL OR (created_at_ms, id) < ($3::bigint, $4::text))
ORDER BY created_at_ms DESC, id DESC
LIMIT $5::bigint
