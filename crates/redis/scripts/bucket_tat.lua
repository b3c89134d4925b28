-- ARGV: 1 prefix, 2 bucket. The bucket's theoretical arrival time in µs, 0 when it has none (it
-- expired: full again). The GCRA arithmetic on it is the core's (`peek_rate`), not repeated here.
return math.floor(num(redis.call('GET', P .. 'bucket:' .. ARGV[2])) or 0)
