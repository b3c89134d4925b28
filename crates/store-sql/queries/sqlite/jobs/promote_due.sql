-- ?1 now (ms), ?2 limit
UPDATE jobs SET state = 'queued', run_at_ms = NULL, updated_at_ms = ?1
WHERE seq IN (SELECT seq FROM jobs WHERE state IN ('scheduled', 'retrying') AND run_at_ms <= ?1
              ORDER BY run_at_ms LIMIT ?2)
RETURNING id
