-- Shared helpers, prepended to every script. ARGV[1] is always the key prefix, so tests (and
-- several deployments) can share one Redis. Keys are derived inside the scripts, which is fine on a
-- single Redis (or a primary with replicas) but not on Redis Cluster.
local P = ARGV[1]
-- Integers as text without exponent (Lua's tostring would write 1.8e+15).
local function fmt(n) return string.format('%.0f', n) end
local function num(v) if v == false or v == nil or v == '' then return nil end return tonumber(v) end
-- The instant a quota decision is judged at, in ms: the caller's `now_ms`, or, when the caller
-- passes 'server', this Redis's own clock at the moment the script runs (one clock for every app
-- host, read after any wait in Redis's queue). TIME in a script needs Redis >= 5 (effects
-- replication).
local function decision_ms(arg)
  if arg == 'server' then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return tonumber(arg)
end
