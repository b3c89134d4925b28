DROP TRIGGER jobs_count_outcome;
DROP TRIGGER jobs_count_enqueued;
DROP TABLE worker_heartbeats;
DROP TABLE metric_counters;
