-- ARGV: 1 prefix, 2 key id|'', 3 state|'', 4 before seq|'', 5 limit, 6 scan budget. Newest first.
-- Returns {n, resume, job…×n}: `resume` is '' when the listing is complete (limit reached or
-- index exhausted), else the score to continue before. With both a key and a state the key's
-- index is filtered, and at most `budget` of its entries are looked at per call, so a key with a
-- long history never holds Redis for long: the caller calls again from `resume`.
local key_id, state, limit, budget = ARGV[2], ARGV[3], tonumber(ARGV[5]), tonumber(ARGV[6])
local before = num(ARGV[4])
local index
if key_id ~= '' then index = P .. 'bykey:' .. key_id
elseif state ~= '' then index = P .. 'state:' .. state
else index = P .. 'all' end
local max = before and ('(' .. fmt(before)) or '+inf'
local out = {0, ''}
local found, scanned = 0, 0
local last = nil
while found < limit do
  if scanned >= budget then
    out[2] = last
    break
  end
  local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, math.min(100, budget - scanned))
  if #ids == 0 then break end
  for i = 1, #ids, 2 do
    local id = ids[i]
    scanned = scanned + 1
    if found < limit and (key_id == '' or state == '' or redis.call('HGET', job_key(id), 'state') == state) then
      if push_job(out, id) then found = found + 1 end
    end
    last = ids[i + 1]
    max = '(' .. last
  end
end
out[1] = found
return out
