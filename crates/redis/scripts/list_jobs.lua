-- ARGV: 1 prefix, 2 key id|'', 3 state|'', 4 before seq|'', 5 limit. Newest first.
-- Returns {n, job…×n}.
local key_id, state, limit = ARGV[2], ARGV[3], tonumber(ARGV[5])
local before = num(ARGV[4])
local index
if key_id ~= '' then index = P .. 'bykey:' .. key_id
elseif state ~= '' then index = P .. 'state:' .. state
else index = P .. 'all' end
local max = before and ('(' .. fmt(before)) or '+inf'
local out = {0}
local found = 0
-- With both a key and a state, filter the key's index in batches.
while found < limit do
  local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, 100)
  if #ids == 0 then break end
  for i = 1, #ids, 2 do
    local id = ids[i]
    if found < limit and (key_id == '' or state == '' or redis.call('HGET', job_key(id), 'state') == state) then
      if push_job(out, id) then found = found + 1 end
    end
    max = '(' .. ids[i + 1]
  end
end
out[1] = found
return out
