-- ARGV: 1 prefix, 2 key id, 3 version, 4 the record (hexaspin_core::api_key::cached_key_json).
-- Stores the record unless the key is fenced above its version or a record of this version or a
-- newer one is cached (ports::KeyCache). Returns 1 if stored, 0 if not.
local k = P .. 'keycache:' .. ARGV[2]
local version = tonumber(ARGV[3])
local stored = redis.call('HMGET', k, 'v', 'fence')
if version < (num(stored[2]) or 0) or version <= (num(stored[1]) or 0) then return 0 end
redis.call('HSET', k, 'v', ARGV[3], 'key', ARGV[4])
return 1
