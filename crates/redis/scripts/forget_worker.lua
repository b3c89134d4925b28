-- ARGV: 1 prefix, 2 worker id. Forgets the worker. Returns {1} if it was known, else {0}.
return {redis.call('HDEL', P .. 'workers', ARGV[2])}
