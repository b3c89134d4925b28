SELECT field, value FROM metric_counters ORDER BY field
