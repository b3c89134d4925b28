-- ?1 worker, ?2 limit, ?3 lease grace (ms), ?4 now (ms).
-- A key at its concurrency limit is skipped, not waited for: ranking each key's queued jobs and
-- admitting only as many as it has free slots keeps other keys' jobs flowing.
WITH busy AS (
    SELECT key_id, COUNT(*) AS running FROM jobs WHERE state = 'running' GROUP BY key_id
),
candidates AS (
    SELECT j.seq, j.priority, j.concurrency_limit,
           COALESCE(b.running, 0) AS running,
           ROW_NUMBER() OVER (PARTITION BY j.key_id ORDER BY j.priority, j.seq) AS rank_in_key
    FROM jobs j LEFT JOIN busy b ON b.key_id = j.key_id
    WHERE j.state = 'queued'
)
UPDATE jobs SET
    state = 'running', attempts = attempts + 1, started_at_ms = ?4, updated_at_ms = ?4,
    lease_owner = ?1, lease_expires_at_ms = ?4 + timeout_ms + ?3
WHERE seq IN (
    SELECT seq FROM candidates
    WHERE concurrency_limit IS NULL OR running + rank_in_key <= concurrency_limit
    ORDER BY priority, seq
    LIMIT ?2
)
RETURNING {job_columns}
