-- ?1 key id, ?2 cursor (seq), ?3 limit; newest first.
SELECT seq, at_ms, actor, action, key_id, detail
FROM audit_log
WHERE (?1 IS NULL OR key_id = ?1)
  AND (?2 IS NULL OR seq < ?2)
ORDER BY seq DESC
LIMIT ?3
