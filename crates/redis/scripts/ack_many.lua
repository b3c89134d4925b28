-- ARGV: 1 prefix, 2 worker, 3 now_ms, then pairs: job id, result. The worker's group commit:
-- many acks in one call. Returns one flag per job, 1 if the worker held it.
local worker, now = ARGV[2], tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 2 do out[#out + 1] = ack_one(ARGV[i], worker, ARGV[i + 1], now) end
return out
