-- ARGV: 1 prefix, 2 now_ms, 3 limit. Due scheduled/retrying jobs join the ready queue.
-- Returns {count}.
local now, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq')
  redis.call('ZREM', P .. 'delayed', id)
  redis.call('HDEL', job_key(id), 'run_at_ms')
  redis.call('HSET', job_key(id), 'updated_at_ms', fmt(now))
  redis.call('ZADD', P .. 'ready', ready_score(job[2], job[3]), id)
  move(id, job[1], 'queued', job[2], job[3])
end
return {#due}
