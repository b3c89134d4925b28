INSERT INTO quota_state (key_id, tat_us, day, day_count) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (key_id) DO UPDATE SET tat_us = excluded.tat_us, day = excluded.day, day_count = excluded.day_count
RETURNING key_id
