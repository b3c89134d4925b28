-- ?1 worker, ?2 limit, ?3 lease grace (ms), ?4 now (ms),
-- ?5 the kinds the worker may take: a JSON object {"kind": free slots, …}.
-- Only the listed kinds are looked at (a job of another kind waits for a worker that has it),
-- and no kind gets more jobs than its free slots. A key at its concurrency limit is skipped, not
-- waited for: each key's queued jobs are ranked and only as many as it has free slots are
-- admitted, whatever the length of its backlog, so other keys' jobs keep flowing. The kind's
-- budget is ranked among the admitted jobs only, so a capped key's backlog cannot use it up.
WITH budget AS (
    SELECT key AS kind, value AS slots FROM json_each(?5)
),
busy AS (
    SELECT key_id, COUNT(*) AS running FROM jobs WHERE state = 'running' GROUP BY key_id
),
loaded AS (
    SELECT j.seq, j.priority, j.kind, j.concurrency_limit,
           COALESCE(b.running, 0) AS running,
           ROW_NUMBER() OVER (PARTITION BY j.key_id ORDER BY j.priority, j.seq) AS rank_in_key
    FROM jobs j
    JOIN budget k ON k.kind = j.kind
    LEFT JOIN busy b ON b.key_id = j.key_id
    WHERE j.state = 'queued'
),
admitted AS (
    SELECT seq, priority, kind,
           ROW_NUMBER() OVER (PARTITION BY kind ORDER BY priority, seq) AS rank_in_kind
    FROM loaded
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
