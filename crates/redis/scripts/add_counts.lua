-- ARGV: 1 prefix, then field, amount pairs ("<counter>|<label value>|…", integer). Adds each
-- amount to its /metrics counter. Returns {pairs added}.
for i = 2, #ARGV - 1, 2 do
  redis.call('HINCRBY', P .. 'counters', ARGV[i], ARGV[i + 1])
end
return {math.floor((#ARGV - 1) / 2)}
