-- ARGV: 1 prefix, 2 job id, 3 now_ms. Waiting jobs are cancelled at once, running ones marked for
-- their worker, finished ones left alone. Returns the job's fields, or {} if there is none.
local id, now = ARGV[2], tonumber(ARGV[3])
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq', 'kind', 'key_id')
local state, priority, seq = job[1], job[2], job[3]
if not state then return {} end
if state == 'scheduled' or state == 'retrying' or state == 'queued' then
  redis.call('ZREM', P .. 'delayed', id)
  dequeue(id, job[4], job[5])
  redis.call('HDEL', job_key(id), 'run_at_ms')
  move(id, state, 'cancelled', priority, seq)
  finish(id, now)
  -- It may have been the job unparked for a free slot: the next parked one takes that slot.
  if state == 'queued' then unpark(job[5]) end
elseif state == 'running' then
  redis.call('HSET', job_key(id), 'cancel_requested', 1, 'updated_at_ms', fmt(now))
end
local out = {}
push_job(out, id)
return out
