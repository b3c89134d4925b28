-- $1 key id, $2 cursor (seq), $3 limit; newest first.
SELECT seq, at_ms, actor, action, key_id, detail::text
FROM audit_log
WHERE ($1::text IS NULL OR key_id = $1::text)
  AND ($2::bigint IS NULL OR seq < $2::bigint)
ORDER BY seq DESC
LIMIT $3::bigint
