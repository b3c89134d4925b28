-- ARGV: 1 prefix, 2 job id, 3 worker, 4 now_ms. Back to the queue; the attempt is not counted.
local id, worker, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local job = redis.call('HMGET', job_key(id), 'state', 'lease_owner', 'key_id', 'priority', 'seq')
if job[1] ~= 'running' or job[2] ~= worker then return {0} end
stop_running(id, job[3])
redis.call('HINCRBY', job_key(id), 'attempts', -1)
redis.call('HSET', job_key(id), 'updated_at_ms', fmt(now))
enqueue_ready(id, job[4], job[5])
move(id, 'running', 'queued', job[4], job[5])
return {1}
