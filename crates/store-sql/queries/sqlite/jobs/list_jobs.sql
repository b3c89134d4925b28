-- ?1 key id, ?2 state, ?3 before seq, ?4 limit; newest first.
SELECT {job_columns}
FROM jobs
WHERE (?1 IS NULL OR key_id = ?1) AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR seq < ?3)
ORDER BY seq DESC
LIMIT ?4
