-- ARGV: 1 prefix, 2 key id, 3 version. Before a change that gives the key this version: the
-- key's fence rises to it (never falls) and a cached record older than it is dropped, so neither
-- a lookup nor a late fill can serve the record the change replaces (ports::KeyCache).
local k = P .. 'keycache:' .. ARGV[2]
local version = tonumber(ARGV[3])
local stored = redis.call('HMGET', k, 'v', 'fence')
if version > (num(stored[2]) or 0) then redis.call('HSET', k, 'fence', ARGV[3]) end
local cached = num(stored[1])
if cached and cached < version then redis.call('HDEL', k, 'v', 'key', 'h', 'ph', 'pe') end
-- Kept as long as a record would be: a fill that read the key before this change arrives within
-- a request's lifetime, far less.
redis.call('PEXPIRE', k, 600000)
return 1
