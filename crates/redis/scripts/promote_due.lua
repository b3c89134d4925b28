-- ARGV: 1 prefix, 2 now_ms, 3 limit. Due scheduled/retrying jobs join the ready queue.
-- Returns {count}.
local now, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq')
  redis.call('ZREM', P .. 'delayed', id)
  redis.call('HDEL', job_key(id), 'run_at_ms')
  redis.call('HSET', job_key(id), 'updated_at_ms', fmt(now))
  enqueue_ready(id, job[2], job[3])
  move(id, job[1], 'queued', job[2], job[3])
end
-- Jobs queued before the ready queue was split by kind wait in one 'ready' set: move them to their
-- kind's queue, a bounded batch per call.
local legacy = redis.call('ZRANGE', P .. 'ready', 0, limit - 1, 'WITHSCORES')
for i = 1, #legacy, 2 do
  local job = redis.call('HMGET', job_key(legacy[i]), 'kind', 'state')
  -- Older versions left cancelled and deleted jobs behind in it: only queued ones move.
  if job[2] == 'queued' then redis.call('ZADD', ready_key(job[1]), legacy[i + 1], legacy[i]) end
  redis.call('ZREM', P .. 'ready', legacy[i])
end
return {#due}
