-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), then per bucket: name, interval_us, burst.
-- Takes one token from every bucket or from none (lib_take.lua).
return take_buckets(decision_ms(ARGV[2]) * 1000, 3)
