-- ARGV: 1 prefix. Returns {state:priority, count, …} for non-zero counts.
local pairs_ = redis.call('HGETALL', P .. 'depth')
local out = {}
for i = 1, #pairs_, 2 do
  if tonumber(pairs_[i + 1]) > 0 then
    out[#out + 1] = pairs_[i]
    out[#out + 1] = pairs_[i + 1]
  end
end
return out
