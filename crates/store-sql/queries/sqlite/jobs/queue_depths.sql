SELECT state, priority, COUNT(*) FROM jobs GROUP BY state, priority ORDER BY state, priority
