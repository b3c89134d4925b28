-- ARGV: 1 prefix, 2 bucket, 3 rate_per_sec, 4 burst, 5 now_ms|'server' (decision_ms). One GCRA
-- hit (the rate half of dispatch.lua's arithmetic). Returns {allowed 1|0, limit, remaining, reset_us, retry_us}.
local bucket_key = P .. 'bucket:' .. ARGV[2]
local rate, burst, now_us = tonumber(ARGV[3]), tonumber(ARGV[4]), decision_ms(ARGV[5]) * 1000
local tat = num(redis.call('GET', bucket_key)) or 0
local interval = math.floor(1000000 / rate)
local tolerance = interval * (burst - 1)
local t = math.max(tat, now_us)
if t - now_us > tolerance then
  return {0, burst, 0, t - now_us, t - now_us - tolerance}
end
local new_tat = t + interval
-- One SET with expiry: the bucket disappears once it would be full again anyway.
redis.call('SET', bucket_key, fmt(new_tat), 'PX', math.ceil((new_tat - now_us) / 1000) + 1000)
return {1, burst, math.floor((tolerance + interval - (new_tat - now_us)) / interval), new_tat - now_us, 0}
