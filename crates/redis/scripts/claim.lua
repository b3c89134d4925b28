-- ARGV: 1 prefix, 2 worker, 3 limit, 4 lease grace ms, 5 now_ms, then pairs: kind, free slots.
-- Takes ready jobs of the listed kinds (no more of a kind than its free slots) by priority then
-- dispatch order across those kinds. A job whose key is at its concurrency limit is parked (see
-- lib_jobs.lua) and skipped, so it is not looked at again until a slot of its key frees up and
-- other keys' jobs are never hidden behind it. Looks at no more than SCAN_BUDGET jobs per call.
-- Returns {n, job…×n}.
local worker, limit, grace, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local free = {}
for i = 6, #ARGV, 2 do free[ARGV[i]] = tonumber(ARGV[i + 1]) end
local SCAN_BUDGET = math.max(1000, limit * 10 + 100)

local out = {0}
local claimed, examined = 0, 0
while claimed < limit and examined < SCAN_BUDGET do
  -- The head of each kind's queue that still has a free slot, merged by score.
  local heads = {}
  local want = math.min((limit - claimed) * 4 + 32, SCAN_BUDGET - examined)
  for kind, slots in pairs(free) do
    if slots > 0 then
      local queue = redis.call('ZRANGE', ready_key(kind), 0, want - 1, 'WITHSCORES')
      for i = 1, #queue, 2 do heads[#heads + 1] = {queue[i], tonumber(queue[i + 1]), kind} end
    end
  end
  if #heads == 0 then break end
  table.sort(heads, function(a, b) return a[2] < b[2] end)
  for _, head in ipairs(heads) do
    if claimed >= limit or examined >= SCAN_BUDGET then break end
    local id, score, kind = head[1], head[2], head[3]
    if free[kind] > 0 then
      examined = examined + 1
      local job = redis.call('HMGET', job_key(id), 'key_id', 'concurrency_limit', 'timeout_ms', 'priority', 'seq')
      local running_key = P .. 'running:' .. job[1]
      local cap = num(job[2])
      redis.call('ZREM', ready_key(kind), id)
      if cap and tonumber(redis.call('GET', running_key) or '0') >= cap then
        redis.call('ZADD', parked_key(job[1]), score, id)
      else
        local lease = now + tonumber(job[3]) + grace
        redis.call('ZADD', P .. 'leases', lease, id)
        redis.call('INCR', running_key)
        redis.call('HINCRBY', job_key(id), 'attempts', 1)
        redis.call('HSET', job_key(id), 'started_at_ms', fmt(now), 'updated_at_ms', fmt(now),
          'lease_owner', worker, 'lease_expires_at_ms', fmt(lease))
        move(id, 'queued', 'running', job[4], job[5])
        push_job(out, id)
        claimed = claimed + 1
        free[kind] = free[kind] - 1
      end
    end
  end
end
out[1] = claimed
return out
