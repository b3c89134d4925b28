DROP TABLE idempotency_keys;
DROP TABLE quota_state;
DROP TABLE jobs;
