-- ARGV: 1 prefix, 2 job id, 3 worker, 4 result, 5 now_ms. Returns {1} if the worker held the job.
return {ack_one(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))}
