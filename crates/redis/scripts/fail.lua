-- ARGV: 1 prefix, 2 job id, 3 worker, 4 error, 5 retry_at_ms|'' ('' = no retry), 6 now_ms,
-- 7 '1' to give up (dead even with attempts left: the worker's cap for the kind is reached).
-- Returns {1} if the worker held the job.
local id, worker, now = ARGV[2], ARGV[3], tonumber(ARGV[6])
local retry_at = num(ARGV[5])
local job = redis.call('HMGET', job_key(id), 'state', 'lease_owner', 'key_id', 'priority', 'seq',
  'attempts', 'max_attempts')
if job[1] ~= 'running' or job[2] ~= worker then return {0} end
stop_running(id, job[3])
redis.call('HSET', job_key(id), 'last_error', ARGV[4], 'updated_at_ms', fmt(now))
local give_up = ARGV[7] == '1'
if give_up then
  move(id, 'running', 'dead', job[4], job[5])
  finish(id, now)
elseif retry_at and tonumber(job[6]) < tonumber(job[7]) then
  redis.call('HSET', job_key(id), 'run_at_ms', fmt(retry_at))
  redis.call('ZADD', P .. 'delayed', retry_at, id)
  move(id, 'running', 'retrying', job[4], job[5])
else
  move(id, 'running', retry_at and 'dead' or 'failed', job[4], job[5])
  finish(id, now)
end
return {1}
