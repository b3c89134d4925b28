-- ARGV: 1 prefix, 2 job id, 3 now_ms. Waiting jobs are cancelled at once, running ones marked for
-- their worker, finished ones left alone. Returns the job's fields, or {} if there is none.
local id, now = ARGV[2], tonumber(ARGV[3])
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq')
local state, priority, seq = job[1], job[2], job[3]
if not state then return {} end
if state == 'scheduled' or state == 'retrying' or state == 'queued' then
  redis.call('ZREM', P .. 'delayed', id)
  redis.call('ZREM', P .. 'ready', id)
  redis.call('HDEL', job_key(id), 'run_at_ms')
  move(id, state, 'cancelled', priority, seq)
  finish(id, now)
elseif state == 'running' then
  redis.call('HSET', job_key(id), 'cancel_requested', 1, 'updated_at_ms', fmt(now))
end
local out = {}
push_job(out, id)
return out
