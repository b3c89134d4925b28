-- ARGV: 1 prefix, 2 job id, 3 now_ms. dead -> queued with a fresh set of attempts.
-- Returns the job's fields, or {} if it is not dead.
local id, now = ARGV[2], tonumber(ARGV[3])
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq')
if job[1] ~= 'dead' then return {} end
redis.call('ZREM', P .. 'finished', id)
redis.call('HDEL', job_key(id), 'finished_at_ms', 'run_at_ms')
redis.call('HSET', job_key(id), 'attempts', 0, 'updated_at_ms', fmt(now))
enqueue_ready(id, job[2], job[3])
move(id, 'dead', 'queued', job[2], job[3])
local out = {}
push_job(out, id)
return out
