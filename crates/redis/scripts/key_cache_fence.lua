-- ARGV: 1 prefix, 2 key id, 3 version. Before a change that gives the key this version: the
-- key's fence rises to it (never falls) and the cached record is dropped, whatever its version
-- (a cache ahead of the key store, after the store lost writes, must not outlive the change), so
-- neither a lookup nor a late fill can serve the record the change replaces (ports::KeyCache).
-- The change writes the new record through afterwards.
local k = P .. 'keycache:' .. ARGV[2]
local version = tonumber(ARGV[3])
local fence = num(redis.call('HGET', k, 'fence'))
if not fence or version > fence then redis.call('HSET', k, 'fence', ARGV[3]) end
redis.call('HDEL', k, 'v', 'key', 'h', 'ph', 'pe', 'u', 't', 'sc', 'd')
-- Only the fence is left: kept as long as a record would be (a fill that read the key before
-- this change arrives within a request's lifetime, far less).
redis.call('PEXPIRE', k, 600000)
return 1
