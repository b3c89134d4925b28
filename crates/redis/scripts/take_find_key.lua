-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), 3 key id, then per bucket: name, interval_us,
-- burst. Takes as take.lua does and, if the tokens were taken, appends the key's cached record
-- (hexaspin_core::api_key::cached_key_json) when the cache holds one at or above the key's fence:
-- the failed-verification charge and the key lookup in one round trip (ports::KeyCache).
local reply = take_buckets(decision_ms(ARGV[2]) * 1000, 4)
if reply[1] == 1 then
  local cached = redis.call('HMGET', P .. 'keycache:' .. ARGV[3], 'v', 'fence', 'key')
  local version, fence = num(cached[1]), num(cached[2]) or 0
  if version and version >= fence and cached[3] then reply[6] = cached[3] end
end
return reply
