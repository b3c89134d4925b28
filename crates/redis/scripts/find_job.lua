-- ARGV: 1 prefix, 2 job id. Returns the job's fields, or {} if there is none.
local out = {}
push_job(out, ARGV[2])
return out
