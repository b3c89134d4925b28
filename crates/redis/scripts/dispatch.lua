-- ARGV: 1 prefix, 2 job id, 3 key id, 4 kind, 5 payload, 6 priority, 7 max_attempts, 8 timeout_ms,
-- 9 concurrency_limit|'', 10 run_at_ms|'', 11 now_ms|'server' (decision_ms), 12 idempotency key|'',
-- 13 idempotency ttl ms, 14 rate_per_sec|'', 15 burst|'', 16 daily_quota|''.
-- Returns {'duplicate', job…} | {'rejected', reason, limit, remaining, reset_us, retry_us}
--       | {'accepted', limit, remaining, reset_us, retry_us, job…}; limit/remaining -1 = unlimited.
-- The quota arithmetic mirrors hexaspin_core::quota::decide exactly (a differential test checks).
local id, key_id, now = ARGV[2], ARGV[3], decision_ms(ARGV[11])
local idem = ARGV[12]
local idem_key = P .. 'idem:' .. key_id .. ':' .. idem

-- The idempotency record is "<job id>:<expiry ms>", judged against the caller's clock like every
-- other instant here; the key's own TTL only collects garbage.
if idem ~= '' then
  local record = redis.call('GET', idem_key)
  if record then
    local original, expires = string.match(record, '^([^:]+):(%d+)$')
    if original and tonumber(expires) > now then
      local out = {'duplicate'}
      if push_job(out, original) then return out end
    end
  end
end

-- Quota: daily quota first, then GCRA.
local DAY_US = 86400000000
local now_us = now * 1000
local quota_key = P .. 'quota:' .. key_id
local stored = redis.call('HMGET', quota_key, 'tat', 'day', 'count')
local tat, day, count = num(stored[1]) or 0, num(stored[2]) or 0, num(stored[3]) or 0
local today = math.floor(now_us / DAY_US)
local used = (day == today) and count or 0
local until_midnight = (today + 1) * DAY_US - now_us
local daily, rate, burst = num(ARGV[16]), num(ARGV[14]), num(ARGV[15])

if daily and used >= daily then
  return {'rejected', 'quota_exhausted', daily, 0, until_midnight, until_midnight}
end
local daily_left = daily and (daily - used - 1) or nil
local new_tat = tat
local limit, remaining, reset_us = -1, -1, 0
if rate then
  local interval = math.floor(1000000 / rate)
  local tolerance = interval * (burst - 1)
  local t = math.max(tat, now_us)
  if t - now_us > tolerance then
    return {'rejected', 'rate_limited', burst, 0, t - now_us, t - now_us - tolerance}
  end
  new_tat = t + interval
  local spent = new_tat - now_us
  local rate_remaining = math.floor((tolerance + interval - spent) / interval)
  if daily_left and daily_left < rate_remaining then
    limit, remaining, reset_us = daily, daily_left, until_midnight
  else
    limit, remaining, reset_us = burst, rate_remaining, spent
  end
elseif daily then
  limit, remaining, reset_us = daily, daily_left, until_midnight
end
redis.call('HSET', quota_key, 'tat', fmt(new_tat), 'day', fmt(today), 'count', fmt(used + 1))
-- Quota state older than two days is worthless; let it expire.
redis.call('PEXPIRE', quota_key, 2 * 86400000)

local seq = redis.call('INCR', P .. 'seq')
local priority = ARGV[6]
local run_at = num(ARGV[10])
local state = (run_at and run_at > now) and 'scheduled' or 'queued'
redis.call('HSET', job_key(id), 'seq', seq, 'id', id, 'key_id', key_id, 'kind', ARGV[4],
  'payload', ARGV[5], 'priority', priority, 'attempts', 0, 'max_attempts', ARGV[7],
  'timeout_ms', ARGV[8], 'created_at_ms', fmt(now), 'updated_at_ms', fmt(now), 'cancel_requested', 0)
if ARGV[9] ~= '' then redis.call('HSET', job_key(id), 'concurrency_limit', ARGV[9]) end
if state == 'scheduled' then
  redis.call('HSET', job_key(id), 'run_at_ms', fmt(run_at))
  redis.call('ZADD', P .. 'delayed', run_at, id)
else
  redis.call('ZADD', P .. 'ready', ready_score(priority, seq), id)
end
move(id, nil, state, priority, seq)
redis.call('ZADD', P .. 'bykey:' .. key_id, seq, id)
redis.call('ZADD', P .. 'all', seq, id)
if idem ~= '' then
  local ttl = tonumber(ARGV[13])
  redis.call('SET', idem_key, id .. ':' .. fmt(now + ttl), 'PX', ttl)
end

local out = {'accepted', limit, remaining, reset_us, 0}
push_job(out, id)
return out
