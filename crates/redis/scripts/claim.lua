-- ARGV: 1 prefix, 2 worker, 3 limit, 4 lease grace ms, 5 now_ms.
-- Takes ready jobs by priority then dispatch order; a job whose key is at its concurrency limit
-- is skipped (it keeps its place) so other keys' jobs are not blocked behind it. Scans at most
-- 10 × limit + 100 ready jobs per call. Returns {n, job…×n}.
local worker, limit, grace, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local candidates = redis.call('ZRANGE', P .. 'ready', 0, limit * 10 + 99)
local out = {0}
local claimed = 0
for _, id in ipairs(candidates) do
  if claimed >= limit then break end
  local job = redis.call('HMGET', job_key(id), 'key_id', 'concurrency_limit', 'timeout_ms', 'priority', 'seq')
  local running_key = P .. 'running:' .. job[1]
  local cap = num(job[2])
  if not cap or (tonumber(redis.call('GET', running_key) or '0') < cap) then
    local lease = now + tonumber(job[3]) + grace
    redis.call('ZREM', P .. 'ready', id)
    redis.call('ZADD', P .. 'leases', lease, id)
    redis.call('INCR', running_key)
    redis.call('HINCRBY', job_key(id), 'attempts', 1)
    redis.call('HSET', job_key(id), 'started_at_ms', fmt(now), 'updated_at_ms', fmt(now),
      'lease_owner', worker, 'lease_expires_at_ms', fmt(lease))
    move(id, 'queued', 'running', job[4], job[5])
    push_job(out, id)
    claimed = claimed + 1
  end
end
out[1] = claimed
return out
