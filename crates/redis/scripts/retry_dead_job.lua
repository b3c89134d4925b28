-- ARGV: 1 prefix, 2 job id, 3 now_ms. dead -> queued with a fresh set of attempts.
-- Returns {'retried', the job's fields…}, {'not_dead'} (nothing changed) or {'missing'}.
local id, now = ARGV[2], tonumber(ARGV[3])
local job = redis.call('HMGET', job_key(id), 'state', 'priority', 'seq')
if not job[1] then return {'missing'} end
if job[1] ~= 'dead' then return {'not_dead'} end
redis.call('ZREM', P .. 'finished', id)
redis.call('HDEL', job_key(id), 'finished_at_ms', 'run_at_ms')
redis.call('HSET', job_key(id), 'attempts', 0, 'updated_at_ms', fmt(now))
enqueue_ready(id, job[2], job[3])
move(id, 'dead', 'queued', job[2], job[3])
local out = {'retried'}
push_job(out, id)
return out
