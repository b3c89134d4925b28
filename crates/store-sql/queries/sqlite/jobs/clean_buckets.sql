-- ?1 cutoff (µs): rate buckets (failed verifications per address) whose theoretical arrival time
-- passed by then are full again, so their rows carry nothing and are forgotten. Key rows (no
-- `bucket:` prefix) keep their daily counts. The range, not LIKE, uses the primary key's index.
DELETE FROM quota_state WHERE key_id >= 'bucket:' AND key_id < 'bucket;' AND tat_us <= ?1
