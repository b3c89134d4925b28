-- ARGV: 1 prefix, then the DISPATCH_ARGS arguments of dispatch_one (lib_dispatch.lua).
return dispatch_one({unpack(ARGV, 2, 1 + DISPATCH_ARGS)})
