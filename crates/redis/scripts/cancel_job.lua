-- ARGV: 1 prefix, 2 job id, 3 now_ms. lib_jobs.lua's cancel_one. Returns the job's fields, or {}
-- if there is none.
return cancel_one(ARGV[2], tonumber(ARGV[3]))
