-- ARGV: 1 prefix, then every state's name. The depth counters (`depth`, "state:priority" fields,
-- kept in step by move()) are checked against the per-state indexes, which are the truth: a state
-- whose counters do not add up to its index's size is recounted from its jobs, at once. The check
-- is O(states); a recount costs one read per job of that state, and only runs after a drift.
-- Returns {states recounted}.
local counts = redis.call('HGETALL', P .. 'depth')
local kept = {}
for i = 1, #counts, 2 do
  local state = string.match(counts[i], '^([^:]+):')
  if state then kept[state] = (kept[state] or 0) + tonumber(counts[i + 1]) end
end
local recounted = 0
for i = 2, #ARGV do
  local state = ARGV[i]
  local index = P .. 'state:' .. state
  if redis.call('ZCARD', index) ~= (kept[state] or 0) then
    local by_priority = {}
    for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
      local priority = redis.call('HGET', job_key(id), 'priority')
      if priority then by_priority[priority] = (by_priority[priority] or 0) + 1 end
    end
    for j = 1, #counts, 2 do
      if string.match(counts[j], '^([^:]+):') == state then redis.call('HDEL', P .. 'depth', counts[j]) end
    end
    for priority, n in pairs(by_priority) do redis.call('HSET', P .. 'depth', state .. ':' .. priority, n) end
    recounted = recounted + 1
  end
end
return {recounted}
