-- ARGV: 1 prefix, 2 key id, 3 version, 4 the record (hexaspin_core::api_key::cached_key_json),
-- 5 its secret hash (hex), 6 its previous secret hash (hex) or '', 7 when that one expires (ms) or '',
-- 8 when the key expires (ms) or '', 9 its scopes (' a b ', each between spaces), 10 its own
-- limits as "rate|burst|concurrency|daily|scheduled|bytes" ('' for none) or '' for a key with a use
-- budget (keyed_dispatch.lua leaves those to the core). The hashes are '' for a key that cannot
-- verify (revoked, disabled): lib_key_lookup.lua then charges even its right secret.
-- Stores the record unless the key is fenced above its version, a newer record is cached, or this
-- version is cached with its scopes and limits (`t`, the version they were written for, equals
-- `v`: a record of this version an older release wrote lacks them, or has them from an earlier
-- version, and is replaced) (ports::KeyCache). The hashes, scopes and limits are kept apart so that
-- the scripts compare without decoding the record. Returns 1 if stored, 0 if not.
-- A record lives KEY_CACHE_TTL_MS, then the key store is asked again: however Redis lost writes
-- (a failover to a lagging replica, a restore from a snapshot), a stale record outlives them by
-- at most that long (the runbook says to flush the cache at once after such an event).
local KEY_CACHE_TTL_MS = 600000
local k = P .. 'keycache:' .. ARGV[2]
local version = tonumber(ARGV[3])
local stored = redis.call('HMGET', k, 'v', 'fence', 't')
local cached = num(stored[1]) or 0
if version < (num(stored[2]) or 0) or version < cached then return 0 end
if version == cached and stored[3] == stored[1] then return 0 end
redis.call('HSET', k, 'v', ARGV[3], 'key', ARGV[4], 'h', ARGV[5], 'ph', ARGV[6], 'pe', ARGV[7], 'u', ARGV[8],
  't', ARGV[3], 'sc', ARGV[9])
if ARGV[10] ~= '' then
  redis.call('HSET', k, 'd', ARGV[10])
else
  redis.call('HDEL', k, 'd')
end
redis.call('PEXPIRE', k, KEY_CACHE_TTL_MS)
return 1
