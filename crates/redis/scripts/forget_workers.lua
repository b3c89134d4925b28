-- ARGV: 1 prefix, 2 before_ms. Forgets workers last seen before it. Returns {count}.
local before = tonumber(ARGV[2])
local beats = redis.call('HGETALL', P .. 'workers')
local forgotten = 0
for i = 1, #beats, 2 do
  if tonumber(beats[i + 1]) < before then
    redis.call('HDEL', P .. 'workers', beats[i])
    forgotten = forgotten + 1
  end
end
return {forgotten}
