-- Shared helpers, prepended to every script. ARGV[1] is always the key prefix, so tests (and
-- several deployments) can share one Redis. Keys are derived inside the scripts, which is fine on a
-- single Redis (or a primary with replicas) but not on Redis Cluster.
local P = ARGV[1]
-- Integers as text without exponent (Lua's tostring would write 1.8e+15).
local function fmt(n) return string.format('%.0f', n) end
local function num(v) if v == false or v == nil or v == '' then return nil end return tonumber(v) end
