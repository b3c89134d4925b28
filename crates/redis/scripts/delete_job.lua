-- ARGV: 1 prefix, 2 job id. Removes a job that is not running. Returns {1} or {0}.
local id = ARGV[2]
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq', 'key_id')
local state = job[1]
if not state or state == 'running' then return {0} end
for _, index in ipairs({'ready', 'delayed', 'finished', 'all', 'bykey:' .. job[4]}) do
  redis.call('ZREM', P .. index, id)
end
move(id, state, nil, job[2], job[3])
redis.call('DEL', job_key(id))
return {1}
