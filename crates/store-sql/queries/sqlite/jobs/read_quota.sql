SELECT tat_us, day, day_count FROM quota_state WHERE key_id = ?1
