-- ARGV: 1 prefix, 2 job id, 3 worker, 4 now_ms. The worker stopped a running job whose
-- cancellation was asked. Returns {1} if the worker held the job.
local id, worker, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local job = redis.call('HMGET', job_key(id), 'state', 'lease_owner', 'key_id', 'priority', 'seq')
if job[1] ~= 'running' or job[2] ~= worker then return {0} end
stop_running(id, job[3])
redis.call('HSET', job_key(id), 'last_error', 'cancelled while running')
move(id, 'running', 'cancelled', job[4], job[5])
finish(id, now)
return {1}
