-- ARGV: 1 prefix, then DISPATCH_ARGS arguments of dispatch_one (lib_dispatch.lua) per job. Each job is
-- dispatched in turn (one refused job does not refuse the others). Returns, per job, the length
-- of its reply then the reply.
local out = {}
for first = 2, #ARGV, DISPATCH_ARGS do
  local reply = dispatch_one({unpack(ARGV, first, first + DISPATCH_ARGS - 1)})
  out[#out + 1] = #reply
  for i = 1, #reply do out[#out + 1] = reply[i] end
end
return out
