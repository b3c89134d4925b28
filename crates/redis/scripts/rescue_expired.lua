-- ARGV: 1 prefix, 2 now_ms, 3 limit (at most this many per call). Jobs whose lease ran out (their
-- worker died) go back to the queue as a new attempt, or are dead after their last one; one whose
-- cancellation was asked ends cancelled.
-- Returns {count}.
local now = tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', '(' .. fmt(now), 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(expired) do
  local job = redis.call('HMGET', job_key(id), 'key_id', 'priority', 'seq', 'attempts', 'max_attempts',
    'cancel_requested')
  local cancelled = job[6] == '1'
  stop_running(id, job[1])
  redis.call('HSET', job_key(id), 'updated_at_ms', fmt(now), 'last_error', cancelled
    and 'cancelled: the lease ran out after the cancellation was asked'
    or 'lease expired: the worker running this attempt stopped responding')
  if cancelled then
    move(id, 'running', 'cancelled', job[2], job[3])
    finish(id, now)
  elseif tonumber(job[4]) < tonumber(job[5]) then
    enqueue_ready(id, job[2], job[3])
    move(id, 'running', 'queued', job[2], job[3])
    count_job(id, 'jobs_retried')
  else
    move(id, 'running', 'dead', job[2], job[3])
    finish(id, now)
  end
end
return {#expired}
