-- The failed-verification charge and the key lookup of ports::KeyCache::take_and_find_key, shared
-- by take_find_key.lua and keyed_dispatch.lua (the buckets are ARGV triples from `first_bucket`
-- on, as lib_take.lua reads them). If the buckets refuse, nothing is looked up. Otherwise the key's
-- cached record (hexaspin_core::api_key::cached_key_json) is read when the cache holds one at or
-- above the key's fence, and the tokens are taken unless the presented hash is the record's secret
-- hash, or its previous one still in its grace period: a key that verifies is no failed attempt.
-- (Comparing HMACs keyed by the server's pepper tells a timing attacker nothing about a secret.)
-- Returns the reply {allowed 1|0, limit, remaining, reset_us, retry_us, charged 1|0[, record]} and
-- whether the secret verified.
local function take_and_find(now_ms, first_bucket, key_id, presented)
  local now_us = now_ms * 1000
  local reply, taken = plan_take(now_us, first_bucket)
  if not taken then
    reply[6] = 0
    return reply, false
  end
  local cached = redis.call('HMGET', P .. 'keycache:' .. key_id, 'v', 'fence', 'key', 'h', 'ph', 'pe', 'u')
  local version, fence = num(cached[1]), num(cached[2]) or 0
  local record = version and version >= fence and cached[3] or nil
  -- hexaspin_core::api_key::ApiKey::verifies_hash: an active key (the hashes are '' for a revoked or
  -- disabled one; `u` is its expiry), its current secret or the previous one in its grace period.
  local unexpired = not num(cached[7]) or now_ms < num(cached[7])
  local verifies = record and unexpired and presented ~= '' and (presented == cached[4]
    or (presented == cached[5] and now_ms < (num(cached[6]) or 0))) or false
  if verifies then
    reply[6] = 0
  else
    commit_take(now_us, first_bucket, taken)
    reply[6] = 1
  end
  if record then reply[7] = record end
  return reply, verifies
end

-- After take_and_find: whether the cached key settles a request that needs `scope` alone (its
-- secret verified; its scopes and limits were written for the cached version, `t` = `v`; it has
-- the scope and no use budget, `d` being stored for those alone). Returns its own limits (`d`) if
-- so, else nil. A record without its scopes and limits is dropped from `reply`: a miss, which the
-- core fills again from the key store (an older release's write-through leaves them out or stale).
local function settling_limits(key_id, reply, verifies, scope)
  local entry = redis.call('HMGET', P .. 'keycache:' .. key_id, 't', 'sc', 'd', 'v')
  if not entry[1] or entry[1] ~= entry[4] then reply[7] = nil end
  local scoped = entry[2] and string.find(entry[2], ' ' .. scope .. ' ', 1, true)
  if verifies and reply[7] and scoped and entry[3] then return entry[3] end
  return nil
end

-- Adds the counts `spec` (lines of "<outcome> <counter field>…") gives `outcome`, as add_counts.lua
-- would. Returns 1 if the spec names the outcome, else 0.
local function count_outcome(spec, outcome)
  local counted = 0
  for line in string.gmatch(spec, '[^\n]+') do
    local tag, fields = string.match(line, '^(%S+)(.*)$')
    if tag == outcome then
      counted = 1
      for field in string.gmatch(fields, '%S+') do
        redis.call('HINCRBY', P .. 'counters', field, 1)
      end
    end
  end
  return counted
end
