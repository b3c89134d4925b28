-- ARGV: 1 prefix, 2 job id, 3 worker, 4 result, 5 now_ms. Returns {1} if the worker held the job.
local id, worker, now = ARGV[2], ARGV[3], tonumber(ARGV[5])
local job = redis.call('HMGET', job_key(id), 'state', 'lease_owner', 'key_id', 'priority', 'seq')
if job[1] ~= 'running' or job[2] ~= worker then return {0} end
stop_running(id, job[3])
redis.call('HSET', job_key(id), 'result', ARGV[4])
move(id, 'running', 'succeeded', job[4], job[5])
finish(id, now)
return {1}
