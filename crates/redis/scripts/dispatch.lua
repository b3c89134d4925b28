-- ARGV: 1 prefix, then the 15 arguments of dispatch_one (lib_dispatch.lua).
return dispatch_one({unpack(ARGV, 2, 16)})
