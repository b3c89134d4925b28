-- ARGV: 1 prefix. Returns {worker, last seen ms, …}.
return redis.call('HGETALL', P .. 'workers')
