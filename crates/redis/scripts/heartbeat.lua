-- ARGV: 1 prefix, 2 worker id, 3 now_ms. Returns {1}.
redis.call('HSET', P .. 'workers', ARGV[2], ARGV[3])
return {1}
