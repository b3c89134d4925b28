-- ARGV: 1 prefix, 2 before_ms, 3 limit. Deletes finished jobs that finished before `before`.
-- Returns {count}. (Idempotency keys expire by themselves.)
local before, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local old = redis.call('ZRANGEBYSCORE', P .. 'finished', '-inf', '(' .. fmt(before), 'LIMIT', 0, limit)
for _, id in ipairs(old) do
  local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq', 'key_id')
  redis.call('ZREM', P .. 'finished', id)
  redis.call('ZREM', P .. 'all', id)
  if job[4] then redis.call('ZREM', P .. 'bykey:' .. job[4], id) end
  if job[1] then move(id, job[1], nil, job[2], job[3]) end
  forget_job(id, job[4])
end
return {#old}
