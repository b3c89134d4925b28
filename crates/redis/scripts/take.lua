-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), then per bucket: name, interval_us, burst.
-- Takes one token from every bucket or from none (lib_take.lua).
local now_us = decision_ms(ARGV[2]) * 1000
local reply, taken = plan_take(now_us, 3)
if taken then commit_take(now_us, 3, taken) end
return reply
