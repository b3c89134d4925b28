-- ARGV: 1 prefix, 2 bucket, 3 now_ms|'server' (decision_ms). Returns {the bucket's theoretical
-- arrival time in µs (0 when it has none: it expired, full again), the decision instant in ms}.
-- The GCRA arithmetic on it is the core's (`peek_rate`), not repeated here.
return {math.floor(num(redis.call('GET', P .. 'bucket:' .. ARGV[2])) or 0), decision_ms(ARGV[3])}
