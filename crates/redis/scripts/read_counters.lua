-- ARGV: 1 prefix. Returns {field, value, …} of every /metrics counter.
return redis.call('HGETALL', P .. 'counters')
