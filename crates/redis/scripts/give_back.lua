-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), then per bucket: name, interval_us.
-- Gives one token back to every bucket (hexaspin_core::quota::give_back): its TAT moves one
-- interval earlier; a bucket that is full again by then is deleted. Returns {}.
local now_us = decision_ms(ARGV[2]) * 1000
for i = 3, #ARGV, 2 do
  local key = P .. 'bucket:' .. ARGV[i]
  local tat = num(redis.call('GET', key))
  if tat then
    local earlier = tat - tonumber(ARGV[i + 1])
    if earlier > now_us then
      redis.call('SET', key, fmt(earlier), 'PX', math.ceil((earlier - now_us) / 1000) + 1000)
    else
      redis.call('DEL', key)
    end
  end
end
return {}
