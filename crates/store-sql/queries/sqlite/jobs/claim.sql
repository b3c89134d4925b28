-- ?1 worker, ?2 limit, ?3 lease grace (ms), ?4 now (ms),
-- ?5 the kinds the worker may take: a JSON object {"kind": free slots, …}.
-- Only the listed kinds are looked at (a job of another kind waits for a worker that has it),
-- and no kind gets more jobs than its free slots. A job whose key is at its concurrency limit is
-- skipped, not waited for: such jobs never enter the window, so however long a capped key's
-- backlog, other keys' jobs are seen. The window walks the queue index in claim order and stops
-- after a few times `limit` candidates (INDEXED BY: walking the index in order is the point), so a claim costs the same with 10 or 10^5 jobs queued;
-- within it each key's jobs are ranked so no key gets more than its free slots, then each
-- kind's admitted jobs so no kind gets more than its budget.
WITH budget AS (
    SELECT key AS kind, value AS slots FROM json_each(?5)
),
busy AS (
    SELECT key_id, COUNT(*) AS running FROM jobs WHERE state = 'running' GROUP BY key_id
),
candidates AS (
    SELECT j.seq, j.priority, j.kind, j.key_id, j.concurrency_limit,
           COALESCE(b.running, 0) AS running
    FROM jobs j INDEXED BY jobs_ready
    LEFT JOIN busy b ON b.key_id = j.key_id
    WHERE j.state = 'queued'
      AND j.kind IN (SELECT kind FROM budget)
      AND (j.concurrency_limit IS NULL OR COALESCE(b.running, 0) < j.concurrency_limit)
    ORDER BY j.priority, j.seq
    LIMIT ?2 * 4 + 64
),
ranked AS (
    SELECT seq, priority, kind, concurrency_limit, running,
           ROW_NUMBER() OVER (PARTITION BY key_id ORDER BY priority, seq) AS rank_in_key
    FROM candidates
),
admitted AS (
    SELECT seq, priority, kind,
           ROW_NUMBER() OVER (PARTITION BY kind ORDER BY priority, seq) AS rank_in_kind
    FROM ranked
    WHERE concurrency_limit IS NULL OR running + rank_in_key <= concurrency_limit
)
UPDATE jobs SET
    state = 'running', attempts = attempts + 1, started_at_ms = ?4, updated_at_ms = ?4,
    lease_owner = ?1, lease_expires_at_ms = ?4 + timeout_ms + ?3
WHERE seq IN (
    SELECT a.seq FROM admitted a JOIN budget k ON k.kind = a.kind
    WHERE a.rank_in_kind <= k.slots
    ORDER BY a.priority, a.seq
    LIMIT ?2
)
RETURNING {job_columns}
