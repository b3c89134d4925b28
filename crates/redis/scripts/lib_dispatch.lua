-- One dispatch (idempotency, storage caps, quota, enqueue), shared by dispatch.lua and
-- dispatch_batch.lua. DISPATCH_ARGS arguments:
-- A: 1 job id, 2 key id, 3 kind, 4 payload, 5 priority, 6 max_attempts, 7 timeout_ms,
-- 8 concurrency_limit|'', 9 run_at_ms|'', 10 now_ms|'server' (decision_ms), 11 idempotency key|'',
-- 12 idempotency ttl ms, 13 rate interval_us|'', 14 burst|'', 15 daily_quota|'',
-- 16 max_scheduled_jobs|'', 17 max_stored_bytes|''.
-- Returns {'duplicate', job…} | {'rejected', reason, limit, remaining, reset_us, retry_us}
--       | {'accepted', limit, remaining, reset_us, retry_us, job…}; limit/remaining -1 = unlimited.
-- The quota arithmetic mirrors hexaspin_core::quota::decide exactly (a differential test checks),
-- the storage check hexaspin_core::quota::check_storage.
local DISPATCH_ARGS = 17
local function dispatch_one(A)
  local id, key_id, now = A[1], A[2], decision_ms(A[10])
  local idem = A[11]
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

  -- Storage caps: what the key holds (keyuse_key, kept by every script that stores, moves or
  -- deletes a job) against what it may.
  local run_at = num(A[9])
  local state = (run_at and run_at > now) and 'scheduled' or 'queued'
  local held = redis.call('HMGET', keyuse_key(key_id), 'scheduled', 'bytes')
  local max_scheduled, max_bytes = num(A[16]), num(A[17])
  if max_scheduled and state == 'scheduled' and (num(held[1]) or 0) >= max_scheduled then
    return {'rejected', 'scheduled_limit_reached', max_scheduled, 0, 0, 0}
  end
  if max_bytes and (num(held[2]) or 0) + #A[4] > max_bytes then
    return {'rejected', 'storage_limit_reached', max_bytes, 0, 0, 0}
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
  local daily, interval, burst = num(A[15]), num(A[13]), num(A[14])

  if daily and used >= daily then
    return {'rejected', 'quota_exhausted', daily, 0, until_midnight, until_midnight}
  end
  local daily_left = daily and (daily - used - 1) or nil
  local new_tat = tat
  local limit, remaining, reset_us = -1, -1, 0
  if interval then
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
  local priority = A[5]
  redis.call('HSET', job_key(id), 'seq', seq, 'id', id, 'key_id', key_id, 'kind', A[3],
    'payload', A[4], 'priority', priority, 'attempts', 0, 'max_attempts', A[6],
    'timeout_ms', A[7], 'created_at_ms', fmt(now), 'updated_at_ms', fmt(now), 'cancel_requested', 0)
  if A[8] ~= '' then redis.call('HSET', job_key(id), 'concurrency_limit', A[8]) end
  if state == 'scheduled' then
    redis.call('HSET', job_key(id), 'run_at_ms', fmt(run_at))
    redis.call('ZADD', P .. 'delayed', run_at, id)
  else
    redis.call('ZADD', ready_key(A[3]), ready_score(priority, seq), id)
  end
  move(id, nil, state, priority, seq)
  redis.call('HINCRBY', keyuse_key(key_id), 'bytes', #A[4])
  redis.call('ZADD', P .. 'bykey:' .. key_id, seq, id)
  redis.call('ZADD', P .. 'all', seq, id)
  if idem ~= '' then
    local ttl = tonumber(A[12])
    redis.call('SET', idem_key, id .. ':' .. fmt(now + ttl), 'PX', ttl)
  end

  local out = {'accepted', limit, remaining, reset_us, 0}
  push_job(out, id)
  return out
end
