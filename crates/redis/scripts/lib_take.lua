-- Takes one token from every bucket or from none: hexaspin_core::quota::take_all, to the letter
-- (a differential test holds the two to the same decisions). The buckets are ARGV triples
-- (name, interval_us, burst) from index `first` on. The reply is
-- {allowed 1|0, limit, remaining, reset_us, retry_us}; limit/remaining -1 = unlimited (no bucket).
-- `plan_take` decides and returns the reply with the TATs to write; `commit_take` writes them.
local function plan_take(now_us, first)
  local refused, tightest, taken = nil, nil, {}
  for i = first, #ARGV, 3 do
    local interval, burst = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
    local tat = num(redis.call('GET', P .. 'bucket:' .. ARGV[i])) or 0
    local tolerance = interval * (burst - 1)
    local t = math.max(tat, now_us)
    if t - now_us > tolerance then
      local retry = t - now_us - tolerance
      if not refused or retry > refused[5] then refused = {0, burst, 0, t - now_us, retry} end
    else
      local new_tat = t + interval
      local remaining = math.floor((tolerance + interval - (new_tat - now_us)) / interval)
      taken[#taken + 1] = new_tat
      if not tightest or remaining < tightest[3] then tightest = {1, burst, remaining, new_tat - now_us, 0} end
    end
  end
  if refused then return refused, nil end
  return tightest or {1, -1, -1, 0, 0}, taken
end

local function commit_take(now_us, first, taken)
  local b = 1
  for i = first, #ARGV, 3 do
    local new_tat = taken[b]
    b = b + 1
    -- One SET with expiry: the bucket disappears once it would be full again anyway.
    redis.call('SET', P .. 'bucket:' .. ARGV[i], fmt(new_tat), 'PX', math.ceil((new_tat - now_us) / 1000) + 1000)
  end
end
