-- ARGV: 1 prefix, 2 job id. Removes a job that is not running.
-- Returns {'deleted'}, {'running'} (nothing changed) or {'missing'}.
local id = ARGV[2]
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq', 'key_id', 'kind')
local state = job[1]
if not state then return {'missing'} end
if state == 'running' then return {'running'} end
dequeue(id, job[5], job[4])
for _, index in ipairs({'delayed', 'finished', 'all', 'bykey:' .. job[4]}) do
  redis.call('ZREM', P .. index, id)
end
move(id, state, nil, job[2], job[3])
forget_job(id, job[4])
if state == 'queued' then unpark(job[4]) end
return {'deleted'}
