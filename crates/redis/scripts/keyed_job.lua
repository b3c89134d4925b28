-- ARGV: 1 prefix, 2 now_ms|'server' (decision_ms), 3 key id, 4 the presented secret's hash (hex),
-- 5 the scope the key needs, 6 'find'|'cancel', 7 job id, 8 what the answer counts (lines of
-- "<found|absent> <counter field>…"), then the failed-verification buckets (name, interval_us,
-- burst). ports::KeyCache::access_job_with_cached_key: the charge and lookup of
-- lib_key_lookup.lua, and when the cached key settles the request (settling_limits), the key's own
-- job read or cancelled (lib_jobs.lua's cancel_one; another key's job is as good as absent) and
-- the answer's counts, all at one instant.
-- Returns {'looked', <take_find_key.lua's reply>}
--       | {'settled', now_ms, counted 1|0, record, <the job's fields, or none>}.
local now_ms = decision_ms(ARGV[2])
local key_id, id = ARGV[3], ARGV[7]
local reply, verifies = take_and_find(now_ms, 9, key_id, ARGV[4])
if reply[1] == 0 then return {'looked', unpack(reply)} end
if not settling_limits(key_id, reply, verifies, ARGV[5]) then return {'looked', unpack(reply)} end

local out = {}
if redis.call('HGET', job_key(id), 'key_id') == key_id then
  if ARGV[6] == 'cancel' then
    out = cancel_one(id, now_ms)
  else
    push_job(out, id)
  end
end
local counted = count_outcome(ARGV[8], #out > 0 and 'found' or 'absent')
return {'settled', fmt(now_ms), counted, reply[7], unpack(out)}
