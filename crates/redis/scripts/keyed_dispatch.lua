-- ARGV: 1 prefix, 2..18 one dispatch (lib_dispatch.lua's DISPATCH_ARGS, with 8 and 13–17 left ''
-- for the key's terms), 19 the presented secret's hash (hex), 20 the scope the key needs, 21 the
-- deployment's default limits (key_cache_put.lua's `d` format), 22 the highest rate per second
-- (hexaspin_core::quota::MAX_RATE_PER_SEC), 23 what each outcome's answer counts (lines of
-- "<outcome> <counter field>…"), then the failed-verification buckets (name, interval_us, burst).
-- ports::KeyCache::dispatch_with_cached_key: the charge and lookup of lib_key_lookup.lua, and when
-- the cached key settles the request (lib_key_lookup.lua's settling_limits), the dispatch under
-- the key's terms and the answer's counts, all at one instant.
-- Returns {'looked', <take_find_key.lua's reply>}
--       | {'dispatched', now_ms, counted 1|0, record, <lib_dispatch.lua's reply>}.
local A = {unpack(ARGV, 2, 1 + DISPATCH_ARGS)}
local now_ms = decision_ms(A[10])
A[10] = fmt(now_ms)
local reply, verifies = take_and_find(now_ms, 24, A[2], ARGV[19])
if reply[1] == 0 then return {'looked', unpack(reply)} end
local own_limits = settling_limits(A[2], reply, verifies, ARGV[20])
if not own_limits then return {'looked', unpack(reply)} end

-- hexaspin_core::use_cases::key_terms, to the letter: each limit the key's own, else the default.
local function limits(text)
  local out, i = {}, 1
  for field in string.gmatch(text .. '|', '([^|]*)|') do
    out[i] = num(field)
    i = i + 1
  end
  return out
end
local own, defaults = limits(own_limits), limits(ARGV[21])
local function pick(i) if own[i] ~= nil then return own[i] end return defaults[i] end
local rate, burst = pick(1), pick(2)
local opt = function(n) if n == nil then return '' end return fmt(n) end
if rate then
  A[13] = fmt(math.floor(1000000 / math.min(math.max(rate, 1), tonumber(ARGV[22]))))
  A[14] = fmt(math.max(burst or rate, 1))
end
A[8], A[15], A[16], A[17] = opt(pick(3)), opt(pick(4)), opt(pick(5)), opt(pick(6))

local out = dispatch_one(A)
local outcome = out[1] == 'rejected' and out[2] or out[1]
local counted = count_outcome(ARGV[23], outcome)
return {'dispatched', fmt(now_ms), counted, reply[7], unpack(out)}
