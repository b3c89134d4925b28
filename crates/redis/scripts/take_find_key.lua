-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), 3 key id, 4 the presented secret's hash (hex),
-- then per bucket: name, interval_us, burst. The failed-verification charge and the key lookup in
-- one round trip (lib_key_lookup.lua). The core verifies the returned record in full either way.
-- Returns {allowed 1|0, limit, remaining, reset_us, retry_us, charged 1|0[, record]}.
local reply = take_and_find(decision_ms(ARGV[2]), 5, ARGV[3], ARGV[4])
return reply
